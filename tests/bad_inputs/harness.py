"""Running one bad-input case and checking what a user would see.

A case runs the command in-process (``aisalesman.cli.main``, fast) or, where the process
itself matters (a missing optional extra, a real server start), in a subprocess. Either way
the verdict is the same: exit status 2, one line on stderr starting ``error:`` that names
the culprit, no traceback, and the working directory's files untouched.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "RAY_AUTH_MODE": "disabled", "COLUMNS": "160"}


@dataclass
class Result:
    code: int | str  # the exit status, or the name of an exception that escaped main()
    out: str
    err: str
    logged: list[str]  # records at WARNING and above: the real command prints each on stderr


def run_in_process(argv: list[str], capsys, caplog) -> Result:
    """``aisalesman ARGV`` in this process, stdout and stderr captured."""
    import traceback

    from aisalesman.cli import main

    capsys.readouterr()
    caplog.clear()
    try:
        code: int | str = main(argv)
    except BaseException as err:  # noqa: BLE001  (what escaped is the finding)
        code = type(err).__name__
        print("".join(traceback.format_exception(err))[-3000:], file=sys.stderr)
    captured = capsys.readouterr()
    logged = [f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING]
    return Result(code, captured.out, captured.err, logged)


def run_subprocess(argv: list[str], cwd: Path, *, pythonpath: Path | None = None, timeout: float = 600) -> Result:
    """``python -m aisalesman.cli ARGV`` in ``cwd``; ``pythonpath`` goes first on the path (shims)."""
    env = dict(ENV)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
    try:
        done = subprocess.run([sys.executable, "-m", "aisalesman.cli", *argv], capture_output=True, text=True,
                              env=env, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        out = err.stdout.decode(errors="replace") if isinstance(err.stdout, bytes) else (err.stdout or "")
        return Result("TimeoutExpired", out, f"still running after {timeout} s", [])
    return Result(done.returncode, done.stdout, done.stderr, [])


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and directory (None) under ``root``."""
    out: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        out[rel] = None if path.is_dir() else path.read_bytes()
    return out


def _stats(root: Path) -> dict[str, tuple[int, int] | None]:
    """``(size, mtime_ns)`` of every file, None for every directory: a cheap test for "anything changed"."""
    out: dict[str, tuple[int, int] | None] = {}
    for path in root.rglob("*"):
        st = path.lstat()
        out[path.relative_to(root).as_posix()] = None if path.is_dir() else (st.st_size, st.st_mtime_ns)
    return out


@dataclass
class Tree:
    """A working directory and what was in it, to check a case against and to put back after it."""

    root: Path
    content: dict[str, bytes | None]
    stats: dict[str, tuple[int, int] | None]

    @classmethod
    def take(cls, root: Path) -> Tree:
        return cls(root, snapshot(root), _stats(root))

    def restore(self) -> None:
        """Remove what is new and rewrite what changed, so the next case finds the same files."""
        now = _stats(self.root)
        for rel in sorted(set(now) - set(self.content), reverse=True):
            path = self.root / rel
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        for rel, content in self.content.items():
            if rel in now and now[rel] == self.stats[rel]:
                continue
            path = self.root / rel
            if content is None:
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            st = path.stat()
            self.stats[rel] = (st.st_size, st.st_mtime_ns)


def check_user_error(result: Result, needles: tuple[str, ...]) -> None:
    """Exit 2, exactly one stderr line ``error: ...`` naming every needle, no traceback."""
    shown = f"exit {result.code}\n--- stdout\n{result.out}\n--- stderr\n{result.err}\n--- logged\n{result.logged}"
    assert "Traceback" not in result.out + result.err, shown
    assert result.code == 2, shown
    lines = [line for line in result.err.splitlines() if line.strip()] + result.logged
    assert len(lines) == 1, shown
    assert lines[0].startswith("error: "), shown
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not named in: {lines[0]}"


def check_untouched(tree: Tree) -> None:
    """Every file that was there is there, byte for byte; no ``.tmp`` file was left behind."""
    before, after = tree.content, snapshot(tree.root)
    changed = [name for name, content in before.items() if after.get(name, b"<gone>") != content]
    assert not changed, f"changed or removed: {changed}"
    leftovers = [name for name in after if name not in before and ".tmp" in Path(name).name]
    assert not leftovers, f"temporary files left behind: {leftovers}"
