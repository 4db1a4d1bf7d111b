"""A separately installed package adds an agent through the ``aisalesman.agents`` entry
point; the command line benchmarks it by name with constructor arguments from a file."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

PLUGIN_MODULE = '''
"""A plug-in salesman: greets with a configurable line, asks about needs, then closes."""

import random

from aisalesman.agents import AgentTurn
from aisalesman.core.types import SalesAct


class CourteousAgent:
    def __init__(self, greeting="Hello", closes_after=3):
        self.greeting = greeting
        self.closes_after = closes_after
        self.turn = 0
        self.rng = random.Random(0)

    def reset(self, view, *, seed):
        self.view = view
        self.turn = 0
        self.rng = random.Random(seed)

    def act(self, observation):
        self.turn += 1
        crm = self.view.crm
        if self.turn == 1:
            return AgentTurn(f"{self.greeting} {crm.name.split()[0]}, this is {self.view.salesman_name} from "
                             f"{self.view.product.company}.", (SalesAct.GREET, SalesAct.INTRODUCE))
        if self.turn < self.closes_after:
            return AgentTurn("May I ask what your biggest challenge is right now?", (SalesAct.ASK_NEED,))
        return AgentTurn("Shall we get you started today?", (SalesAct.PROPOSE_CLOSE,))
'''

PYPROJECT = '''
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "aisalesman-courteous"
version = "0.1.0"
requires-python = ">=3.10"

[project.entry-points."aisalesman.agents"]
courteous = "courteous_agent:CourteousAgent"

[tool.setuptools]
py-modules = ["courteous_agent"]
'''


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory):
    src = tmp_path_factory.mktemp("plugin-src")
    (src / "courteous_agent.py").write_text(textwrap.dedent(PLUGIN_MODULE))
    (src / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                             "--no-index", "--target", str(target), str(src)], capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr
    assert (target / "courteous_agent.py").exists()
    return target


def _cli(plugin_path, *args, cwd):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(plugin_path), "COLUMNS": "160"}
    return subprocess.run([sys.executable, "-m", "aisalesman.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=1800)


def test_installed_plugin_agent_is_listed_and_benchmarked_by_name(plugin_path, tmp_path):
    listed = _cli(plugin_path, "list", cwd=tmp_path)
    assert listed.returncode == 0 and "courteous" in listed.stdout
    config = tmp_path / "agents.yaml"
    config.write_text("courteous:\n  greeting: Good afternoon\n  closes_after: 4\n")
    result = _cli(plugin_path, "benchmark", "--agents", "courteous,scripted", "--agent-config", str(config),
                  "--personas", "dev", "--trials", "1", "--out", str(tmp_path / "run"), "--quiet",
                  "agent_config.courteous.closes_after=5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (tmp_path / "run" / "transcripts.jsonl").read_text().splitlines()]
    mine = [r for r in records if r["agent"] == "courteous"]
    assert len(mine) == 100
    assert all(r["turns"][0]["text"].startswith("Good afternoon ") for r in mine)
    # the override on the command line wins over the file: the first close is the salesman's fifth turn
    first_close = next(t["index"] for t in mine[0]["turns"] if t["speaker"] == "salesman" and "started" in t["text"])
    assert first_close == 8
    assert "closes_after: 5" in (tmp_path / "run" / "config.yaml").read_text()
    board = json.loads((tmp_path / "run" / "leaderboard.json").read_text())
    assert [row["agent"] for row in board] == ["courteous", "scripted"]


def test_installed_plugin_passes_the_conformance_check(plugin_path):
    code = "from aisalesman.testing import check_agent; check_agent('courteous', greeting='Hi'); print('conforms')"
    env = {**os.environ, "PYTHONPATH": str(plugin_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=1800)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "conforms"


@pytest.mark.parametrize("content, needle", [
    ("[courteous]\n", "must map agent names"),
    ("courteous: 3\n", "agent 'courteous': arguments must be a mapping"),
    ("courteous: {colour: red}\n", "does not accept ['colour']"),
])
def test_bad_agent_config_files_are_one_line_errors(plugin_path, tmp_path, content, needle):
    config = tmp_path / "agents.yaml"
    config.write_text(content)
    result = _cli(plugin_path, "benchmark", "--agents", "courteous", "--agent-config", str(config), "--personas", "dev",
                  "--trials", "1", "--out", str(tmp_path / "run"), "--quiet", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], result.stderr
