"""The one output mechanism: atomic writes, provable ownership, resume, overwrite, incomplete runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aisalesman.core.errors import ConfigError, DataFileError
from aisalesman.core.rundir import (
    MANIFEST,
    RunDir,
    atomic_write,
    atomic_writer,
    check_output_file,
    repair_torn_tail,
    run_status,
)

OUTPUTS = ("results.jsonl", "summary.json", "tb")


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def open_run(path: Path, config: str = "a: 1\n", **flags) -> RunDir:
    return RunDir.open(path, kind="demo", outputs=OUTPUTS, derived=("summary.json",), config_text=config, **flags)


def finished_run(path: Path, config: str = "a: 1\n") -> RunDir:
    run = open_run(path, config)
    run.begin(config)
    with run.appender("results.jsonl") as fh:
        fh.write('{"n": 1}\n')
    run.write("summary.json", "{}\n")
    (run.claim("tb") / "events").parent.mkdir()
    (run.path / "tb" / "events").write_text("x")
    run.finish()
    return run


def test_atomic_writer_leaves_the_target_and_no_temp_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    with pytest.raises(KeyboardInterrupt), atomic_writer(target) as fh:
        fh.write("half of the new")
        raise KeyboardInterrupt
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    atomic_write(target, "new\n")
    assert target.read_text() == "new\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    atomic_write(tmp_path / "sub" / "b.bin", b"\x00\x01")
    assert (tmp_path / "sub" / "b.bin").read_bytes() == b"\x00\x01"


def test_atomic_write_keeps_the_permissions_a_plain_write_would_give(tmp_path: Path) -> None:
    new, kept = tmp_path / "new.json", tmp_path / "kept.json"
    (tmp_path / "plain.json").write_text("{}")
    atomic_write(new, "{}")
    assert new.stat().st_mode & 0o777 == (tmp_path / "plain.json").stat().st_mode & 0o777
    kept.write_text("{}")
    kept.chmod(0o640)
    atomic_write(kept, "[]")
    assert kept.stat().st_mode & 0o777 == 0o640


def test_atomic_writer_names_the_file_it_cannot_write(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("mine")
    with pytest.raises(DataFileError, match="file.txt/out.json: cannot write"):
        atomic_write(blocker / "out.json", "{}")
    assert blocker.read_text() == "mine"


@pytest.mark.parametrize("content, kept", [(b'{"a": 1}\n{"b": 2}\n{"c', b'{"a": 1}\n{"b": 2}\n'),
                                          (b'{"a": 1}\n', b'{"a": 1}\n'), (b"", b""), (b'{"torn', b"")])
def test_repair_torn_tail_cuts_only_a_partial_last_line(tmp_path: Path, content: bytes, kept: bytes) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(content)
    assert repair_torn_tail(path) == len(content) - len(kept)
    assert path.read_bytes() == kept


def test_repair_torn_tail_finds_a_newline_far_back(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"x\n" + b"y" * 200_000)
    repair_torn_tail(path)
    assert path.read_bytes() == b"x\n"


def _check(path: Path, overwrite: bool = False, recognise=lambda p: p.read_text().startswith("ours")) -> Path:
    return check_output_file(path, suffixes=(".jsonl",), what="a demo file", overwrite=overwrite, recognise=recognise)


def test_an_output_file_is_replaced_only_with_overwrite_and_only_if_it_is_ours(tmp_path: Path) -> None:
    ours, theirs, empty = tmp_path / "ours.jsonl", tmp_path / "theirs.jsonl", tmp_path / "empty.jsonl"
    ours.write_text("ours\n")
    theirs.write_text('{"precious": true}\n')
    empty.write_text("")
    assert _check(tmp_path / "new.jsonl") == tmp_path / "new.jsonl"
    with pytest.raises(ConfigError, match="exists; pass --overwrite"):
        _check(ours)
    assert _check(ours, overwrite=True) == ours
    assert _check(empty, overwrite=True) == empty
    with pytest.raises(ConfigError, match="is not a demo file written by aisalesman; refusing"):
        _check(theirs, overwrite=True)

    def broken(p: Path) -> bool:
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad")

    with pytest.raises(ConfigError, match="refusing"):
        _check(ours, overwrite=True, recognise=broken)  # an unreadable file is not provably ours


@pytest.mark.parametrize("name, message", [("out.txt", "written as .jsonl"), ("dir.jsonl", "is a directory"),
                                           ("file.jsonl/x.jsonl", "is not a directory")])
def test_bad_output_paths_are_refused_before_writing(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "dir.jsonl").mkdir()
    (tmp_path / "file.jsonl").write_text("ours\n")
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError, match=message):
        _check(tmp_path / name, overwrite=True)
    assert snapshot(tmp_path) == before


def test_a_run_starts_resumes_and_is_marked_complete(tmp_path: Path) -> None:
    run = finished_run(tmp_path / "run")
    assert run_status(run.path) == "complete"
    manifest = json.loads((run.path / MANIFEST).read_text())
    assert manifest["files"] == ["config.yaml", "results.jsonl", "summary.json", "tb"]
    with pytest.raises(ConfigError, match="already holds a run; pass --resume"):
        open_run(run.path)
    with pytest.raises(ConfigError, match="config differs"):
        open_run(run.path, "a: 2\n", resume=True)
    with pytest.raises(ConfigError, match="exclude each other"):
        open_run(run.path, resume=True, overwrite=True)
    again = open_run(run.path, resume=True)
    (run.path / "results.jsonl").write_bytes(b'{"n": 1}\n{"n": 2')  # a crash mid-line
    again.begin("a: 1\n")
    assert run_status(run.path) == "running"
    assert not (run.path / "summary.json").exists()  # derived: recomputed at the end
    with again.appender("results.jsonl") as fh:
        fh.write('{"n": 2}\n')
    assert (run.path / "results.jsonl").read_text() == '{"n": 1}\n{"n": 2}\n'
    assert (run.path / "tb" / "events").exists()


def test_overwrite_removes_only_what_the_run_recorded(tmp_path: Path) -> None:
    run = finished_run(tmp_path / "run")
    (run.path / "precious.txt").write_text("mine")
    (run.path / "notes").mkdir()
    (run.path / "notes" / "a.md").write_text("mine too")
    config_error = open_run(run.path, overwrite=True)  # validation passes; nothing removed yet
    assert (run.path / "results.jsonl").exists() and (run.path / "tb").exists()
    config_error.begin("a: 1\n")
    assert sorted(p.name for p in run.path.iterdir()) == ["config.yaml", "notes", "precious.txt", MANIFEST]
    assert (run.path / "precious.txt").read_text() == "mine" and (run.path / "notes" / "a.md").exists()
    assert run_status(run.path) == "running"


def test_a_folder_holding_a_runs_names_but_no_manifest_is_refused(tmp_path: Path) -> None:
    (tmp_path / "results.jsonl").write_text("someone else's\n")
    (tmp_path / "precious.txt").write_text("mine")
    before = snapshot(tmp_path)
    for flags in ({}, {"overwrite": True}, {"resume": True}):
        with pytest.raises(ConfigError, match="no run.json, so it is not a run this aisalesman wrote"):
            open_run(tmp_path, **flags)
    assert snapshot(tmp_path) == before


def test_a_folder_with_other_files_can_hold_a_new_run(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("mine")
    finished_run(tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "mine" and run_status(tmp_path) == "complete"
    with pytest.raises(ConfigError, match="holds no run to resume"):
        open_run(tmp_path / "empty", resume=True)


@pytest.mark.parametrize("text", ["not json", "[]", '{"format": "aisalesman-run", "version": 9}', "\udcff"])
def test_a_bad_manifest_is_a_one_line_error_naming_it(tmp_path: Path, text: str) -> None:
    (tmp_path / MANIFEST).write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(DataFileError, match=MANIFEST):
        open_run(tmp_path, overwrite=True)


def test_a_manifest_of_another_kind_is_not_replaced(tmp_path: Path) -> None:
    finished_run(tmp_path)
    with pytest.raises(ConfigError, match="holds a demo run, not a other run"):
        RunDir.open(tmp_path, kind="other", outputs=OUTPUTS, config_text="", overwrite=True)
    with pytest.raises(ConfigError, match="is not a directory"):
        open_run(tmp_path / "results.jsonl")
