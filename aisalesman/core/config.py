"""Config schemas (dataclasses) and loading: YAML file + ``key=value`` overrides via OmegaConf.

Only entry points call :func:`load_config`; library code takes the plain dataclasses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from aisalesman.core.errors import ConfigError, DataFileError
from aisalesman.core.files import read_structured
from aisalesman.core.types import Goal

__all__ = ["BenchmarkConfig", "LLMConfig", "load_config", "to_yaml"]

C = TypeVar("C")


@dataclass
class LLMConfig:
    """One LLM backend (the customer's, the salesman's or, later, the judge's)."""

    backend: str = field(default="openai", metadata={"help": "openai, transformers, scripted, or a plug-in"})
    model: str = field(default="", metadata={"help": "model name (openai) or path / hub id (transformers)"})
    base_url: str | None = field(default=None, metadata={"help": "OpenAI-compatible server URL, e.g. http://127.0.0.1:8000/v1"})
    api_key_env: str = field(default="OPENAI_API_KEY", metadata={"help": "environment variable holding the API key"})
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 256
    timeout: float = field(default=60.0, metadata={"help": "seconds before a request counts as hung"})
    max_retries: int = field(default=4, metadata={"help": "retries for timeouts, 429, 5xx and malformed answers"})
    concurrency: int = field(default=32, metadata={"help": "HTTP requests in flight at once"})
    max_batch: int = field(default=16, metadata={"help": "transformers: most requests generated together"})
    device: str = field(default="auto", metadata={"help": "transformers: auto, cpu, cuda, cuda:N"})
    dtype: str = field(default="auto", metadata={"help": "transformers: auto, float32, bfloat16, float16"})
    price_prompt: float = field(default=0.0, metadata={"help": "openai: cost per 1,000 prompt tokens, for reports"})
    price_completion: float = field(default=0.0, metadata={"help": "openai: cost per 1,000 completion tokens"})
    cache: str | None = field(default=None, metadata={"help": "completion cache file (opt-in)"})
    cache_mode: str = field(default="read_write", metadata={"help": "read_write or replay (no model calls)"})

    def __post_init__(self) -> None:
        for name in ("max_tokens", "concurrency", "max_batch"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name}: must be a positive integer, got {value!r}")
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ConfigError(f"max_retries: must be a non-negative integer, got {self.max_retries!r}")
        if not 0.0 <= self.temperature <= 5.0:
            raise ConfigError(f"temperature: must be in [0, 5], got {self.temperature!r}")
        if not 0.0 < self.top_p <= 1.0:
            raise ConfigError(f"top_p: must be in (0, 1], got {self.top_p!r}")
        if not self.timeout > 0:
            raise ConfigError(f"timeout: must be positive, got {self.timeout!r}")
        if self.cache_mode not in ("read_write", "replay"):
            raise ConfigError(f"cache_mode: must be read_write or replay, got {self.cache_mode!r}")


@dataclass
class BenchmarkConfig:
    """``aisalesman benchmark``: every agent against every persona and product, ``trials`` times."""

    agents: list[str] = field(default_factory=lambda: ["random", "scripted", "adaptive"],
                              metadata={"help": "registered agent names"})
    personas: str = field(default="test", metadata={"help": "persona split (train/dev/test) or file"})
    products: str = field(default="bistro-boost", metadata={"help": "comma-separated product names or files, or 'all'"})
    trials: int = field(default=4, metadata={"help": "episodes per agent, persona and product"})
    seed: int = field(default=0, metadata={"help": "run seed; all episode seeds derive from it"})
    workers: int = field(default=1, metadata={"help": "worker processes"})
    out: str = field(default="runs/benchmark", metadata={"help": "output directory"})
    goal: str = field(default="sale", metadata={"help": "sale or appointment"})
    max_turns: int = field(default=40, metadata={"help": "utterances before truncation"})
    customer: str = field(default="persona", metadata={"help": "registered customer name"})
    agent_config: dict[str, Any] = field(default_factory=dict,
                                         metadata={"help": "constructor arguments per agent name"})
    concurrency: int = field(default=1, metadata={"help": "calls in flight at once in one process (LLM runs)"})
    customer_mode: str = field(default="anchored", metadata={"help": "LLM customer: free or anchored"})
    customer_config: dict[str, Any] = field(default_factory=dict,
                                            metadata={"help": "extra customer constructor arguments"})
    customer_llm: LLMConfig = field(default_factory=LLMConfig, metadata={"help": "the LLM customer's backend"})
    salesman_llm: LLMConfig = field(default_factory=LLMConfig, metadata={"help": "the LLM salesman's backend"})

    def __post_init__(self) -> None:
        if not self.agents:
            raise ConfigError("agents: give at least one agent")
        if self.customer_mode not in ("free", "anchored"):
            raise ConfigError(f"customer_mode: must be free or anchored, got {self.customer_mode!r}")
        for name in ("trials", "workers", "max_turns", "concurrency"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (2 if name == "max_turns" else 1):
                raise ConfigError(f"{name}: must be a positive integer{' >= 2' if name == 'max_turns' else ''}, got {value!r}")
        if self.goal not in {g.value for g in Goal}:
            raise ConfigError(f"goal: must be one of {[g.value for g in Goal]}, got {self.goal!r}")
        if len(set(self.agents)) != len(self.agents):
            raise ConfigError(f"agents: duplicate names in {self.agents}")


def _omega_error(err: OmegaConfBaseException) -> str:
    key = getattr(err, "full_key", None) or getattr(err, "key", None)
    msg = str(err).splitlines()[0]
    return f"{key}: {msg}" if key else msg


def load_config(schema: type[C], *, path: str | Path | None = None, overrides: list[str] | None = None,
                values: dict[str, Any] | None = None) -> C:
    """Merge schema defaults, a YAML file, explicit ``values`` and ``key=value`` overrides.

    Unknown keys and ill-typed values raise :class:`ConfigError` naming the key.
    """
    try:
        base = OmegaConf.structured(schema)
        layers = []
        if path is not None:
            data = read_structured(path)
            if data is None:
                data = {}
            if not isinstance(data, dict):
                raise DataFileError(path, f"a config file must hold a mapping, got {type(data).__name__}")
            layers.append(OmegaConf.create(data))
        if values:
            layers.append(OmegaConf.create({k: v for k, v in values.items() if v is not None}))
        for item in overrides or []:
            if "=" not in item:
                raise ConfigError(f"override {item!r} is not of the form key=value")
        if overrides:
            layers.append(OmegaConf.from_dotlist(list(overrides)))
        merged = OmegaConf.merge(base, *layers)
        obj = OmegaConf.to_object(merged)
    except OmegaConfBaseException as err:
        where = f"{path}: " if path is not None else ""
        raise ConfigError(where + _omega_error(err)) from err
    return obj  # type: ignore[return-value]


def to_yaml(config: Any) -> str:
    """The resolved config as YAML (keys in schema order)."""
    return OmegaConf.to_yaml(OmegaConf.create(dataclasses.asdict(config)))
