"""Customer-simulator fidelity: does the simulated customer stay a customer, and this customer?

Computed per call by the runner (it knows the persona) and stored in the transcript's
``stats["fidelity"]``; the leaderboard aggregates them per agent.

Role inversion
    A customer turn that does the salesman's job: pitching, asking about the other side's
    business or needs, making an offer or a discount, or asking to close. Read as if a
    salesman had said it, by the run's reader (needs, analysis, pitch, discount, close acts),
    plus the cues in ``data/fidelity.yaml``. A reader that can tell the roles apart (the
    ``learned`` reader's role model) must also find the turn more likely a salesman's.
Persona drift
    A customer turn that contradicts a fact of its persona: its own name, its business
    type, or its number of employees.

Conversion by segment (hot to hostile) is in every leaderboard row already; a simulator
that is too easy to persuade shows up there as high conversion of cold and hostile
personas.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from aisalesman.core.persona import Persona
from aisalesman.core.transcript import Turn
from aisalesman.core.types import Role, SalesAct
from aisalesman.dialogue.configured import env_reader
from aisalesman.dialogue.reading import Reader

__all__ = ["ROLE_INVERSION_ACTS", "fidelity_stats", "is_role_inversion", "persona_contradictions"]

ROLE_INVERSION_ACTS = frozenset({
    SalesAct.ASK_NEED, SalesAct.BUSINESS_ANALYSIS, SalesAct.PRESENT_PRODUCT, SalesAct.OFFER_DISCOUNT,
    SalesAct.PROPOSE_CLOSE,
})

_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_EMPLOYEES = re.compile(
    r"\b(?:we have|we.ve got|we employ|i have|i employ|there are|staff of|team of|with)\s+"
    r"(?:about\s+|around\s+|only\s+|just\s+)?(\d+|" + "|".join(_NUMBER_WORDS) + r")\b"
    r"(?:\s+(?:employees|staff|people|workers))?", re.IGNORECASE)
_NAME = re.compile(r"\b(?i:my name is|this is|it's|i'm)\s+([A-Z][a-z]+)(?:\s+speaking|\s+here)\b")


@lru_cache(maxsize=1)
def _inversion_cues() -> re.Pattern[str]:
    text = resources.files(__package__).joinpath("data/fidelity.yaml").read_text("utf-8")
    return re.compile("|".join(f"(?:\\b{p})" for p in yaml.safe_load(text)["role_inversion"]), re.IGNORECASE)


@lru_cache(maxsize=1)
def _business_types() -> tuple[str, ...]:
    text = resources.files("aisalesman.customers").joinpath("data/population.yaml").read_text("utf-8")
    return tuple(yaml.safe_load(text)["business_types"])


@lru_cache(maxsize=1)
def _type_pattern() -> re.Pattern[str]:
    types = "|".join(re.escape(t) for t in sorted(_business_types(), key=len, reverse=True))
    return re.compile(r"\b(?:i run|i own|we run|we are|we're|i have|my|our)\s+(?:a |an |the |little |small )?(" + types
                      + r")\b", re.IGNORECASE)


def is_role_inversion(text: str, *, reader: str | Reader | None = None) -> bool:
    """Whether a customer utterance does the salesman's job (see the module docstring).

    ``reader``: the run's reader (the project default if None).
    """
    if _inversion_cues().search(text):
        return True
    r = env_reader(reader)
    if not any(a in ROLE_INVERSION_ACTS for a in r.read_salesman(text).acts):
        return False
    # a reader that knows who talks like a salesman (``learned``) must also hear a salesman here
    likelihood = getattr(r, "salesman_likelihood", None)
    return likelihood is None or likelihood(text) >= 0.5


def persona_contradictions(text: str, persona: Persona) -> list[str]:
    """The persona facts a customer utterance contradicts: ``name``, ``business_type``, ``employees``."""
    found = []
    crm = persona.crm
    for m in _NAME.finditer(text):
        if m.group(1) not in crm.name.split():
            found.append("name")
            break
    for m in _type_pattern().finditer(text):
        if m.group(1).lower() != crm.business_type.lower():
            found.append("business_type")
            break
    for m in _EMPLOYEES.finditer(text):
        raw = m.group(1).lower()
        n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
        if n != crm.employees and m.group(0).lower().split()[-1] in {"employees", "staff", "people", "workers"}:
            found.append("employees")
            break
    return found


def fidelity_stats(turns: Sequence[Turn], persona: Persona, *, reader: str | Reader | None = None) -> dict[str, Any]:
    """Counts for one call: customer turns, role inversions, turns with persona drift, drift kinds.

    ``reader``: the run's reader, which re-reads customer turns for role inversion.
    """
    customer = [t for t in turns if t.speaker == Role.CUSTOMER]
    reader = env_reader(reader)
    inversions = sum(1 for t in customer if is_role_inversion(t.text, reader=reader))
    kinds: dict[str, int] = {}
    drift_turns = 0
    for t in customer:
        found = persona_contradictions(t.text, persona)
        drift_turns += bool(found)
        for k in found:
            kinds[k] = kinds.get(k, 0) + 1
    return {"customer_turns": len(customer), "role_inversions": inversions, "drift_turns": drift_turns,
            "drift": dict(sorted(kinds.items()))}
