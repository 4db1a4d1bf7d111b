"""An explicit, opt-in completion cache that wraps any chat model.

Keys hash the model name, the sampling parameters (the seed included) and the messages.
Entries are appended to a JSONL file as they are made, so a crashed run keeps what it
paid for. ``mode="read_write"`` answers hits from the file and records misses;
``mode="replay"`` answers only from the file and stops the run on a miss, so a recorded
benchmark re-runs with zero model calls and identical transcripts.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from aisalesman.core.errors import AISalesmanError, ConfigError, DataFileError
from aisalesman.core.llm.base import BaseChatModel, ChatModel, ChatRequest, Completion
from aisalesman.core.rundir import repair_torn_tail, unwritable_reason

__all__ = ["CacheMissError", "CachedChatModel", "cache_key"]

CACHE_MODES = ("read_write", "replay")


class CacheMissError(AISalesmanError):
    """A replay-only cache was asked for a completion it never recorded."""


def cache_key(model: str, request: ChatRequest) -> str:
    payload = {"model": model, "params": request.params.to_dict(), "messages": list(request.messages)}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_RECORD_START = b'{"completion": '


def _record(path: Path, lineno: int, line: bytes) -> tuple[str, Completion]:
    """One cache line (``{"completion": {...}, "key": "<sha256>"}``), or an error naming the file and line."""
    try:
        rec = json.loads(line.decode("utf-8"))
        key = rec["key"]
        if not isinstance(key, str) or not isinstance(rec["completion"], dict):
            raise TypeError("key must be a string and completion an object")
        return key, Completion.from_dict(rec["completion"])
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError) as err:
        raise DataFileError(path, f"line {lineno} is not a cache record ({type(err).__name__}); "
                                  "not a cache file, so it is left untouched") from err


class CachedChatModel(BaseChatModel):
    """``inner`` behind a JSONL cache at ``path`` (see the module docstring for modes)."""

    def __init__(self, inner: ChatModel, path: str | Path, *, mode: str = "read_write") -> None:
        super().__init__()
        if mode not in CACHE_MODES:
            raise ConfigError(f"cache_mode must be one of {list(CACHE_MODES)}, got {mode!r}")
        self.inner = inner
        self.name = inner.name
        self.path = Path(path)
        self.mode = mode
        self._lock = threading.Lock()
        self._entries: dict[str, Completion] = {}
        self._load()

    def _load(self) -> None:
        """Read the cache; a file that is not one (a directory, binary, other JSON) is refused untouched."""
        if self.path.is_dir():
            raise DataFileError(self.path, "is a directory, not a cache file")
        if not self.path.exists():
            if self.mode == "replay":
                raise DataFileError(self.path, "no such cache file to replay from")
            problem = unwritable_reason(self.path)
            if problem:
                raise DataFileError(self.path, f"cannot create the cache file: {problem}")
            return
        try:
            data = self.path.read_bytes()
        except OSError as err:
            raise DataFileError(self.path, f"cannot read: {err.strerror or err}") from err
        cut = data.rfind(b"\n") + 1
        for lineno, line in enumerate(data[:cut].splitlines(), 1):
            key, completion = _record(self.path, lineno, line)
            self._entries[key] = completion
        torn = data[cut:]
        if torn and self.mode != "replay":
            # a crash mid-append leaves a partial record of ours: cut it, but only when the
            # file is provably a cache (complete records before it, and it starts like one)
            if not self._entries or not torn.startswith(_RECORD_START):
                raise DataFileError(self.path, "does not end with a complete cache record and is not recognisably "
                                               "a cache file; refusing to change it")
            repair_torn_tail(self.path)

    async def apreflight(self) -> None:
        if self.mode != "replay":
            await self.inner.apreflight()

    def __len__(self) -> int:
        return len(self._entries)

    async def acomplete(self, request: ChatRequest) -> Completion:
        key = cache_key(self.name, request)
        hit = self._entries.get(key)
        if hit is not None:
            self.stats.add(cache_hits=1)
            return hit
        self.stats.add(cache_misses=1)
        if self.mode == "replay":
            raise CacheMissError(f"{self.path}: no recorded completion for a request to {self.name!r} "
                                 "(replay mode makes no model calls)")
        result = await self.inner.acomplete(request)
        line = json.dumps({"key": key, "completion": result.to_dict()}, ensure_ascii=False, sort_keys=True)
        with self._lock:
            if key not in self._entries:
                self._entries[key] = result
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
        return result

    def stats_dict(self) -> dict:
        d = self.inner.stats.to_dict()
        d["cache_hits"], d["cache_misses"] = self.stats.cache_hits, self.stats.cache_misses
        return d
