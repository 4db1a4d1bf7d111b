"""Benchmarks with LLM customers and salesmen: many calls in flight, determinism, replay
from the cache, fault tolerance against a fault-injecting server, and fidelity metrics."""

import asyncio
import json

import pytest

from aisalesman.core.config import BenchmarkConfig, load_config
from aisalesman.core.errors import ConfigError, LLMConnectionError
from aisalesman.core.llm import BaseChatModel
from aisalesman.core.llm.scripted import _SALESMAN_LINES, ScriptedChatModel
from aisalesman.evaluation.benchmark import run_benchmark
from aisalesman.evaluation.runner import arun_episodes, episode_specs
from tests.extras import LLM

NORMAL_ENDS = {"sale", "appointment", "rejected", "hung_up", "dnc_honoured", "dnc_violated", "salesman_ended", "max_turns"}


def _cfg(tmp_path, name, **values):
    overrides = values.pop("overrides", [])
    base = {"agents": ["scripted", "adaptive"], "customer": "llm", "trials": 1, "personas": "test",
            "out": str(tmp_path / name), "customer_llm": {"backend": "scripted"}}
    base.update(values)
    return load_config(BenchmarkConfig, values=base, overrides=overrides)


def _records(out):
    return [json.loads(line) for line in (out / "transcripts.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("mode", ["free", "anchored"])
def test_llm_customer_runs_are_byte_identical_at_any_concurrency(tmp_path, mode):
    one = run_benchmark(_cfg(tmp_path, "c1", concurrency=1, customer_mode=mode))
    many = run_benchmark(_cfg(tmp_path, "c16", concurrency=16, customer_mode=mode))
    for name in ("transcripts.jsonl", "leaderboard.json"):
        assert (one.out / name).read_bytes() == (many.out / name).read_bytes()
    records = _records(many.out)
    assert len(records) == 200 and len({r["episode_id"] for r in records}) == 200
    assert all(r["customer"] == "llm" and r["stats"]["llm"]["customer"]["llm_calls"] > 0 for r in records)
    assert many.llm_stats["customer"]["calls"] == sum(r["stats"]["llm"]["customer"]["llm_calls"] for r in records)
    assert [row["agent"] for row in many.rows] == ["scripted", "adaptive"]
    assert any(row["conversions"] for row in many.rows)  # so tokens per conversion is computed, not only None
    for row in many.rows:
        mine = [r for r in records if r["agent"] == row["agent"]]
        assert row["llm"]["llm_calls"] == sum(r["stats"]["llm"]["customer"]["llm_calls"] for r in mine)
        tokens = sum(r["stats"]["llm"]["customer"]["prompt_tokens"] + r["stats"]["llm"]["customer"]["completion_tokens"]
                     for r in mine)
        per_conversion = round(tokens / row["conversions"], 1) if row["conversions"] else None
        assert row["llm"]["tokens_per_conversion"] == per_conversion


def test_llm_salesman_runs_from_the_same_flags(tmp_path):
    res = run_benchmark(_cfg(tmp_path, "s", agents=["llm"], customer="persona", concurrency=4,
                             salesman_llm={"backend": "scripted"}))
    records = _records(res.out)
    assert all(r["turns"][0]["text"] in _SALESMAN_LINES for r in records)
    assert records[0]["stats"]["llm"]["salesman"]["llm_calls"] >= 1
    assert res.llm_stats["salesman"]["model"] == "scripted"


def test_recorded_run_replays_from_the_cache_with_zero_model_calls(tmp_path, stub_server):
    cache = str(tmp_path / "cache.jsonl")
    with stub_server() as (url, state):
        llm = {"backend": "openai", "model": "stub", "base_url": url, "cache": cache, "price_prompt": 1.0}
        first = run_benchmark(_cfg(tmp_path, "rec", customer_mode="free", concurrency=8, customer_llm=llm))
        served = state.requests
    assert served > 0 and first.llm_stats["customer"]["cache_misses"] == served
    assert first.rows[0]["llm"]["cost"] > 0  # priced at 1.0 per 1,000 prompt tokens
    # the server is gone; replay mode answers only from the cache
    dead = {"backend": "openai", "model": "stub", "base_url": "http://127.0.0.1:9/v1", "cache": cache,
            "cache_mode": "replay", "price_prompt": 1.0}
    again = run_benchmark(_cfg(tmp_path, "replay", customer_mode="free", concurrency=8, customer_llm=dead))
    assert (first.out / "transcripts.jsonl").read_bytes() == (again.out / "transcripts.jsonl").read_bytes()
    asked = first.llm_stats["customer"]["cache_hits"] + served  # identical requests hit already in the first run
    assert again.llm_stats["customer"]["calls"] == 0 and again.llm_stats["customer"]["cache_hits"] == asked


def test_fault_injecting_server_loses_and_duplicates_nothing(tmp_path, stub_server):
    with stub_server(faults=("500", "429", "hang", "malformed", "empty", "truncated"), fault_rate=0.35,
                     hang_s=5.0, retry_after=0.01, seed=7) as (url, state):
        llm = {"backend": "openai", "model": "stub", "base_url": url, "timeout": 0.4, "max_retries": 2}
        res = run_benchmark(_cfg(tmp_path, "faults", agents=["scripted"], customer_mode="free", concurrency=16,
                                 customer_llm=llm))
    records = _records(res.out)
    specs = episode_specs(["scripted"], [p for p in __import__("aisalesman.data", fromlist=["x"]).load_personas("test")],
                          [__import__("aisalesman.data", fromlist=["x"]).load_product("bistro-boost")], trials=1, seed=0)
    assert [r["episode_id"] for r in records] == [s.episode_id for s in specs]
    reasons = {r["termination_reason"] for r in records}
    assert reasons <= NORMAL_ENDS | {"infra_error"}
    infra = [r for r in records if r["termination_reason"] == "infra_error"]
    assert infra and len(infra) < len(records)  # some calls fail for good, most survive
    assert all(r["stats"]["infra_error"].startswith("customer: ") for r in infra)
    assert res.rows[0]["infra_errors"] == len(infra)
    assert res.rows[0]["episodes"] == len(records)
    stats = json.loads((res.out / "llm_stats.json").read_text())["customer"]
    assert stats["retries"] > 0 and stats["failures"] > 0
    assert set(stats["errors"]) >= {"LLMServerError", "LLMRateLimitError", "LLMTimeoutError", "LLMBadResponseError"}
    # truncated answers were repaired by the customer, not retried by the backend
    assert sum(r["stats"]["llm"]["customer"]["repairs"] for r in records) > 0
    assert state.served["truncated"] > 0


def test_one_slow_call_does_not_stall_the_others(test_personas, product):
    """The first call's model answer waits until the other calls have finished whole episodes."""
    specs = episode_specs(["scripted"], test_personas[:12], [product], trials=1, seed=0, customer="llm",
                          customer_kwargs={"mode": "free"})
    slow_name = test_personas[0].crm.name
    finished = []

    class Gate(BaseChatModel):
        name = "gate"

        def __init__(self):
            super().__init__()
            self.release = None

        async def acomplete(self, request):
            if self.release is None:
                self.release = asyncio.Event()
            if slow_name in request.messages[0]["content"]:
                await asyncio.wait_for(self.release.wait(), timeout=20)
            return await ScriptedChatModel().acomplete(request)

    model = Gate()

    async def run():
        async for line in arun_episodes(specs, concurrency=4, models={"customer": model}):
            finished.append(json.loads(line)["episode_id"])

    async def watch():
        # others complete while the slow call is still waiting; then let it go
        while True:
            await asyncio.sleep(0.01)
            if model.release is not None and _completed_others() >= 8:
                model.release.set()
                return

    done_others = []

    def _completed_others():
        return len(done_others)

    from aisalesman.evaluation import runner as runner_mod

    original = runner_mod.arun_episode

    async def tracking(spec, models=None):
        t = await original(spec, models)
        if spec.persona.crm.name != slow_name:
            done_others.append(spec.episode_id)
        return t

    runner_mod.arun_episode = tracking
    try:
        async def main():
            await asyncio.gather(run(), watch())

        asyncio.run(main())
    finally:
        runner_mod.arun_episode = original
    assert finished == [s.episode_id for s in specs]  # output order stays fixed
    assert len(done_others) == 11


def test_llm_settings_are_checked_before_anything_is_written(tmp_path):
    two_workers = _cfg(tmp_path, "w", workers=2)  # a valid config: the benchmark refuses it for LLM runs
    with pytest.raises(ConfigError, match="workers"):
        run_benchmark(two_workers)
    assert not (tmp_path / "w").exists()
    with pytest.raises(ConfigError, match="customer_mode"):
        _cfg(tmp_path, "m", customer_mode="wild")


@LLM
def test_an_unreachable_server_is_found_before_anything_is_written(tmp_path):
    out = tmp_path / "dead"
    dead = _cfg(tmp_path, "dead", customer_llm={"backend": "openai", "model": "m", "base_url": "http://127.0.0.1:9/v1"})
    with pytest.raises(LLMConnectionError, match="cannot connect"):
        run_benchmark(dead)
    assert not (out / "transcripts.jsonl").exists()


def test_fidelity_metrics_flag_a_customer_that_sells_and_drifts(tmp_path):
    def bad_customer(request):
        return json.dumps({"utterance": "I run a gym with 300 employees. What are your needs? Our product helps with that.",
                           "decision": "continue"})

    from aisalesman.core.llm import chat_models

    chat_models.register("bad-customer", lambda *a, **k: ScriptedChatModel(responder=bad_customer), overwrite=True)
    res = run_benchmark(_cfg(tmp_path, "bad", agents=["scripted"], customer_mode="free", max_turns=6,
                             customer_llm={"backend": "bad-customer"}))
    fid = res.rows[0]["fidelity"]
    assert fid["role_inversion_rate"] == 1.0 and fid["persona_drift_rate"] == 1.0
    assert fid["drift"]["employees"] > 0
    good = run_benchmark(_cfg(tmp_path, "good", agents=["scripted"], customer="persona"))
    assert good.rows[0]["fidelity"]["role_inversion_rate"] == 0.0 and good.rows[0]["fidelity"]["persona_drift_rate"] == 0.0


def test_crashed_llm_run_resumes_without_loss_or_duplication(tmp_path):
    full = run_benchmark(_cfg(tmp_path, "full", customer_mode="free", concurrency=8))
    lines = (full.out / "transcripts.jsonl").read_bytes().splitlines(keepends=True)
    cut = _cfg(tmp_path, "cut", customer_mode="free", concurrency=8)
    run_benchmark(cut)
    (tmp_path / "cut" / "transcripts.jsonl").write_bytes(b"".join(lines[:57]) + lines[57][:40])  # crash mid-line
    resumed = run_benchmark(cut, resume=True)
    assert resumed.episodes_run == len(lines) - 57
    assert (tmp_path / "cut" / "transcripts.jsonl").read_bytes() == (full.out / "transcripts.jsonl").read_bytes()


def test_shipped_llm_config_loads_and_runs_on_the_scripted_backend(tmp_path):
    from pathlib import Path

    path = Path(__file__).parents[2] / "configs" / "llm_customer.yaml"
    cfg = load_config(BenchmarkConfig, path=path, overrides=["customer_llm.backend=scripted", "customer_llm.cache=null",
                                                             f"out={tmp_path / 'run'}", "trials=1", "personas=dev"])
    assert cfg.customer == "llm" and cfg.customer_llm.base_url == "http://127.0.0.1:8000/v1" and cfg.concurrency == 32
    res = run_benchmark(cfg)
    assert len(_records(res.out)) == 200 and res.llm_stats["customer"]["calls"] > 0


def test_the_api_key_is_not_written_anywhere(tmp_path, stub_server, monkeypatch, caplog):
    monkeypatch.setenv("SECRET_LLM_KEY", "sk-do-not-leak-42")
    caplog.set_level("DEBUG")
    # some requests get an HTTP 400 whose message echoes the key, the headers and the body back
    with stub_server(faults=("echo",), fault_rate=0.2, seed=3) as (url, state):
        llm = {"backend": "openai", "model": "stub", "base_url": url, "api_key_env": "SECRET_LLM_KEY",
               "cache": str(tmp_path / "run" / "cache.jsonl")}
        res = run_benchmark(_cfg(tmp_path, "run", agents=["scripted"], customer_mode="free", concurrency=4,
                                 customer_llm=llm))
        assert state.last_authorization == "Bearer sk-do-not-leak-42" and state.served["echo"] > 0
    echoed = [r["stats"]["infra_error"] for r in _records(res.out) if r["termination_reason"] == "infra_error"]
    assert echoed and all("invalid api key '[redacted]'" in e for e in echoed)  # the echo reached the transcripts
    written = list(res.out.iterdir())
    assert {p.name for p in written} >= {"transcripts.jsonl", "config.yaml", "llm_stats.json", "cache.jsonl"}
    for p in written:
        assert "sk-do-not-leak-42" not in p.read_text()
    assert "sk-do-not-leak-42" not in caplog.text


def test_a_failed_start_keeps_the_previous_run_resumable(tmp_path):
    cfg = _cfg(tmp_path, "keep", agents=["scripted"], customer="persona")
    run_benchmark(cfg)
    before = {p.name: p.read_bytes() for p in cfg_out(tmp_path, "keep").iterdir()}
    bad = _cfg(tmp_path, "keep", agents=["scripted"], customer="persona", overrides=["agent_config.scripted.colour=red"])
    with pytest.raises(ConfigError, match="does not accept"):
        run_benchmark(bad, overwrite=True)
    assert {p.name: p.read_bytes() for p in cfg_out(tmp_path, "keep").iterdir()} == before
    assert run_benchmark(cfg, resume=True).episodes_run == 0


def cfg_out(tmp_path, name):
    return tmp_path / name
