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

__all__ = ["BenchmarkConfig", "load_config", "to_yaml"]

C = TypeVar("C")


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

    def __post_init__(self) -> None:
        if not self.agents:
            raise ConfigError("agents: give at least one agent")
        for name in ("trials", "workers", "max_turns"):
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
