"""A faulty LLM server ends at most one call, never the run, and never hangs it: a
benchmark against a server whose answers are garbled (token counts that are not numbers,
which once aborted a whole run) or drip in a byte at a time finishes every episode, and
only the calls whose requests failed for good end with ``infra_error``."""

import json

from aisalesman.core.config import BenchmarkConfig, load_config
from aisalesman.evaluation.benchmark import run_benchmark


def test_garbled_and_dripping_answers_end_only_their_calls(tmp_path, stub_server):
    with stub_server(faults=("garbled", "drip"), fault_rate=0.2, seed=5, drip_s=0.1, hang_s=8.0) as (url, state):
        llm = {"backend": "openai", "model": "stub", "base_url": url, "timeout": 0.5, "max_retries": 1}
        cfg = load_config(BenchmarkConfig, values={
            "agents": ["scripted"], "customer": "llm", "customer_mode": "free", "trials": 1, "personas": "test",
            "concurrency": 16, "out": str(tmp_path / "run"), "customer_llm": llm})
        res = run_benchmark(cfg)
    records = [json.loads(line) for line in (res.out / "transcripts.jsonl").read_text().splitlines()]
    assert len(records) == res.rows[0]["episodes"] and len({r["episode_id"] for r in records}) == len(records)
    infra = [r["stats"]["infra_error"] for r in records if r["termination_reason"] == "infra_error"]
    assert 0 < len(infra) < len(records)  # a call ends when a request fails twice in a row; others survive
    assert all("malformed response (usage." in e or "no complete answer within 0.5 s" in e for e in infra)
    stats = json.loads((res.out / "llm_stats.json").read_text())["customer"]
    assert stats["errors"].keys() == {"LLMBadResponseError", "LLMTimeoutError"}
    # every drip was cut off (and, on a busy machine, perhaps a slow ordinary answer too)
    assert stats["errors"]["LLMTimeoutError"] >= state.served["drip"] > 0
    assert stats["errors"]["LLMBadResponseError"] == state.served["garbled"] > 0
