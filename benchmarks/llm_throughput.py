"""Dialogues per second with LLMs in the loop: batching (local transformers) and concurrency (HTTP).

(a) The LLM salesman on the transformers backend (best of ``--repeats`` runs each), with a tiny randomly-initialised model
    built on the fly, against the built-in persona customer: one call at a time (batch 1)
    against 16 calls in flight generated as batches of up to 16. The salesman uses a
    compact system prompt (``--prompt full`` uses the shipped one): on a CPU a
    ~600-token prompt makes prefill compute-bound, which hides what batching saves.
(b) The LLM customer (free mode) on the openai backend, against a local OpenAI-compatible
    stub server in another process that answers every request after a fixed delay
    (50 ms), with the scripted salesman: concurrency 1 against concurrency 32.

Both pairs run in this one invocation, so each speed-up is a ratio measured on the same
machine at the same time. The last line printed is one JSON object with the four
throughputs plus ``batching_speedup`` and ``concurrency_speedup``.

Usage: python benchmarks/llm_throughput.py [--dialogues N] [--delay 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from aisalesman.core.config import LLMConfig  # noqa: E402
from aisalesman.core.llm import make_chat_model  # noqa: E402
from aisalesman.data import load_personas, load_product  # noqa: E402
from aisalesman.evaluation.runner import arun_episodes, episode_specs  # noqa: E402


def _dialogues_per_s(specs, models, concurrency: int) -> tuple[float, list[dict]]:
    async def run():
        return [json.loads(line) async for line in arun_episodes(specs, concurrency=concurrency, models=models)]

    start = time.perf_counter()
    records = asyncio.run(run())
    return len(records) / (time.perf_counter() - start), records


def _measure(label: str, role: str, specs, model, concurrency: int, repeats: int = 1) -> float:
    """Run ``specs`` with ``model`` playing ``role`` (best of ``repeats``); print a line; return dialogues/s."""
    best = 0.0
    for _ in range(repeats):
        before = model.stats.batches
        rate, records = _dialogues_per_s(specs, {role: model}, concurrency)
        best = max(best, rate)
    calls = sum(r["stats"]["llm"][role]["llm_calls"] for r in records)
    print(f"{label}: {best:7.2f} dialogues/s (best of {repeats}; {len(records)} dialogues, {calls} LLM calls, "
          f"{model.stats.batches - before} batches, {model.stats.retries} retries)", flush=True)
    return round(best, 3)


COMPACT_SALESMAN_PROMPT = (
    "You are $salesman_name from $company, calling $customer_name about $product. Goal: $goal. "
    "Never offer more than $max_discount off. Reply with one short sentence.\n"
)


def transformers_case(n: int, max_turns: int, prompt: str, hidden: int, layers: int,
                      max_tokens: int, repeats: int) -> dict[str, float]:
    from pathlib import Path

    from aisalesman.testing.tiny_lm import build_tiny_lm

    personas, product = load_personas("test"), load_product("bistro-boost")
    with tempfile.TemporaryDirectory() as tmp:
        path = build_tiny_lm(Path(tmp) / "model", hidden_size=hidden, layers=layers)
        agent_kwargs = {"max_tokens": max_tokens}
        if prompt == "compact":
            (Path(tmp) / "salesman_system.md").write_text(COMPACT_SALESMAN_PROMPT, encoding="utf-8")
            agent_kwargs["prompt_dir"] = tmp
        out = {}
        for batch in (1, 16):
            model = make_chat_model(LLMConfig(backend="transformers", model=str(path), device="cpu", max_batch=batch))
            specs = episode_specs(["llm"], personas[:n], [product], trials=1, seed=0, max_turns=max_turns,
                                  agent_kwargs={"llm": agent_kwargs})
            _dialogues_per_s(specs[:2], {"salesman": model}, batch)  # warm-up
            out[f"transformers_batch{batch}_dialogues_per_s"] = _measure(
                f"(a) transformers, {prompt} prompt, batch {batch:2d}", "salesman", specs, model, batch, repeats)
    return out


def _serve_stub(port: int, delay: float) -> None:
    import uvicorn

    from aisalesman.testing.openai_stub import stub_openai_app

    uvicorn.run(stub_openai_app(delay=delay), host="127.0.0.1", port=port, log_level="error", backlog=512)


def http_case(n_fast: int, n_slow: int, delay: float, max_turns: int) -> dict[str, float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = mp.get_context("spawn").Process(target=_serve_stub, args=(port, delay), daemon=True)
    server.start()
    try:
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("stub server did not start") from None
                time.sleep(0.1)
        personas, product = load_personas("test"), load_product("bistro-boost")
        out = {}
        for concurrency, n in ((1, n_slow), (32, n_fast)):
            model = make_chat_model(LLMConfig(backend="openai", model="stub", base_url=url, concurrency=concurrency,
                                              timeout=30))
            trials = -(-n // len(personas))
            specs = episode_specs(["scripted"], personas, [product], trials=trials, seed=0, customer="llm",
                                  max_turns=max_turns, customer_kwargs={"mode": "free"})[:n]
            out[f"http_concurrency{concurrency}_dialogues_per_s"] = _measure(
                f"(b) HTTP {delay * 1000:.0f} ms, concurrency {concurrency:2d}", "customer", specs, model, concurrency)
        return out
    finally:
        server.terminate()
        server.join(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dialogues", type=int, default=96, help="dialogues per transformers case")
    ap.add_argument("--repeats", type=int, default=2, help="repeats per transformers case (best counts)")
    ap.add_argument("--http-dialogues", type=int, default=128, help="dialogues at concurrency 32 (1/16 as many at 1)")
    ap.add_argument("--prompt", choices=["compact", "full"], default="compact", help="salesman system prompt in (a)")
    ap.add_argument("--max-tokens", type=int, default=48, help="tokens per salesman utterance in (a)")
    ap.add_argument("--hidden", type=int, default=32, help="tiny model hidden size in (a)")
    ap.add_argument("--layers", type=int, default=1, help="tiny model layers in (a)")
    ap.add_argument("--delay", type=float, default=0.05, help="stub server delay per request, seconds")
    ap.add_argument("--max-turns", type=int, default=12, help="utterances per call before truncation")
    args = ap.parse_args()
    report = transformers_case(max(2, args.dialogues), args.max_turns, args.prompt, args.hidden, args.layers,
                               args.max_tokens, args.repeats)
    n = max(2, args.http_dialogues)
    report.update(http_case(n, max(2, n // 16), args.delay, args.max_turns))
    report["batching_speedup"] = round(report["transformers_batch16_dialogues_per_s"]
                                       / report["transformers_batch1_dialogues_per_s"], 2)
    report["concurrency_speedup"] = round(report["http_concurrency32_dialogues_per_s"]
                                          / report["http_concurrency1_dialogues_per_s"], 2)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
