"""Config schemas (dataclasses) and loading: YAML file + ``key=value`` overrides via OmegaConf.

Only entry points call :func:`load_config`; library code takes the plain dataclasses.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from aisalesman.core.errors import ConfigError, DataFileError
from aisalesman.core.files import read_structured
from aisalesman.core.types import Goal

__all__ = [
    "MAX_EPISODES",
    "BenchmarkConfig",
    "LLMConfig",
    "check_episode_count",
    "check_int",
    "check_number",
    "load_config",
    "to_yaml",
]

C = TypeVar("C")

#: Upper bounds on sizes, checked before any work starts. A benchmark episode writes a
#: transcript of a few kilobytes and takes milliseconds to seconds (LLM calls), so a million
#: episodes is about as much as one machine finishes in a day and a few GB of transcripts;
#: beyond that a run is a typo (``--trials 1000000000000``), not an experiment.
MAX_EPISODES = 1_000_000
MAX_TRIALS = 10_000  # pass^k and the Wilson intervals are settled long before 10,000 calls per persona
MAX_WORKERS = 256  # worker processes; more than any machine has cores
MAX_CONCURRENCY = 4_096  # calls in flight at once (one process); far past what an LLM server accepts


def check_int(name: str, value: Any, *, low: int = 1, high: int | None = None) -> None:
    """``value`` must be an ``int`` (not a bool) in ``low..high``: else a :class:`ConfigError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bounds = f">= {low:,}" if high is None else f"in {low:,}..{high:,}"
        raise ConfigError(f"{name}: must be an integer {bounds}, got {_short(repr(value))}")


def check_number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> None:
    """``value`` must be a finite number (not a bool) within the bounds given (closed unless ``*_open``)."""
    try:
        ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    except OverflowError:  # an int with hundreds of digits
        ok = False
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
        bounds = " and ".join(filter(None, [lo, hi]))
        raise ConfigError(f"{name}: must be a finite number{' ' + bounds if bounds else ''}, got {_short(repr(value))}")


def check_episode_count(count: int) -> None:
    """A run of ``count`` episodes must stay within :data:`MAX_EPISODES`."""
    if count > MAX_EPISODES:
        raise ConfigError(f"the run would have {count:,} episodes, more than the {MAX_EPISODES:,} allowed; use "
                          "fewer trials, agents, personas or products")


@dataclass
class LLMConfig:
    """One LLM backend (the customer's, the salesman's or, later, the judge's)."""

    backend: str = field(default="openai", metadata={"help": "openai, transformers, scripted, or a plug-in"})
    model: str = field(default="", metadata={"help": "model name (openai) or path / hub id (transformers)"})
    base_url: str | None = field(default=None, metadata={"help": "OpenAI-compatible server URL, e.g. http://127.0.0.1:8000/v1"})
    api_key_env: str = field(default="OPENAI_API_KEY", metadata={"help": "environment variable holding the API key"})
    temperature: float = field(default=0.0, metadata={"help": "sampling temperature, 0..5"})
    top_p: float = field(default=1.0, metadata={"help": "nucleus sampling mass, (0, 1]"})
    max_tokens: int = field(default=256, metadata={"help": "completion tokens per call, at most 1,000,000"})
    timeout: float = field(default=60.0, metadata={"help": "seconds before a request counts as hung"})
    max_retries: int = field(default=4, metadata={"help": "retries for timeouts, 429, 5xx and malformed answers "
                                                          "(at most 100)"})
    concurrency: int = field(default=32, metadata={"help": "HTTP requests in flight at once (at most 4,096)"})
    max_batch: int = field(default=16, metadata={"help": "transformers: most requests generated together "
                                                         "(at most 4,096)"})
    device: str = field(default="auto", metadata={"help": "transformers: auto, cpu, cuda, cuda:N"})
    dtype: str = field(default="auto", metadata={"help": "transformers: auto, float32, bfloat16, float16"})
    price_prompt: float = field(default=0.0, metadata={"help": "openai: cost per 1,000 prompt tokens, for reports"})
    price_completion: float = field(default=0.0, metadata={"help": "openai: cost per 1,000 completion tokens"})
    cache: str | None = field(default=None, metadata={"help": "completion cache file (opt-in)"})
    cache_mode: str = field(default="read_write", metadata={"help": "read_write or replay (no model calls)"})

    def __post_init__(self) -> None:
        check_int("max_tokens", self.max_tokens, high=1_000_000)
        check_int("concurrency", self.concurrency, high=MAX_CONCURRENCY)
        check_int("max_batch", self.max_batch, high=MAX_CONCURRENCY)
        check_int("max_retries", self.max_retries, low=0, high=100)
        check_number("temperature", self.temperature, low=0.0, high=5.0)
        check_number("top_p", self.top_p, low=0.0, high=1.0, low_open=True)
        check_number("timeout", self.timeout, low=0.0, low_open=True)
        check_number("price_prompt", self.price_prompt, low=0.0)
        check_number("price_completion", self.price_completion, low=0.0)
        if self.cache_mode not in ("read_write", "replay"):
            raise ConfigError(f"cache_mode: must be read_write or replay, got {self.cache_mode!r}")


@dataclass
class BenchmarkConfig:
    """``aisalesman benchmark``: every agent against every persona and product, ``trials`` times."""

    agents: list[str] = field(default_factory=lambda: ["random", "scripted", "adaptive"],
                              metadata={"help": "registered agent names"})
    personas: str = field(default="test", metadata={"help": "persona split (train/dev/test) or file"})
    products: str = field(default="bistro-boost", metadata={"help": "comma-separated product names or files, or 'all'"})
    trials: int = field(default=4, metadata={"help": "episodes per agent, persona and product, at most 10,000 "
                                                     "(and at most 1,000,000 episodes in all)"})
    seed: int = field(default=0, metadata={"help": "run seed; all episode seeds derive from it"})
    workers: int = field(default=1, metadata={"help": "worker processes, at most 256"})
    out: str = field(default="runs/benchmark", metadata={"help": "output directory"})
    goal: str = field(default="sale", metadata={"help": "sale or appointment"})
    max_turns: int = field(default=40, metadata={"help": "utterances before truncation"})
    customer: str = field(default="persona", metadata={"help": "registered customer name"})
    agent_config: dict[str, Any] = field(default_factory=dict,
                                         metadata={"help": "constructor arguments per agent name"})
    concurrency: int = field(default=1, metadata={"help": "calls in flight at once in one process (LLM runs), "
                                                          "at most 4,096"})
    customer_mode: str = field(default="anchored", metadata={"help": "LLM customer: free or anchored"})
    customer_config: dict[str, Any] = field(default_factory=dict,
                                            metadata={"help": "extra customer constructor arguments"})
    customer_llm: LLMConfig = field(default_factory=LLMConfig, metadata={"help": "the LLM customer's backend"})
    salesman_llm: LLMConfig = field(default_factory=LLMConfig, metadata={"help": "the LLM salesman's backend"})
    # Checked against the reader registry where the run starts (the registry lives above core);
    # None is resolved there to aisalesman.dialogue.DEFAULT_ENV_READER and recorded by name.
    reader: str | None = field(default=None, metadata={"help": "what reads every utterance (acts, objections, "
                                                               "decisions, claims): lexicon, learned or llm "
                                                               "[default: aisalesman.dialogue.DEFAULT_ENV_READER]"})

    def __post_init__(self) -> None:
        if not self.agents:
            raise ConfigError("agents: give at least one agent")
        if self.customer_mode not in ("free", "anchored"):
            raise ConfigError(f"customer_mode: must be free or anchored, got {self.customer_mode!r}")
        check_int("trials", self.trials, high=MAX_TRIALS)
        check_int("workers", self.workers, high=MAX_WORKERS)
        check_int("concurrency", self.concurrency, high=MAX_CONCURRENCY)
        check_int("max_turns", self.max_turns, low=2)
        if self.goal not in {g.value for g in Goal}:
            raise ConfigError(f"goal: must be one of {[g.value for g in Goal]}, got {self.goal!r}")
        if len(set(self.agents)) != len(self.agents):
            raise ConfigError(f"agents: duplicate names in {self.agents}")


def _omega_error(err: OmegaConfBaseException) -> str:
    key = getattr(err, "full_key", None) or getattr(err, "key", None)
    msg = str(err).splitlines()[0]
    return f"{key}: {msg}" if key else msg


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _file_layer(path: str | Path) -> Any:
    data = read_structured(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DataFileError(path, f"a config file must hold a mapping, got {type(data).__name__}")
    try:
        return OmegaConf.create(data)
    except OmegaConfBaseException as err:
        raise DataFileError(path, _omega_error(err)) from err


def _override_layers(overrides: list[str]) -> list[Any]:
    """One layer per ``key=value`` override, so that an error names the override at fault."""
    layers = []
    for item in overrides:
        key, eq, _ = item.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"override {_short(item)!r} is not of the form key=value")
        try:
            layers.append(OmegaConf.from_dotlist([item]))
        except (OmegaConfBaseException, ValueError, RecursionError) as err:  # ValueError: a 5,000-digit int
            raise ConfigError(f"override {_short(item)!r}: {str(err).splitlines()[0]}") from err
    return layers


def _merge(base: Any, layers: list[tuple[str, Any]]) -> Any:
    """Merge ``(source, layer)`` pairs in order; a clash of container types names the source and key."""
    merged = base
    for source, layer in layers:
        try:
            merged = OmegaConf.merge(merged, layer)
        except (TypeError, OverflowError) as err:  # "Cannot merge incompatible container types"; a 400-digit float
            key = next((k for k in layer if _clashes(merged, k, layer[k])), None)
            raise ConfigError(f"{source}: {'' if key is None else f'{key}: '}{str(err).splitlines()[0]}") from err
    return merged


def _clashes(merged: Any, key: Any, value: Any) -> bool:
    try:
        OmegaConf.merge(merged, {key: value})
    except (TypeError, OverflowError, OmegaConfBaseException):
        return True
    return False


def load_config(schema: type[C], *, path: str | Path | None = None, overrides: list[str] | None = None,
                values: dict[str, Any] | None = None) -> C:
    """Merge schema defaults, a YAML file, explicit ``values`` and ``key=value`` overrides.

    Unknown keys and ill-typed values raise :class:`ConfigError` naming the key.
    """
    where = f"{path}: " if path is not None else ""
    try:
        layers = [(str(path), _file_layer(path))] if path is not None else []
        if values:
            layers.append(("options", OmegaConf.create({k: v for k, v in values.items() if v is not None})))
        items = list(overrides or [])
        layers += [(f"override {_short(item)!r}", layer) for item, layer in zip(items, _override_layers(items), strict=True)]
        obj = OmegaConf.to_object(_merge(OmegaConf.structured(schema), layers))
    except OmegaConfBaseException as err:
        raise ConfigError(where + _omega_error(err)) from err
    return obj  # type: ignore[return-value]


def to_yaml(config: Any) -> str:
    """The resolved config as YAML (keys in schema order)."""
    return OmegaConf.to_yaml(OmegaConf.create(dataclasses.asdict(config)))
