"""Every command that writes keeps one promise: nothing it did not write is deleted, truncated or replaced."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aisalesman.cli import main
from tests.extras import need

TRAIN_EXTRA = need("train", "ray", "torch", "tensorboardX")

FOREIGN = {"theirs.jsonl": b'{"precious": true}\n', "theirs.json": b'{"precious": true}\n',
           "theirs.yaml": b"precious: true\n", "binary.jsonl": b"\x00\xff\xfe" * 50}


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    for name, data in FOREIGN.items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


WRITERS = {
    "personas": ["personas", "generate", "--n", "3"],
    "corpus": ["corpus", "generate", "--n", "2"],
    "import": ["corpus", "import", "{corpus}"],
    "library": ["build-library", "--corpus", "{corpus}"],
    "posterior": ["fit-bayes", "--corpus", "{corpus}"],
}
TARGETS = {"personas": ["theirs.jsonl", "theirs.json", "theirs.yaml", "binary.jsonl"],
           "corpus": ["theirs.jsonl", "binary.jsonl"], "import": ["theirs.jsonl", "binary.jsonl"],
           "library": ["theirs.json"], "posterior": ["theirs.json"]}


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> str:
    from aisalesman.data.corpus import write_corpus
    from aisalesman.evaluation.corpus_gen import generate_corpus

    path = tmp_path_factory.mktemp("corpus") / "c.jsonl"
    write_corpus(generate_corpus(4, label_noise=0.2, seed=1), path)
    return str(path)


@pytest.mark.parametrize("command, target", [(c, t) for c in WRITERS for t in TARGETS[c]])
def test_overwrite_never_replaces_a_file_the_command_did_not_write(workdir, capsys, corpus_file, command, target):
    args = [a.format(corpus=corpus_file) for a in WRITERS[command]]
    before = snapshot(workdir)
    code, err = run(capsys, *args, "--out", target)
    assert code == 2 and "exists; pass --overwrite" in err
    code, err = run(capsys, *args, "--out", target, "--overwrite")
    assert code == 2 and "written by aisalesman; refusing to replace it" in err and target in err
    assert snapshot(workdir) == before  # no temporary file left either


@pytest.mark.parametrize("command, out", [("personas", "people.yaml"), ("corpus", "c.jsonl")])
def test_overwrite_replaces_the_commands_own_output(workdir, capsys, command, out):
    assert run(capsys, *WRITERS[command], "--out", out)[0] == 0
    first = (workdir / out).read_bytes()
    assert run(capsys, *WRITERS[command], "--seed", "5", "--out", out)[0] == 2
    assert (workdir / out).read_bytes() == first
    assert run(capsys, *WRITERS[command], "--seed", "5", "--out", out, "--overwrite")[0] == 0
    assert (workdir / out).read_bytes() != first
    assert sorted(p.name for p in workdir.iterdir()) == sorted([*FOREIGN, out])


@pytest.mark.parametrize("name, data", [("obj.jsonl", b'{"a": 1}\n'), ("bin.jsonl", b"\x00\x01\xff"),
                                        ("torn.jsonl", b'{"a": 1}'), ("list.jsonl", b"[1, 2]\n"),
                                        ("dir.jsonl", None), ("file.txt/cache.jsonl", None)])
def test_llm_cache_that_is_not_a_cache_is_refused_untouched(workdir, capsys, name, data):
    (workdir / "dir.jsonl").mkdir()
    (workdir / "file.txt").write_text("mine")
    if data is not None:
        (workdir / name).write_bytes(data)
    before = snapshot(workdir)
    code, err = run(capsys, "benchmark", "--agents", "scripted", "--customer", "llm", "--customer-backend", "scripted",
                    "--trials", "1", "--personas", "dev", "--quiet", "--llm-cache", name, "--out", "run")
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and name.split("/")[0] in err
    assert snapshot(workdir) == before and not (workdir / "run").exists()


def test_a_torn_cache_line_of_ours_is_repaired(workdir, capsys):
    args = ["benchmark", "--agents", "scripted", "--customer", "llm", "--customer-backend", "scripted",
            "--customer-mode", "free", "--trials", "1", "--personas", "dev", "--quiet", "--llm-cache", "c.jsonl"]
    assert run(capsys, *args, "--out", "a")[0] == 0
    cache = (workdir / "c.jsonl").read_bytes()
    (workdir / "c.jsonl").write_bytes(cache + cache.splitlines(keepends=True)[0][:30])  # a crash mid-append
    assert run(capsys, *args, "--out", "b", "--cache-mode", "read_write")[0] == 0
    assert (workdir / "c.jsonl").read_bytes() == cache
    assert (workdir / "a" / "transcripts.jsonl").read_bytes() == (workdir / "b" / "transcripts.jsonl").read_bytes()


@pytest.mark.parametrize("command", [["benchmark", "--agents", "random", "--trials", "1", "--quiet"],
                                     pytest.param(["train"], marks=TRAIN_EXTRA)], ids=["benchmark", "train"])
def test_every_run_directory_command_has_the_same_overwrite_rule(workdir, capsys, command):
    code, err = run(capsys, *command, "--resume", "--overwrite", "--out", "r")
    assert code == 2 and "--resume and --overwrite exclude each other" in err, command
    assert not (workdir / "r").exists()


@TRAIN_EXTRA
def test_a_folder_of_user_files_is_never_emptied(workdir, capsys):
    (workdir / "sub").mkdir()
    (workdir / "sub" / "precious.txt").write_text("mine")
    (workdir / "sub" / "config.yaml").write_text("mine too\n")
    (workdir / "metrics.jsonl").write_text("mine as well\n")
    before = snapshot(workdir)
    for args in (["train", "--overwrite", "--out", "sub"], ["train", "--overwrite", "--out", "."],
                 ["train", "--overwrite", "--out", "sub", "method=sarsa"],
                 ["benchmark", "--overwrite", "--out", "sub", "--agents", "random", "--trials", "1", "--quiet"]):
        code, err = run(capsys, *args)
        assert code == 2, args
    assert snapshot(workdir) == before


def test_a_bad_config_is_reported_before_an_old_run_is_touched(workdir, capsys):
    assert run(capsys, "benchmark", "--agents", "random", "--trials", "1", "--quiet", "--out", "run")[0] == 0
    (workdir / "run" / "precious.txt").write_text("mine")
    before = snapshot(workdir)
    for bad in (["--agents", "scriptd"], ["--personas", "missing.jsonl"], ["trials=0"]):
        code, err = run(capsys, "benchmark", "--overwrite", "--out", "run", "--quiet", *bad)
        assert code == 2 and "Traceback" not in err, bad
    assert snapshot(workdir) == before


def test_sigterm_leaves_the_old_file_and_no_temporary_file(tmp_path):
    out = tmp_path / "c.jsonl"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "aisalesman.cli", "corpus", "generate", "--n", "3", "--out", str(out)]
    assert subprocess.run(cmd, env=env, capture_output=True, timeout=1800).returncode == 0
    before = out.read_bytes()
    cmd[cmd.index("3")] = "100000"
    proc = subprocess.Popen([*cmd, "--overwrite"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):  # writing has started
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 130, stderr
    assert b"interrupted" in stderr and b"Traceback" not in stderr
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]
    assert json.loads(before.splitlines()[0])["id"] == "syn-000000"
