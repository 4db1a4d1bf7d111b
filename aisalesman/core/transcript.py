"""Turns, claims and transcripts: the records of a call.

These are plain frozen dataclasses on the hot path; :func:`transcript_to_json` writes the
stable JSON form used in ``transcripts.jsonl`` (one episode per line, keys sorted, no
wall-clock fields).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from aisalesman.core.types import ObjectionType, Role

__all__ = ["Claim", "Transcript", "Turn", "transcript_to_json"]


@dataclass(frozen=True, slots=True)
class Claim:
    """A factual statement found in a salesman turn, checked against the knowledge base.

    ``kind`` is one of ``price``, ``discount``, ``trial``, ``contract``, ``cancellation``,
    ``setup_fee``, ``evidence``, ``non_feature``, ``feature``; ``key`` names the fact;
    ``valid`` is the verdict. ``span`` is the text the claim was read from and, for a false
    claim, ``expected`` is the knowledge-base value it contradicts (e.g. ``$99/month``).
    """

    kind: str
    key: str
    value: str
    valid: bool
    span: str = ""
    expected: str = ""


@dataclass(frozen=True, slots=True)
class Turn:
    """One utterance with what was recognised in it.

    Salesman turns carry an ``intent`` (the agent's declared one, or the primary act read
    from the text) and the sales ``capability`` it exercises (None for an intent outside
    the stage machine).
    """

    index: int
    speaker: Role
    text: str
    acts: tuple[str, ...] = ()
    objection: ObjectionType | None = None
    claims: tuple[Claim, ...] = ()
    intent: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    capability: str | None = None

    @property
    def false_claims(self) -> tuple[Claim, ...]:
        return tuple(c for c in self.claims if not c.valid)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "speaker": str(self.speaker),
            "text": self.text,
            "acts": list(self.acts),
        }
        if self.objection is not None:
            out["objection"] = str(self.objection)
        if self.claims:
            out["claims"] = [asdict(c) for c in self.claims]
        if self.intent is not None:
            out["intent"] = self.intent
            out["capability"] = self.capability
        if self.meta:
            out["meta"] = self.meta
        return out


@dataclass(frozen=True)
class Transcript:
    """A finished episode: scenario identity, seeds, turns, outcome and rewards."""

    episode_id: str
    agent: str
    customer: str
    persona_id: str
    segment: str
    product: str
    goal: str
    trial: int
    seeds: dict[str, int]
    turns: tuple[Turn, ...]
    outcome: str
    termination_reason: str
    reward_components: dict[str, float]
    stats: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k != "turns"}
        d["turns"] = [t.to_dict() for t in self.turns]
        return d


def transcript_to_json(transcript: Transcript) -> str:
    """One stable JSON line (sorted keys, no trailing newline)."""
    return json.dumps(transcript.to_dict(), sort_keys=True, ensure_ascii=False)
