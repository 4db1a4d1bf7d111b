"""The README's commands run, and its generated tables match the code."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aisalesman.customers.replies import act_effects_markdown

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands():
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines()
            if line.strip().startswith("aisalesman ")]


def test_readme_opens_with_the_two_make_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    assert "make demo" in first_block and "make test" in first_block


def test_act_effect_table_is_the_data_file():
    assert act_effects_markdown() in README


def _outputs(command: str) -> list[str]:
    """The paths a command writes (``--out PATH`` or ``out=PATH``)."""
    args = shlex.split(command)
    found = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--out"]
    return found + [a.split("=", 1)[1] for a in args if a.startswith("out=")]


def _inputs(command: str) -> list[str]:
    """Every argument (or ``key=value`` value, or ``rllib:`` path) that might name a file."""
    values = []
    for a in shlex.split(command):
        v = a.split("=", 1)[1] if "=" in a else a
        values += [x.split(":", 1)[-1] for x in v.split(",")]
    return values


COMMANDS = _commands()
#: What a command reads that an earlier README command writes: README tests run in any order, or alone.
NEEDS = {c: [d for d in COMMANDS if d != c and any(i == o or i.startswith(o + "/") for o in _outputs(d)
                                                   for i in _inputs(c))] for c in COMMANDS}
#: Commands that train or fit a posterior (tens of seconds, and the train/bayes extras): the slow suite.
SLOW = ("aisalesman train ", "aisalesman fit-bayes ", "rllib:")


def _marks(command: str) -> list:
    chain = [command, *NEEDS[command]]
    return [pytest.mark.slow] if any(s in c for c in chain for s in SLOW) else []


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "configs", work / "configs")
    return work


def _run(command: str, workdir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "aisalesman.cli", *shlex.split(command)[1:]], cwd=workdir,
                          capture_output=True, text=True, env=env, timeout=1800)


_DONE: set[str] = set()


def _ensure(command: str, workdir: Path) -> None:
    """Run ``command`` (after what it needs) once in ``workdir``."""
    if command in _DONE:
        return
    for need in NEEDS[command]:
        _ensure(need, workdir)
    result = _run(command, workdir)
    assert result.returncode == 0, f"{command}\n{result.stderr}"
    _DONE.add(command)


def test_readme_dependencies_are_found():
    needs = {c.split(" --")[0]: [d.split(" --")[0] for d in ds] for c, ds in NEEDS.items()}
    assert needs["aisalesman report runs/bench"] == ["aisalesman benchmark"]
    assert len(NEEDS[next(c for c in COMMANDS if c.startswith("aisalesman train "))]) == 2


@pytest.mark.parametrize("command", [pytest.param(c, marks=_marks(c)) for c in COMMANDS])
def test_readme_command_runs(command, workdir):
    """Smoke test (labelled as such): the command, as the README shows it, exits 0 and prints something.

    What each command computes and writes is asserted by that command's own tests (test_cli.py,
    test_benchmark.py, test_corpus.py, test_library.py, test_bayes.py, test_rllib.py, ...).
    """
    for need in NEEDS[command]:
        _ensure(need, workdir)
    if command in _DONE:  # it already ran as another test's prerequisite: run it afresh
        for out in _outputs(command):
            target = workdir / out
            shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    result = _run(command, workdir)
    assert result.returncode == 0, f"{command}\n{result.stderr}"
    assert result.stdout.strip()
    _DONE.add(command)
