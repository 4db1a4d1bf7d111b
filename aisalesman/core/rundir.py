"""Output files and run directories: the one way every command writes results.

The rules, the same for ``benchmark``, ``train``, ``corpus generate``, ``corpus import``,
``build-library``, ``fit-bayes`` and ``personas generate``:

* **Validate first.** A command checks every input before it writes, moves or removes
  anything: :func:`check_output_file` and :meth:`RunDir.open` only look; writing starts
  with the first :func:`atomic_write` or :meth:`RunDir.begin`.
* **One rule for existing outputs.** An output that already exists is an error unless the
  user passes ``--overwrite`` (replace it) or, for a run directory, ``--resume`` (continue
  it); both together are an error.
* **Only what is provably ours is replaced.** ``--overwrite`` replaces a single output file
  only if it is empty or recognisably the kind of file the command writes (a corpus, a
  script library, ...). In a run directory it removes only the files and folders listed in
  the directory's manifest (``run.json``), which the run recorded *before* creating each
  of them; nothing else in the directory is touched, and a directory whose names collide
  with a run's outputs but that has no manifest is refused.
* **Atomic writes.** Every file is written to a temporary file beside it and renamed over
  the target; the temporary file is removed on any failure, Ctrl-C and (through the
  command line's handler) SIGTERM included. :func:`atomic_writer` is the one writer;
  :func:`atomic_write` is its one-shot form.
* **Incomplete runs are marked.** A run directory's manifest says ``running`` from
  :meth:`RunDir.begin` until :meth:`RunDir.finish`; summaries derived from a run (a
  leaderboard) are removed when a run (re)starts, so a crash never leaves a previous run's
  summary beside new results, and :func:`run_status` lets ``report`` refuse an unfinished run.
* **Results say how they were made.** The manifest's ``info`` names, at a glance, what the
  results depend on most, such as the reader that read every utterance.
* **Torn lines are repaired.** Append-only JSONL files of a resumed run lose a partial last
  line (a crash mid-write) before appending continues (:func:`repair_torn_tail`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from aisalesman.core.errors import ConfigError, DataFileError

__all__ = [
    "MANIFEST",
    "RunDir",
    "atomic_write",
    "atomic_writer",
    "check_output_file",
    "first_jsonl_record",
    "json_format",
    "repair_torn_tail",
    "run_status",
    "unwritable_reason",
]

MANIFEST = "run.json"
_FORMAT = "aisalesman-run"
_VERSION = 1
_STATUSES = ("running", "complete")


# ------------------------------------------------------------------ atomic writing
@contextlib.contextmanager
def atomic_writer(path: str | Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """Write ``path`` through a temporary file in the same directory, renamed over it on success.

    Missing parent folders are created. On any exception (``KeyboardInterrupt`` included)
    the temporary file is removed and ``path`` is left as it was. OS failures become a
    :class:`DataFileError` naming ``path``.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise DataFileError(path, f"cannot write: {err.strerror or err}") from err
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as fh:
            yield fh
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600; give what a plain open() would
        os.replace(tmp, path)
    except OSError as err:
        raise DataFileError(path, f"cannot write: {err.strerror or err}") from err
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _mode_for(path: Path) -> int:
    """The replaced file's permissions, or those the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: str | Path, data: str | bytes) -> None:
    """Write all of ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, binary=isinstance(data, bytes)) as fh:
        fh.write(data)


def repair_torn_tail(path: str | Path) -> int:
    """Cut a partial last line (no final newline) off an append-only file of ours; return bytes cut."""
    path = Path(path)
    if not path.is_file():
        return 0
    size = path.stat().st_size
    with path.open("r+b") as fh:
        keep = _last_newline_end(fh, size)
        if keep < size:
            fh.truncate(keep)
    return size - keep


def _last_newline_end(fh: IO[bytes], size: int, block: int = 1 << 16) -> int:
    """The offset just after the last ``\\n`` in an open file (0 if there is none)."""
    end = size
    while end > 0:
        start = max(0, end - block)
        fh.seek(start)
        chunk = fh.read(end - start)
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            return start + cut + 1
        end = start
    return 0


# ------------------------------------------------------------------ single output files
def unwritable_reason(path: Path) -> str | None:
    """Why ``path`` cannot be created (an ancestor that is a file, an unwritable folder), or None."""
    parent = path.parent
    while not parent.exists():
        if parent.parent == parent:
            return None
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot write in {parent} (permission denied)"
    return None


