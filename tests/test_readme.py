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


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "configs", work / "configs")
    return work


@pytest.mark.parametrize("command", _commands())
def test_readme_command_runs(command, workdir):
    args = shlex.split(command)[1:]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "aisalesman.cli", *args], cwd=workdir, capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.returncode == 0, f"{command}\n{result.stderr}"
    assert result.stdout.strip()
