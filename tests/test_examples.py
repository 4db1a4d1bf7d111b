"""Every example runs, and prints what it claims to show."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.extras import LLM, need

ROOT = Path(__file__).parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


#: Examples whose full run takes long get a small one here (the full run is documented in each).
ARGS = {"noise_robustness.py": ["--seeds", "0", "--noise", "0.2", "--env-steps", "1000", "--corpus-n", "120",
                                "--eval-episodes", "10", "--bc-steps", "50", "--ablation-episodes", "10"]}


def run(path, cwd):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), "RAY_AUTH_MODE": "disabled"}
    return subprocess.run([sys.executable, str(path), *ARGS.get(path.name, [])], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=1800)  # a hang guard for a loaded machine


def test_examples_exist():
    assert {p.name for p in EXAMPLES} >= {"quickstart.py", "register_agent.py", "act_level_gym.py"}


#: Examples that train (Ray, numpyro) or run a whole experiment: the slow suite.
SLOW = {"noise_robustness.py", "doga_effect.py"}
#: Examples that need an optional extra (skipped on a core-only install).
EXTRAS = {"serve_client.py": LLM, "noise_robustness.py": need("train", "ray", "numpyro")}


def _marks(path: Path) -> list:
    return ([pytest.mark.slow] if path.name in SLOW else []) + ([EXTRAS[path.name]] if path.name in EXTRAS else [])


@pytest.mark.parametrize("path", [pytest.param(p, marks=_marks(p), id=p.name) for p in EXAMPLES])
def test_example_runs(path, tmp_path):
    result = run(path, tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    if path.name == "quickstart.py":
        assert "salesman:" in out and "customer:" in out and "[call ended:" in out
    elif path.name == "register_agent.py":
        assert re.search(r"evidence_first: conversion .* over 200 calls", out)
        assert (tmp_path / "runs" / "register_agent_example" / "leaderboard.json").exists()
    elif path.name == "act_level_gym.py":
        returns = dict(re.findall(r"^\s*(.+?): mean return ([-+0-9.]+)", out, re.M))
        assert float(returns["needs-first heuristic"]) > float(returns["masked random"])
    elif path.name == "doga_effect.py":
        table = out.strip().split("\n", 1)[1]
        assert table.count("| *difference* |") == 4
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        assert table in readme  # the README reports the measured figures
    elif path.name == "noise_robustness.py":
        done = tmp_path / "runs" / "noise_robustness"
        assert (done / "table.md").read_text().count("| 0.2 |") == 3  # one row per method
        assert (done / "bc_ablation.md").read_text().count("| 0.2 |") == 4  # one row per weighting
        assert (done / "curves.png").stat().st_size > 0
        report = json.loads((done / "results.json").read_text())
        assert set(report["cells"]) == {"ppo@0.2", "bc_ppo@0.2", "bayes_ppo@0.2"}
        assert all(len(c["sampled_final"]) == 1 for c in report["cells"].values())
        ablation = report["bc_ablation"]["0.2"]
        assert set(ablation) == {"none", "raw labels", "posterior", "true outcome"}
        # under "true outcome" a salesman's mean weight is its true success rate in the corpus
        corpus = [json.loads(x) for x in (done / "noise_0.2" / "corpus.jsonl").read_text().splitlines()]
        by_agent = ablation["true outcome"]["mean_weight_by_agent"]
        assert len(corpus) == 120 and set(by_agent) == {d["agent"] for d in corpus}  # --corpus-n 120
        for agent, w in by_agent.items():
            assert w == pytest.approx(np.mean([d["true_success"] for d in corpus if d["agent"] == agent]))
    elif path.name == "serve_client.py":
        assert "100 customers served at http://127.0.0.1:" in out and "customer:" in out
        assert "call over:" in out or "call still open" in out
    else:
        pytest.fail(f"{path.name} runs, but nothing checks what it prints: add its checks here")
