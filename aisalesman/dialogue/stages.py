"""The salesman's stage machine: intents, their capabilities and the legal transitions.

The machine is data (``data/stage_machine.yaml``, documented there); a user file of the same
schema can replace it. One machine serves the act-level environment's action masks, the
intent classifiers and DOGA, so they cannot disagree about what may follow what.

**Our reconstruction**: the paper constrains intent classification with a finite-state machine
over sales stages but does not publish it; these intents, stages and transitions are ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pydantic
import yaml

from aisalesman.core.errors import DataFileError
from aisalesman.core.files import read_structured, validate
from aisalesman.core.types import Capability, SalesAct
from aisalesman.dialogue.acts import PRIMARY_ORDER, SALES_ORDER

__all__ = ["CONDITIONS", "StageMachine", "default_stage_machine"]

CONDITIONS = ("dnc_requested", "objection_open")
Condition = Literal["dnc_requested", "objection_open"]


class _Stage(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    intents: list[SalesAct] = pydantic.Field(min_length=1)
    next: list[str]


class _MachineFile(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    version: int
    intents: dict[SalesAct, Capability]
    primary_order: list[SalesAct] | None = None  # None: the shared PRIMARY_ORDER
    start: list[str] = pydantic.Field(min_length=1)
    stages: dict[str, _Stage]
    force: dict[Condition, str] = {}
    requires: dict[SalesAct, Condition] = {}

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> _MachineFile:
        missing = set(SalesAct) - set(self.intents)
        if missing:
            raise ValueError(f"intents: missing {sorted(map(str, missing))}")
        if self.primary_order is not None and set(self.primary_order) != set(self.intents):
            raise ValueError("primary_order: must list every intent exactly once")
        names = set(self.stages)
        for where, stage_names in [("start", self.start), ("force", list(self.force.values()))] + [
                (f"stages.{k}.next", s.next) for k, s in self.stages.items()]:
            unknown = [s for s in stage_names if s not in names]
            if unknown:
                raise ValueError(f"{where}: unknown stage {unknown[0]!r} (stages: {', '.join(sorted(names))})")
        staged = {i for s in self.stages.values() for i in s.intents}
        if staged != set(self.intents):
            raise ValueError(f"stages: intents in no stage: {sorted(map(str, set(self.intents) - staged))}")
        return self


class StageMachine:
    """Which salesman intents are legal after which, and what capability each exercises."""

    def __init__(self, spec: _MachineFile, source: str) -> None:
        self.source = source
        self.version = spec.version
        self.intents: tuple[str, ...] = tuple(str(a) for a in SALES_ORDER)
        self._capability = {str(k): str(v) for k, v in spec.intents.items()}
        self._order = {str(a): i for i, a in enumerate(spec.primary_order or PRIMARY_ORDER)}
        self._stage_intents = {k: tuple(str(i) for i in s.intents) for k, s in spec.stages.items()}
        self._next = {k: tuple(s.next) for k, s in spec.stages.items()}
        self._stage_of: dict[str, str] = {}
        for name, intents in self._stage_intents.items():
            for i in intents:
                self._stage_of.setdefault(i, name)
        self._start = tuple(spec.start)
        self._force = dict(spec.force)
        self._requires = {str(k): v for k, v in spec.requires.items()}

    @classmethod
    def load(cls, path: str | Path) -> StageMachine:
        """Read a stage-machine YAML file; schema errors name the file and the field."""
        return cls(validate(_MachineFile, read_structured(path), path=path), str(path))

    # ------------------------------------------------------------------ queries
    def capability(self, intent: str | None) -> str | None:
        return self._capability.get(intent) if intent is not None else None

    def stage_of(self, intent: str) -> str:
        return self._stage_of[intent]

    def primary(self, acts: Iterable[str]) -> str | None:
        """The intent of a turn performing ``acts`` (None when it performs none we know)."""
        known = [str(a) for a in acts if str(a) in self._order]
        return min(known, key=self._order.__getitem__) if known else None

    def legal(self, previous: str | None, *, dnc_requested: bool = False, objection_open: bool = False) -> tuple[str, ...]:
        """The intents legal after the salesman's ``previous`` intent (None on the first turn).

        A previous intent the machine does not know counts as the first turn's start.
        """
        conditions = {"dnc_requested": dnc_requested, "objection_open": objection_open}
        forced = next((stage for cond, stage in self._force.items() if conditions[cond]), None)
        if forced is not None:
            stages: tuple[str, ...] = (forced,)
        elif previous is None or previous not in self._stage_of:
            stages = self._start
        else:
            stages = self._next[self._stage_of[previous]]
        allowed = {i for s in stages for i in self._stage_intents[s]}
        return tuple(i for i in self.intents if i in allowed
                     and (i not in self._requires or conditions[self._requires[i]]))

    def mask(self, previous: str | None, **conditions: bool) -> np.ndarray:
        """:meth:`legal` as an int8 mask over :class:`SalesAct` (the act-level action space)."""
        legal = set(self.legal(previous, **conditions))
        return np.array([i in legal for i in self.intents], dtype=np.int8)

    def describe(self) -> Mapping[str, str]:
        """Intent -> capability, in action order."""
        return {i: self._capability[i] for i in self.intents}


@lru_cache(maxsize=1)
def default_stage_machine() -> StageMachine:
    """The shipped machine."""
    ref = resources.files(__package__).joinpath("data/stage_machine.yaml")
    try:
        spec = _MachineFile.model_validate(yaml.safe_load(ref.read_text("utf-8")))
    except pydantic.ValidationError as err:  # a broken shipped file is a packaging bug, but say where
        raise DataFileError(str(ref), str(err)) from err
    return StageMachine(spec, "stage_machine.yaml")