def check_output_file(path: str | Path, *, option: str = "--out", suffixes: Sequence[str], what: str,
                      overwrite: bool, recognise: Callable[[Path], bool]) -> Path:
    """Check, without writing, that ``path`` may be written; return it.

    Args:
        suffixes: Accepted file name suffixes (the first one is suggested in errors).
        what: What the command writes, e.g. ``"a corpus"`` (for messages).
        overwrite: Whether the user passed ``--overwrite``.
        recognise: Whether an existing non-empty file is one this command wrote (only such
            a file is replaced).
    """
    path = Path(path)
    if path.suffix not in suffixes:
        raise ConfigError(f"{option}: {what} is written as {' or '.join(suffixes)}; got {str(path)!r}")
    problem = unwritable_reason(path)
    if problem:
        raise ConfigError(f"{option}: cannot write {path}: {problem}")
    if path.is_dir():
        raise ConfigError(f"{option}: {path} is a directory; give a file name")
    if path.exists() or path.is_symlink():
        if not overwrite:
            raise ConfigError(f"{option}: {path} exists; pass --overwrite to replace it")
        if not path.is_file():
            raise ConfigError(f"{option}: {path} is not a regular file; refusing to replace it")
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise ConfigError(f"{option}: cannot replace {path} (permission denied)")
        if path.stat().st_size and not _recognised(recognise, path):
            raise ConfigError(f"{option}: {path} exists and is not {what} written by aisalesman; "
                              "refusing to replace it (choose another name or move it away)")
    return path


