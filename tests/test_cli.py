"""The command line: happy paths and one-line errors with exit status 2."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.extras import LLM, TORCH

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "RAY_AUTH_MODE": "disabled", "COLUMNS": "160"}


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "aisalesman.cli", *args], capture_output=True, text=True,
                          env=ENV, cwd=cwd, timeout=1800)


def run_cli(*args) -> subprocess.CompletedProcess:
    """``aisalesman ARGS`` in this process (much faster than :func:`cli`; the same output and status)."""
    import contextlib
    import io

    from aisalesman.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main([str(a) for a in args])
    return subprocess.CompletedProcess(["aisalesman", *args], code, stdout.getvalue(), stderr.getvalue())


def assert_user_error(result, *needles):
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_help_lists_the_commands():
    result = cli("--help")
    assert result.returncode == 0
    for command in ("benchmark", "simulate", "personas", "list", "serve"):
        assert command in result.stdout


def test_simulate_prints_a_call():
    result = cli("simulate", "--agent", "adaptive", "--persona", "test-0003", "--product", "linkpro-fibre", "--seed", "2")
    assert result.returncode == 0, result.stderr
    assert "salesman" in result.stdout and "customer" in result.stdout and "outcome:" in result.stdout
    again = cli("simulate", "--agent", "adaptive", "--persona", "test-0003", "--product", "linkpro-fibre", "--seed", "2")
    assert again.stdout == result.stdout


def test_generated_personas_can_be_edited_and_passed_back(tmp_path):
    people = tmp_path / "people.jsonl"
    result = cli("personas", "generate", "--n", "6", "--seed", "1", "--out", str(people))
    assert result.returncode == 0 and "wrote 6 personas" in result.stdout
    records = [json.loads(line) for line in people.read_text().splitlines()]
    records[0]["crm"]["name"] = "Edited Name"
    people.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = cli("benchmark", "--agents", "scripted", "--personas", str(people), "--trials", "1",
                 "--out", str(tmp_path / "run"), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "Leaderboard" in result.stdout and "Conversion by segment" in result.stdout
    transcripts = (tmp_path / "run" / "transcripts.jsonl").read_text().splitlines()
    assert len(transcripts) == 6


def test_overrides_and_config_files(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("agents: [random]\ntrials: 1\nagent_config:\n  random:\n    false_claim_prob: 1.0\n")
    result = cli("benchmark", "--config", str(config), "--out", str(tmp_path / "run"), "--quiet",
                 "personas=dev", "seed=3")
    assert result.returncode == 0, result.stderr
    resolved = (tmp_path / "run" / "config.yaml").read_text()
    assert "personas: dev" in resolved and "seed: 3" in resolved and "false_claim_prob: 1.0" in resolved


@pytest.mark.parametrize(
    "args, needles",
    [
        (["benchmark", "--agents", "scriptd"], ["unknown agent 'scriptd'", "did you mean 'scripted'"]),
        (["benchmark", "--personas", "tset"], ["unknown persona split 'tset'"]),
        (["benchmark", "--products", "bistro"], ["unknown product 'bistro'"]),
        (["benchmark", "--trials", "-1"], ["trials"]),
        (["benchmark", "--workers", "0"], ["workers"]),
        (["benchmark", "--personas", "missing.jsonl"], ["missing.jsonl", "no such file"]),
        (["benchmark", "nosuchkey=3"], ["nosuchkey"]),
        (["benchmark", "--goal", "fame"], ["goal"]),
        (["simulate", "--persona", "test-9999"], ["unknown persona 'test-9999'"]),
        (["simulate", "--agent", "randm"], ["did you mean 'random'"]),
        (["personas", "generate", "--n", "0", "--out", "x.jsonl"], ["--n: must be an integer in 1..1,000,000, got 0"]),
        (["benchmark", "--customer", "llm", "--customer-mode", "wild"], ["customer_mode", "wild"]),
        (["benchmark", "--customer", "llm", "--customer-backend", "opnai"], ["unknown LLM backend 'opnai'",
                                                                            "did you mean 'openai'"]),
        (["benchmark", "--customer", "llm"], ["needs a model name"]),
        pytest.param(["benchmark", "--customer", "llm", "--customer-backend", "openai", "--customer-model", "m",
                      "--customer-base-url", "http://127.0.0.1:9/v1"], ["http://127.0.0.1:9/v1", "cannot connect"],
                     marks=LLM),
        (["benchmark", "--customer", "llm", "--customer-backend", "scripted", "--workers", "2"], ["workers"]),
        pytest.param(["benchmark", "--customer", "llm", "--customer-backend", "transformers", "--customer-model",
                      "no/such-model"], ["cannot load transformers model 'no/such-model'"], marks=TORCH),
        (["benchmark", "--customer", "llm", "--customer-backend", "scripted", "--llm-cache", "none.jsonl",
          "--cache-mode", "replay"], ["none.jsonl", "no such cache file"]),
        (["benchmark", "--agents", "llm"], ["needs a model name"]),
        pytest.param(["simulate", "--agent", "llm", "--salesman-backend", "openai", "--salesman-model", "m",
                      "--salesman-base-url", "http://127.0.0.1:9/v1"], ["cannot connect"], marks=LLM),
        (["benchmark", "customer_llm.temperature=9"], ["temperature"]),
    ],
)
def test_user_errors_are_one_line_with_status_2(tmp_path, args, needles):
    assert_user_error(cli(*args, cwd=tmp_path), *needles)


def test_malformed_and_invalid_files(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "p1", "crm": {}}\n')
    assert_user_error(cli("benchmark", "--personas", str(bad), "--out", str(tmp_path / "o")), str(bad), "record 1", "crm")
    broken = tmp_path / "product.yaml"
    broken.write_text("key: [oops\n")
    assert_user_error(cli("benchmark", "--products", str(broken), "--out", str(tmp_path / "o")), str(broken), "YAML")
    wrong = tmp_path / "p2.yaml"
    wrong.write_text("key: x\nname: X\n")
    assert_user_error(cli("simulate", "--product", str(wrong)), str(wrong))
    assert not (tmp_path / "o").exists()


def test_a_usage_error_exits_2(tmp_path):
    result = cli("benchmark", "--trials", "many")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_existing_results_are_kept(tmp_path):
    out = tmp_path / "run"
    first = cli("benchmark", "--agents", "random", "--trials", "1", "--out", str(out), "--quiet")
    assert first.returncode == 0
    before = (out / "transcripts.jsonl").read_bytes()
    assert_user_error(cli("benchmark", "--agents", "random", "--trials", "1", "--out", str(out), "--quiet"), "--resume")
    assert (out / "transcripts.jsonl").read_bytes() == before
    assert Path(out / "leaderboard.json").exists()


def test_transcripts_are_byte_identical_across_processes_and_hash_seeds():
    outputs = set()
    for hash_seed in ("0", "1", "12345"):
        result = subprocess.run([sys.executable, "-m", "aisalesman.cli", "simulate", "--agent", "random", "--persona",
                                 "dev-0042", "--product", "shieldplus-insurance", "--seed", "9", "--json"],
                                capture_output=True, text=True, env={**ENV, "PYTHONHASHSEED": hash_seed}, timeout=1800)
        assert result.returncode == 0, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1
    record = json.loads(outputs.pop())
    assert record["persona_id"] == "dev-0042" and record["seeds"]["run"] == 9


def test_llm_benchmark_from_the_command_line_replays_from_its_cache(tmp_path):
    flags = ["benchmark", "--agents", "scripted", "--customer", "llm", "--customer-backend", "scripted",
             "--customer-mode", "free", "--concurrency", "8", "--trials", "1", "--personas", "dev", "--quiet",
             "--llm-cache", str(tmp_path / "cache.jsonl")]
    first = cli(*flags, "--out", str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr
    assert "customer model scripted:" in first.stdout and "Customer fidelity" in first.stdout
    again = cli(*flags, "--cache-mode", "replay", "--out", str(tmp_path / "b"))
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "a" / "transcripts.jsonl").read_bytes() == (tmp_path / "b" / "transcripts.jsonl").read_bytes()
    stats = json.loads((tmp_path / "b" / "llm_stats.json").read_text())["customer"]
    assert stats["calls"] == 0 and stats["cache_hits"] > 0 and stats["cache_misses"] == 0


def test_list_shows_llm_backends():
    result = cli("list")
    assert result.returncode == 0 and "LLM backends:" in result.stdout and "transformers" in result.stdout
