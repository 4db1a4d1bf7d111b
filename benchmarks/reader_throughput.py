"""Utterances per second of the readers on novel text, one core, batched.

Novel text: the labelled test split's utterances (salesman and customer), which no reader has
read before in this process (each reader is built fresh, so its per-text cache is cold), read
in batches of ``--batch``. Measured in the same run: the ``learned`` reader (static encoder),
``learned-tuned`` (the fine-tuned MiniLM), ``learned-minilm`` (the published MiniLM) and the
``lexicon`` reader (the reference). Building a reader (loading the model, fitting the classifiers) is timed
separately and not counted. A second pass over the same texts shows the warm-cache rate.

The last line printed is one JSON object: utterances/s per reader and the ratio of each to the
lexicon reader. Usage: python benchmarks/reader_throughput.py [--batch N] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from threadpoolctl import threadpool_limits  # noqa: E402

from aisalesman.dialogue.reading import make_reader  # noqa: E402
from aisalesman.dialogue.reading_set import load_reading_set  # noqa: E402


def rate(reader, sales: list[str], customer: list[str], batch: int) -> float:
    start = time.perf_counter()
    for i in range(0, len(sales), batch):
        reader.read_salesman_batch(sales[i:i + batch])
    for i in range(0, len(customer), batch):
        reader.read_customer_batch(customer[i:i + batch])
    return (len(sales) + len(customer)) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--limit", type=int, default=None, help="read only the first N utterances")
    args = ap.parse_args()
    data = [u for u in load_reading_set("test") if u.kind == "acts"][: args.limit]
    sales = [u.text for u in data if u.role == "salesman"]
    customer = [u.text for u in data if u.role == "customer"]
    result: dict[str, float] = {"utterances": len(sales) + len(customer)}
    with threadpool_limits(1):
        for label, name, options in (("lexicon", "lexicon", {}), ("learned", "learned", {}),
                                     ("learned_tuned", "learned-tuned", {}), ("learned_minilm", "learned-minilm", {})):
            t0 = time.perf_counter()
            reader = make_reader(name, **options)
            built = time.perf_counter() - t0
            cold = rate(reader, sales, customer, args.batch)
            warm = rate(reader, sales, customer, args.batch)
            result[f"{label}_per_s"] = round(cold, 1)
            result[f"{label}_warm_per_s"] = round(warm, 1)
            result[f"{label}_build_s"] = round(built, 2)
            print(f"{label:15s} novel {cold:10.1f}/s  warm cache {warm:12.1f}/s  build {built:6.2f} s", flush=True)
    for label in ("learned", "learned_tuned", "learned_minilm"):
        result[f"{label}_vs_lexicon"] = round(result[f"{label}_per_s"] / result["lexicon_per_s"], 4)
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