def json_format(path: str | Path) -> Any:
    """The ``format`` field of a JSON file holding an object (None otherwise): recognises our files."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data.get("format") if isinstance(data, dict) else None


def first_jsonl_record(path: str | Path, *, limit: int = 1 << 24) -> Any:
    """The first non-blank line of a JSON-lines file, parsed (reads at most ``limit`` bytes)."""
    with Path(path).open("rb") as fh:
        for raw in fh:
            if raw.strip():
                return json.loads(raw[:limit].decode("utf-8"))
            limit -= len(raw)
            if limit <= 0:
                break
    return None


def _recognised(recognise: Callable[[Path], bool], path: Path) -> bool:
    try:
        return bool(recognise(path))
    except (OSError, ValueError, DataFileError, RecursionError):
        return False


# ------------------------------------------------------------------ run directories
@dataclass(frozen=True)
class _Manifest:
    kind: str
    status: str
    files: tuple[str, ...]
    info: tuple[tuple[str, str], ...] = ()  # what the results depend on, by name (e.g. the reader)

    def to_json(self) -> str:
        data = {"format": _FORMAT, "version": _VERSION, "kind": self.kind, "status": self.status,
                "files": sorted(set(self.files))}
        if self.info:
            data["info"] = dict(self.info)
        return json.dumps(data, indent=1) + "\n"


def _read_manifest(path: Path) -> _Manifest | None:
    file = path / MANIFEST
    if not file.exists():
        return None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        raise DataFileError(file, f"not a readable run manifest ({type(err).__name__})") from err
    ok = (isinstance(data, dict) and data.get("format") == _FORMAT and data.get("version") == _VERSION
          and isinstance(data.get("kind"), str) and data.get("status") in _STATUSES
          and isinstance(data.get("files"), list) and all(isinstance(f, str) for f in data["files"]))
    if not ok:
        raise DataFileError(file, f"not a run manifest of this aisalesman (format {_FORMAT!r} version {_VERSION})")
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    return _Manifest(data["kind"], data["status"], tuple(data["files"]), tuple((str(k), str(v)) for k, v in info.items()))


def run_status(path: str | Path) -> str | None:
    """``running``, ``complete``, or None when ``path`` holds no manifest (not a run of ours)."""
    manifest = _read_manifest(Path(path))
    return manifest.status if manifest else None


@dataclass
class RunDir:
    """A run's output directory. Build it with :meth:`open`; nothing is written before :meth:`begin`.

    ``outputs`` names every file or folder the run may write; ``derived`` names the ones
    computed from the others at the end (removed whenever the run starts or resumes).
    """

    path: Path
    kind: str
    outputs: tuple[str, ...]
    derived: tuple[str, ...]
    mode: str  # "new", "resume" or "overwrite"
    _previous: _Manifest | None = None
    _files: set[str] = field(default_factory=set)
    info: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open(cls, path: str | Path, *, kind: str, outputs: Sequence[str], derived: Sequence[str] = (),
             config_text: str, resume: bool = False, overwrite: bool = False, option: str = "--out",
             info: Mapping[str, str] | None = None) -> RunDir:
        """Check, without writing, that a ``kind`` run may start, resume or replace one in ``path``.

        ``info`` (names of what the results depend on, such as ``{"reader": "lexicon"}``) is
        recorded in the manifest under ``info``.
        """
        path = Path(path)
        if resume and overwrite:
            raise ConfigError("--resume and --overwrite exclude each other")
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{option}: {path} exists and is not a directory")
        problem = unwritable_reason(path / MANIFEST)
        if problem:
            raise ConfigError(f"{option}: cannot write {path}: {problem}")
        previous = _read_manifest(path) if path.is_dir() else None
        outputs = (*outputs, "config.yaml")
        clashes = [n for n in outputs if (path / n).exists()]
        if previous is None and clashes:
            raise ConfigError(f"{option}: {path} already holds {', '.join(clashes)} but no {MANIFEST}, so it is not a "
                              "run this aisalesman wrote; choose another directory or move them away")
        if previous is not None and previous.kind != kind:
            raise ConfigError(f"{option}: {path} holds a {previous.kind} run, not a {kind} run")
        mode = cls._mode(path, previous, config_text, resume=resume, overwrite=overwrite, option=option)
        return cls(path, kind, tuple(dict.fromkeys(outputs)), tuple(derived), mode, previous,
                   info={str(k): str(v) for k, v in (info or {}).items()})

    @staticmethod
    def _mode(path: Path, previous: _Manifest | None, config_text: str, *, resume: bool, overwrite: bool,
              option: str) -> str:
        if previous is None:
            if resume:
                raise ConfigError(f"--resume: {path} holds no run to resume; leave out --resume to start one")
            return "new"
        if overwrite:
            return "overwrite"
        if not resume:
            raise ConfigError(f"{option}: {path} already holds a run; pass --resume to continue it or --overwrite "
                              "to replace it")
        saved = path / "config.yaml"
        try:
            same = saved.read_text(encoding="utf-8") == config_text
        except (OSError, UnicodeDecodeError):
            same = False
        if not same:
            raise ConfigError(f"--resume: the config differs from the one saved in {saved}; cannot resume it")
        return "resume"

    @property
    def resuming(self) -> bool:
        return self.mode == "resume"

    def begin(self, config_text: str) -> None:
        """Start writing: remove the previous run's files (overwrite) or its derived ones, mark running."""
        self.path.mkdir(parents=True, exist_ok=True)
        prev = self._previous
        owned = [n for n in (prev.files if prev else ()) if n in self.outputs]
        doomed = owned if self.mode == "overwrite" else [n for n in owned if n in self.derived]
        self._files = set(owned) - set(doomed)
        self._save_manifest("running")
        for name in doomed:
            _remove(self.path / name)
        self.write("config.yaml", config_text)

    def claim(self, name: str) -> Path:
        """Record ``name`` in the manifest (before it is created); return its path."""
        if name not in self.outputs:
            raise ValueError(f"{name!r} is not among the outputs of a {self.kind} run")
        if name not in self._files:
            self._files.add(name)
            self._save_manifest("running")
        return self.path / name

    def write(self, name: str, text: str) -> Path:
        """Write a whole output file atomically."""
        path = self.claim(name)
        atomic_write(path, text)
        return path

    @contextlib.contextmanager
    def appender(self, name: str) -> Iterator[IO[str]]:
        """Open an append-only JSONL output: continued (torn last line cut) on resume, else new."""
        path = self.claim(name)
        if self.resuming:
            repair_torn_tail(path)
        try:
            fh = path.open("a" if self.resuming else "w", encoding="utf-8")
        except OSError as err:
            raise DataFileError(path, f"cannot write: {err.strerror or err}") from err
        with fh:
            yield fh

    def finish(self) -> None:
        """Mark the run complete."""
        self._save_manifest("complete")

    def _save_manifest(self, status: str) -> None:
        atomic_write(self.path / MANIFEST, _Manifest(self.kind, status, tuple(self._files), tuple(self.info.items())).to_json())


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
