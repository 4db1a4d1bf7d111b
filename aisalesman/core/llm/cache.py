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

__all__ = ["CacheMissError", "CachedChatModel", "cache_key"]

CACHE_MODES = ("read_write", "replay")


class CacheMissError(AISalesmanError):
    """A replay-only cache was asked for a completion it never recorded."""


def cache_key(model: str, request: ChatRequest) -> str:
    payload = {"model": model, "params": request.params.to_dict(), "messages": list(request.messages)}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
        if not self.path.exists():
            if self.mode == "replay":
                raise DataFileError(self.path, "no such cache file to replay from")
            return
        data = self.path.read_bytes()
        cut = data.rfind(b"\n") + 1
        if cut < len(data):  # a crash mid-append: drop the partial line
            with self.path.open("r+b") as fh:
                fh.truncate(cut)
        for lineno, line in enumerate(data[:cut].splitlines(), 1):
            try:
                rec = json.loads(line)
                self._entries[rec["key"]] = Completion.from_dict(rec["completion"])
            except (ValueError, KeyError, TypeError) as err:
                raise DataFileError(self.path, f"line {lineno} is not a cache record ({err})") from err

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
