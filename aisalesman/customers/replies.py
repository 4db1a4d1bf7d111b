"""Customer text: reply kinds realised as persona-styled lines from ``data/replies.yaml``.

A reply *kind* (``greet``, ``give_info``, ``objection:price``, ``accept_sale``, ...) is
what the customer means; :class:`CustomerRealiser` says it in the persona's communication
style. The act-level environment uses the kinds as the customer's discrete moves.
"""

from __future__ import annotations

import random
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from aisalesman.core.scenario import Scenario
from aisalesman.core.types import CustomerAct, ObjectionType
from aisalesman.customers.base import CustomerReply

__all__ = ["CUSTOMER_MOVES", "CustomerRealiser", "act_effects", "act_effects_markdown", "reply_bank"]

_KIND_ACT = {
    "greet": CustomerAct.GREET,
    "give_info": CustomerAct.GIVE_INFO,
    "show_interest": CustomerAct.SHOW_INTEREST,
    "resolved": CustomerAct.SHOW_INTEREST,
    "neutral": CustomerAct.SMALL_TALK,
    "question": CustomerAct.ASK_QUESTION,
    "hesitation": CustomerAct.SMALL_TALK,
    "accept_sale": CustomerAct.ACCEPT,
    "accept_appointment": CustomerAct.ACCEPT,
    "reject": CustomerAct.REJECT,
    "hang_up": CustomerAct.HANG_UP,
    "request_dnc": CustomerAct.REQUEST_DNC,
}
#: Every reply kind, in a fixed order: the customer's action index in the act-level env.
CUSTOMER_MOVES: tuple[str, ...] = tuple(_KIND_ACT) + tuple(f"objection:{t}" for t in ObjectionType)


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

    def say(self, kind: str, *, restate: bool = False) -> CustomerReply:
        """A reply of ``kind``; ``restate`` repeats an objection already voiced."""
        if kind.startswith("objection:"):
            objection = ObjectionType(kind.split(":", 1)[1])
            line = self.rng.choice(self._bank["objections"][objection.value])
            if restate:
                line = self.rng.choice(self._bank["restate_prefix"]) + line[0].lower() + line[1:]
            return CustomerReply(line, CustomerAct.RAISE_OBJECTION, objection, kind=kind, meta={"move": kind})
        options = self._bank["kinds"][kind]
        hidden = self.persona.hidden
        pool = list(options.get("any", ())) + list(options.get(hidden.communication_style, ()))
        template = self.rng.choice(pool)
        need = self.rng.choice(self._bank["need_sentences"][self.rng.choice(self._needs)])
        pain = self.rng.choice(hidden.pain_points) if hidden.pain_points else "it's busy"
        text = template.format(
            name=self.persona.crm.name.split()[0], need=need, need_cap=need[0].upper() + need[1:], pain=pain
        )
        return CustomerReply(text, _KIND_ACT[kind], kind=kind, meta={"move": kind})


def _additive(key: str) -> bool:
    return key in ("interest", "trust", "need_match_bonus") or key.endswith(("irritation", "_trust"))


def act_effects_markdown() -> str:
    """The effect table as Markdown (the README shows exactly this)."""
    fx = act_effects()
    lines = ["| salesman act | parameters | effect on the customer |", "|---|---|---|"]
    for act, params in fx["acts"].items():
        cells = ", ".join(f"{k} {v:+g}" if _additive(k) else f"{k} {v:g}" for k, v in params.items())
        lines.append(f"| `{act}` | {cells} | {fx['meanings'][act]} |")
    for section in ("claims", "decision"):
        cells = ", ".join(f"{k} {v:g}" for k, v in fx[section].items())
        lines.append(f"| *{section}* | {cells} | {fx['meanings'][section]} |")
    return "\n".join(lines) + "\n"
