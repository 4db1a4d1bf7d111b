"""Adversarial salesmen: strategies that try to sell to the built-in customer by volume.

Each one says a lot, or says the same thing over and over, instead of listening. They exist
to test the persona customer (``tests/customers/test_adversarial.py``): none of them should
convert more than the fixed ``scripted`` stage machine, and every one should convert less
than the responsive ``adaptive`` agent. They are registered only when a test asks for them::

    from aisalesman.testing.adversarial import register_adversaries
    names = register_adversaries()          # ("adv-every-act", "adv-keywords", ...)

=================  ==============================================================================
name               what it says, every turn
=================  ==============================================================================
adv-every-act      every sales act in one utterance: greet, introduce, ask needs, analyse, pitch,
                   evidence, answer the last objection, the maximum discount, next steps, close
adv-keywords       a bag of sales words, the product's name and every feature name, and a close
adv-monologue      about 600 characters: pitch, evidence, objection-handling phrases, a close
adv-echo           the customer's own last words back ("mirroring"), then a pitch or a close
adv-always-close   a close (after a greeting and introduction on the first turn)
adv-all-features   every feature of the product with its pitch, on the plan that has them all,
                   and a close
adv-max-discount   a pitch, the product's maximum discount and a close
=================  ==============================================================================

They speak only true facts: their text comes from the template realiser (filled from the
knowledge base) and from the product's own fields; the echo drops any sentence of the
customer's that the reader would take for a false claim. They hear the customer through the
reader their observation carries, so they work with every reader. Nothing here reaches an
LLM or the network.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from aisalesman.agents.base import AgentTurn, SalesObservation, agents
from aisalesman.core.errors import ConfigError
from aisalesman.core.product import Feature, Plan
from aisalesman.core.scenario import SalesmanView
from aisalesman.core.types import ObjectionType, SalesAct
from aisalesman.dialogue.configured import env_reader
from aisalesman.dialogue.realiser import TemplateRealiser, default_plan
from aisalesman.dialogue.stages import default_stage_machine

__all__ = [
    "ADVERSARIES",
    "AllFeaturesAgent",
    "AlwaysCloseAgent",
    "EchoAgent",
    "EveryActAgent",
    "KeywordAgent",
    "MaxDiscountAgent",
    "MonologueAgent",
    "register_adversaries",
]

_A = SalesAct


class _Adversary:
    """Shared reset and text helpers; ``max_chars`` is the utterance limit to stay within."""

    def __init__(self, max_chars: int = 600) -> None:
        if not isinstance(max_chars, int) or max_chars < 200:
            raise ConfigError(f"max_chars must be an integer >= 200, got {max_chars!r}")
        self.max_chars = max_chars

    def reset(self, view: SalesmanView, *, seed: int) -> None:
        self.view = view
        self.rng = random.Random(seed)
        self.realiser = TemplateRealiser(view, self.rng)
        self.plan = default_plan(view)
        self.turn = 0

    def act(self, observation: SalesObservation) -> AgentTurn:
        self.turn += 1
        acts, text = self._compose(observation)
        return AgentTurn(text, tuple(acts), default_stage_machine().primary(tuple(acts)))

    def _compose(self, observation: SalesObservation) -> tuple[list[SalesAct], str]:
        raise NotImplementedError

    # ----------------------------------------------------------------------------- helpers
    def _say(self, act: SalesAct, *, draws: int = 1, **kw) -> str:
        """``act`` realised; the shortest of ``draws`` variants."""
        kw.setdefault("plan", self.plan)
        return min((self.realiser.realise((act,), **kw) for _ in range(draws)), key=len)

    def _opening(self) -> list[tuple[SalesAct, str]]:
        return [(_A.GREET, self._say(_A.GREET)), (_A.INTRODUCE, self._say(_A.INTRODUCE))] if self.turn == 1 else []

    def _fit(self, pieces: list[tuple[SalesAct, str]], drop_order: Sequence[SalesAct] = ()) -> tuple[list[SalesAct], str]:
        """Join ``pieces``; while over the limit, drop pieces by act in ``drop_order``, then from the front."""
        pieces = list(pieces)
        order = list(drop_order)
        while len(" ".join(t for _, t in pieces)) > self.max_chars and len(pieces) > 1:
            victim = next((i for a in order for i, (b, _) in enumerate(pieces) if a is b), 0)
            pieces.pop(victim)
        return [a for a, _ in pieces], " ".join(t for _, t in pieces)

    @staticmethod
    def _last_objection(observation: SalesObservation) -> ObjectionType | None:
        last = observation.last_customer_turn
        return ObjectionType(last.objection) if last is not None and last.objection else None


class EveryActAgent(_Adversary):
    """Every sales act in one utterance, every turn (as many as fit in the utterance limit)."""

    ACTS = (_A.GREET, _A.INTRODUCE, _A.ASK_NEED, _A.BUSINESS_ANALYSIS, _A.PRESENT_PRODUCT, _A.EVIDENCE,
            _A.HANDLE_OBJECTION, _A.OFFER_DISCOUNT, _A.OPERATIONAL_GUIDANCE, _A.PROPOSE_CLOSE)
    #: What goes first when the whole lot does not fit (the analysis is the longest act).
    DROP = (_A.BUSINESS_ANALYSIS, _A.OPERATIONAL_GUIDANCE, _A.INTRODUCE, _A.ASK_NEED)

    def _compose(self, observation):
        objection = self._last_objection(observation)
        pieces = [(a, self._say(a, draws=3, objection=objection)) for a in self.ACTS]
        return self._fit(pieces, self.DROP)


class KeywordAgent(_Adversary):
    """A bag of sales words, the product and every feature name, and a closing question."""

    WORDS = ("best value", "proven results", "trusted by owners like you", "easy setup", "great deal",
             "no hassle", "exclusive offer", "more customers", "save time", "grow your business")

    def _words(self) -> list[str]:
        p = self.view.product
        bag = [f"{p.name} from {p.company}", *(f.name for f in p.features), *self.WORDS,
               f"{int(p.max_discount_pct)} percent {p.discount_scope}"]
        if p.terms.trial_days:
            bag.append(f"{p.terms.trial_days}-day free trial")
        if p.terms.setup_fee == 0:
            bag.append("no setup fee")
        return bag

    def _compose(self, observation):
        bag = self._words()
        head = bag[0]
        rest = bag[1:]
        self.rng.shuffle(rest)
        text = f"{head}: {', '.join(rest)}. Sign up today?"
        pieces = self._opening() + [(_A.PRESENT_PRODUCT, text)]
        return self._fit(pieces, (_A.INTRODUCE, _A.GREET))


class MonologueAgent(_Adversary):
    """About ``max_chars`` characters every turn: a pitch, evidence, objection answers, a close."""

    def _compose(self, observation):
        p = self.view.product
        close = (_A.PROPOSE_CLOSE, self._say(_A.PROPOSE_CLOSE, draws=2))
        pieces = self._opening() + [(_A.PRESENT_PRODUCT, self._say(_A.PRESENT_PRODUCT))]
        pool = [(_A.EVIDENCE, f"{e[:1].upper()}{e[1:]}.") for e in p.evidence]
        pool += [(_A.HANDLE_OBJECTION, self._say(_A.HANDLE_OBJECTION, objection=o))
                 for o in (None, self._last_objection(observation) or ObjectionType.PRICE, ObjectionType.TRUST)]
        pool += [(_A.OPERATIONAL_GUIDANCE, self._say(_A.OPERATIONAL_GUIDANCE))]
        pool += [(_A.PRESENT_PRODUCT, self._say(_A.PRESENT_PRODUCT, feature=f)) for f in p.features]
        for piece in pool:
            if len(" ".join(t for _, t in [*pieces, piece, close])) <= self.max_chars:
                pieces.append(piece)
        return self._fit([*pieces, close])


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


class EchoAgent(_Adversary):
    """The customer's own last words back, then alternately a pitch and a close ("mirroring").

    A sentence of the customer's that the reader takes for a false claim (the customer
    musing about something the product does not do) is left out, so the echo asserts
    nothing untrue.
    """

    def _echo(self, observation: SalesObservation) -> str:
        last = observation.last_customer_turn
        if last is None:
            return ""
        reader, product = env_reader(observation.reader), self.view.product
        kept = [s for s in _SENTENCE.split(last.text.strip())
                if s and all(c.valid for c in reader.claims(s, product))]
        words = " ".join(kept)[:300].rstrip()
        return f'So what you\'re saying is, "{words}" I hear you.' if words else ""

    def _compose(self, observation):
        pieces = self._opening()
        echo = self._echo(observation)
        if echo:
            pieces.append((_A.HANDLE_OBJECTION, echo))  # what the mirroring means to pass for
        act = _A.PRESENT_PRODUCT if self.turn % 2 == 1 else _A.PROPOSE_CLOSE
        pieces.append((act, self._say(act)))
        return self._fit(pieces)


class AlwaysCloseAgent(_Adversary):
    """A close every turn (after a greeting and an introduction on the first)."""

    def _compose(self, observation):
        return self._fit(self._opening() + [(_A.PROPOSE_CLOSE, self._say(_A.PROPOSE_CLOSE))])


class AllFeaturesAgent(_Adversary):
    """Every feature with its pitch, on the cheapest plan that has them all, and a close."""

    def reset(self, view: SalesmanView, *, seed: int) -> None:
        super().reset(view, seed=seed)
        keys = {f.key for f in view.product.features}
        self.plan = next((p for p in view.product.plans if keys <= set(p.features)), view.product.plans[-1])

    def _features_text(self, plan: Plan, features: Sequence[Feature], room: int) -> str:
        p = self.view.product
        names = ", ".join(f.name for f in features[:-1]) + f" and {features[-1].name}"
        text = f"{p.name} {plan.name}, at {p.price_text(plan.price)} a {plan.billing_period}, gives you {names}."
        for f in features:
            more = f" {f.pitch[:1].upper()}{f.pitch[1:]}."
            if len(text) + len(more) <= room:
                text += more
        return text

    def _compose(self, observation):
        opening = self._opening()
        close = self._say(_A.PROPOSE_CLOSE)
        room = self.max_chars - len(close) - sum(len(t) + 1 for _, t in opening) - 1
        pitch = self._features_text(self.plan, self.view.product.features, room)
        return self._fit(opening + [(_A.PRESENT_PRODUCT, pitch), (_A.PROPOSE_CLOSE, close)])


class MaxDiscountAgent(_Adversary):
    """A pitch, the product's maximum discount and a close, every turn from the first."""

    def _compose(self, observation):
        pct = int(self.view.product.max_discount_pct)
        pieces = self._opening() + [(_A.PRESENT_PRODUCT, self._say(_A.PRESENT_PRODUCT, draws=2)),
                                    (_A.OFFER_DISCOUNT, self._say(_A.OFFER_DISCOUNT, pct=pct, draws=2)),
                                    (_A.PROPOSE_CLOSE, self._say(_A.PROPOSE_CLOSE, draws=2))]
        return self._fit(pieces, (_A.INTRODUCE,))


#: Registry name -> class, in the order the brief lists them.
ADVERSARIES: dict[str, type[_Adversary]] = {
    "adv-every-act": EveryActAgent,
    "adv-keywords": KeywordAgent,
    "adv-monologue": MonologueAgent,
    "adv-echo": EchoAgent,
    "adv-always-close": AlwaysCloseAgent,
    "adv-all-features": AllFeaturesAgent,
    "adv-max-discount": MaxDiscountAgent,
}


def register_adversaries() -> tuple[str, ...]:
    """Register every adversary in the agent registry (again is harmless); their names."""
    for name, cls in ADVERSARIES.items():
        agents.register(name, cls, overwrite=True)
    return tuple(ADVERSARIES)
