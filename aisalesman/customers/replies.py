"""Customer text: reply kinds realised as persona-styled lines from ``data/replies.yaml``.

A reply *kind* (a :class:`~aisalesman.dialogue.acts.CustomerMove`: ``greet``, ``give_info``,
``objection:price``, ``accept_sale``, ...) is what the customer means;
:class:`CustomerRealiser` says it in the persona's communication style. The act-level
environment uses the moves as the customer's discrete actions.
"""

from __future__ import annotations

import random
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from aisalesman.core.scenario import Scenario
from aisalesman.core.types import CustomerDecision
from aisalesman.customers.base import CustomerReply
from aisalesman.dialogue.acts import CustomerMove

__all__ = ["CustomerRealiser", "act_effects", "act_effects_markdown", "reply_bank"]


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load(resources.files(__package__).joinpath(f"data/{name}").read_text("utf-8"))


@lru_cache(maxsize=1)
def act_effects() -> dict[str, Any]:
    """The persona customer's effect table (``data/act_effects.yaml``)."""
    return _load("act_effects.yaml")


@lru_cache(maxsize=1)
def reply_bank() -> dict[str, Any]:
    """The reply templates (``data/replies.yaml``)."""
    return _load("replies.yaml")


class CustomerRealiser:
    """Says reply kinds in one persona's voice, drawing variants from ``rng``."""

    def __init__(self, scenario: Scenario, rng: random.Random) -> None:
        self.persona = scenario.persona
        self.rng = rng
        self._bank = reply_bank()
        served = {n for f in scenario.product.features for n in f.serves_needs}
        hidden = self.persona.hidden
        self._needs = [n for n in hidden.needs if n in served] or list(hidden.needs)

    def say(self, kind: CustomerMove | str, *, restate: bool = False) -> CustomerReply:
        """A reply of ``kind`` (a move or its value); ``restate`` repeats an objection already voiced.

        The reply's ``kind`` and ``meta["move"]`` are the move's plain value.
        """
        move = CustomerMove(kind)
        kind = move.value
        objection = move.objection
        if objection is not None:
            line = self.rng.choice(self._bank["objections"][objection.value])
            if restate:
                line = self.rng.choice(self._bank["restate_prefix"]) + line[0].lower() + line[1:]
            return CustomerReply(line, move.act, objection, kind=kind, meta={"move": kind},
                                 decision=CustomerDecision.of_act(move.act))
        options = self._bank["kinds"][kind]
        hidden = self.persona.hidden
        pool = list(options.get("any", ())) + list(options.get(hidden.communication_style, ()))
        template = self.rng.choice(pool)
        need = self.rng.choice(self._bank["need_sentences"][self.rng.choice(self._needs)])
        pain = self.rng.choice(hidden.pain_points) if hidden.pain_points else "it's busy"
        text = template.format(
            name=self.persona.crm.name.split()[0], need=need, need_cap=need[0].upper() + need[1:], pain=pain
        )
        return CustomerReply(text, move.act, kind=kind, meta={"move": kind}, decision=CustomerDecision.of_act(move.act))


def _additive(key: str) -> bool:
    return key in ("interest", "trust", "need_match_bonus") or key.endswith(("irritation", "_trust"))


def _flat(params: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``params`` with nested mappings flattened to dotted keys (``decision_style.cautious.evidence_trust``)."""
    out = []
    for k, v in params.items():
        out += _flat(v, f"{prefix}{k}.") if isinstance(v, dict) else [(f"{prefix}{k}", v)]
    return out


def act_effects_markdown() -> str:
    """The effect table as Markdown (the README shows exactly this)."""
    fx = act_effects()
    lines = ["| salesman act | parameters | effect on the customer |", "|---|---|---|"]
    for act, params in fx["acts"].items():
        cells = ", ".join(f"{k} {v:+g}" if _additive(k) else f"{k} {v:g}" for k, v in params.items())
        lines.append(f"| `{act}` | {cells} | {fx['meanings'][act]} |")
    for section in ("claims", "decision", "volume", "persona"):
        cells = ", ".join(f"{k} {v:g}" for k, v in _flat(fx[section]))
        lines.append(f"| *{section}* | {cells} | {fx['meanings'][section]} |")
    return "\n".join(lines) + "\n"
