"""Baseline salesmen: ``random``, ``scripted`` (a fixed stage machine), ``adaptive`` and
``flawed`` (adaptive with deliberate mistakes, for corpora with bad examples).

All speak through the :class:`TemplateRealiser`; none uses an LLM. The adaptive agents
listen to the customer through the reader their observation carries (the environment's).
"""

from __future__ import annotations

import random

from aisalesman.agents.base import AgentTurn, SalesObservation, register
from aisalesman.core.errors import ConfigError
from aisalesman.core.scenario import SalesmanView
from aisalesman.core.types import CustomerAct, ObjectionType, SalesAct
from aisalesman.dialogue.configured import env_reader
from aisalesman.dialogue.realiser import TemplateRealiser, default_plan, feature_for_needs
from aisalesman.dialogue.stages import default_stage_machine

__all__ = ["AdaptiveAgent", "FlawedAgent", "RandomAgent", "ScriptedAgent"]

_OPENING = (SalesAct.GREET, SalesAct.INTRODUCE)


class _TemplateAgent:
    """Shared reset: a private generator and a realiser bound to the call's view."""

    def reset(self, view: SalesmanView, *, seed: int) -> None:
        self.view = view
        self.rng = random.Random(seed)
        self.realiser = TemplateRealiser(view, self.rng)
        self._reset_state()

    def _reset_state(self) -> None:
        pass

    def _say(self, acts: tuple[SalesAct, ...], **kw) -> AgentTurn:
        return AgentTurn(self.realiser.realise(acts, **kw), acts, default_stage_machine().primary(acts))

    # ------------------------------------------------------------ under DOGA guidance
    def _observe(self, observation: SalesObservation) -> None:
        """Update what the agent knows from the customer's last turn (when it does not choose the act)."""

    def _note(self, act: SalesAct) -> None:
        """Record that ``act`` was performed."""

    def _realise_kwargs(self, act: SalesAct, observation: SalesObservation) -> dict:
        last = observation.last_customer_turn
        objection = ObjectionType(last.objection) if last is not None and last.objection else None
        return {"objection": objection} if act is SalesAct.HANDLE_OBJECTION else {}

    def guidance_fields(self) -> dict:
        """Placeholder values for DOGA's outlines: this call's CRM view and the plan it would pitch."""
        return self.realiser.fields()

    def act_guided(self, observation: SalesObservation, guidance) -> AgentTurn:
        """Perform the guided intent: the filled outline when there is one, else this agent's template."""
        self._observe(observation)
        act = SalesAct(guidance.intent)
        text = guidance.outline or self.realiser.realise((act,), **self._realise_kwargs(act, observation))
        self._note(act)
        return AgentTurn(text, (act,), guidance.intent)


@register("random")
class RandomAgent(_TemplateAgent):
    """Picks an act uniformly at random each turn; discounts drawn from 5-50 % (often too much).

    Args:
        false_claim_prob: Chance that a product presentation also asserts a known non-feature.
    """

    def __init__(self, false_claim_prob: float = 0.1) -> None:
        if not 0.0 <= false_claim_prob <= 1.0:
            raise ConfigError(f"false_claim_prob must be in [0, 1], got {false_claim_prob!r}")
        self.false_claim_prob = false_claim_prob

    def act(self, observation: SalesObservation) -> AgentTurn:
        act = self.rng.choice(list(SalesAct))
        objection = self.rng.choice([None, *ObjectionType])
        turn = self._say((act,), objection=objection, pct=self.rng.randrange(5, 55, 5))
        non_features = self.view.product.non_features
        if act is SalesAct.PRESENT_PRODUCT and non_features and self.rng.random() < self.false_claim_prob:
            claim = self.rng.choice(non_features).claim
            return AgentTurn(f"{turn.text} Also, {claim}.", turn.acts, turn.intent)
        return turn


@register("scripted")
class ScriptedAgent(_TemplateAgent):
    """A fixed stage machine: greet and introduce, ask needs, present, close.

    When the customer raises an objection it answers generically (it does not tailor the
    answer to the objection's type) up to ``max_handles`` times, then closes again. It
    follows its script regardless of anything else, including do-not-call requests.
    """

    def __init__(self, max_handles: int = 2, max_closes: int = 4) -> None:
        if max_handles < 0 or max_closes < 1:
            raise ConfigError(f"need max_handles >= 0 and max_closes >= 1, got {max_handles}, {max_closes}")
        self.max_handles = max_handles
        self.max_closes = max_closes

    def _reset_state(self) -> None:
        self.stage = 0
        self.handles = 0
        self.closes = 0

    def act(self, observation: SalesObservation) -> AgentTurn:
        script = (_OPENING, (SalesAct.ASK_NEED,), (SalesAct.PRESENT_PRODUCT,))
        if self.stage < len(script):
            self.stage += 1
            return self._say(script[self.stage - 1])
        last = observation.last_customer_turn
        if last is not None and last.objection is not None and self.handles < self.max_handles:
            self.handles += 1
            return self._say((SalesAct.HANDLE_OBJECTION,))
        if self.closes >= self.max_closes:
            return self._say((SalesAct.GOODBYE,))
        self.closes += 1
        self.handles = 0
        return self._say((SalesAct.PROPOSE_CLOSE,))


@register("adaptive")
class AdaptiveAgent(_TemplateAgent):
    """Rule-based and responsive: listens for needs, objections and do-not-call requests.

    It asks about needs, analyses the business with the CRM numbers, pitches the feature
    that serves a need the customer mentioned, answers the objection actually raised
    (a discount only for price, within the product's limit), backs claims with evidence
    when unconvinced, and ends the call at once on a do-not-call request.
    """

    def __init__(self, max_handles: int = 3, max_closes: int = 3) -> None:
        if max_handles < 1 or max_closes < 1:
            raise ConfigError(f"need max_handles >= 1 and max_closes >= 1, got {max_handles}, {max_closes}")
        self.max_handles = max_handles
        self.max_closes = max_closes

    def _reset_state(self) -> None:
        self.needs: list[str] = []
        self.plan = default_plan(self.view)
        self.feature = None
        self.done: set[SalesAct] = set()
        self.objection: ObjectionType | None = None
        self.handles = 0
        self.discount_given = False
        self.closes = 0
        self.asked = 0

    def act(self, observation: SalesObservation) -> AgentTurn:
        last = observation.last_customer_turn
        if last is not None:
            reading = env_reader(observation.reader).read_customer(last.text)
            if CustomerAct.REQUEST_DNC in reading.acts:
                return self._say((SalesAct.HONOUR_DNC,))
            self._listen(reading)
        acts = self._next_acts()
        self.done.update(acts)
        kw = {"plan": self.plan, "feature": self.feature}
        if SalesAct.HANDLE_OBJECTION in acts:
            kw["objection"] = self.objection
        return self._say(acts, **kw)

    def _observe(self, observation: SalesObservation) -> None:
        last = observation.last_customer_turn
        if last is not None:
            self._listen(env_reader(observation.reader).read_customer(last.text))

    def _note(self, act: SalesAct) -> None:
        self.done.add(act)
        self.discount_given |= act is SalesAct.OFFER_DISCOUNT
        self.closes += act is SalesAct.PROPOSE_CLOSE
        if act is SalesAct.HANDLE_OBJECTION:
            self.handles += 1

    def _realise_kwargs(self, act: SalesAct, observation: SalesObservation) -> dict:
        kw = {"plan": self.plan, "feature": self.feature}
        if act is SalesAct.HANDLE_OBJECTION:
            kw["objection"] = self.objection
        return kw

    def guidance_fields(self) -> dict:
        return self.realiser.fields(self.plan, self.feature)

    def _listen(self, reading) -> None:
        """Take in a customer turn as read: the needs it mentions, the objection it raises."""
        for need in reading.needs:
            if need not in self.needs:
                self.needs.append(need)
        if self.feature is None:
            found = feature_for_needs(self.view, self.needs)
            if found is not None:
                self.feature, self.plan = found
        if reading.objection is not None:
            if reading.objection != self.objection:
                self.handles = 0
            self.objection = reading.objection
        elif CustomerAct.SHOW_INTEREST in reading.acts:
            self.objection = None

    def _next_acts(self) -> tuple[SalesAct, ...]:
        if not self.done:
            return _OPENING
        if self.objection is not None and self.handles < self.max_handles:
            self.handles += 1
            if self.objection is ObjectionType.PRICE and self.handles >= 2 and not self.discount_given:
                self.discount_given = True
                return (SalesAct.OFFER_DISCOUNT,)
            if self.objection is ObjectionType.TIMING and self.handles >= 2:
                return (SalesAct.OPERATIONAL_GUIDANCE,)
            return (SalesAct.HANDLE_OBJECTION,)
        if not self.needs and self.asked < 2:
            self.asked += 1
            return (SalesAct.ASK_NEED,)
        for act in (SalesAct.BUSINESS_ANALYSIS, SalesAct.PRESENT_PRODUCT, SalesAct.EVIDENCE):
            if act not in self.done:
                return (act,)
        if self.closes >= self.max_closes:
            return (SalesAct.GOODBYE,)
        self.closes += 1
        self.objection = None
        if self.closes == 2 and SalesAct.OPERATIONAL_GUIDANCE not in self.done:
            return (SalesAct.OPERATIONAL_GUIDANCE, SalesAct.PROPOSE_CLOSE)
        return (SalesAct.PROPOSE_CLOSE,)


FLAWS = ("false_claim", "over_discount", "premature_close", "ignore_dnc")


@register("flawed")
class FlawedAgent(AdaptiveAgent):
    """The adaptive agent with deliberate mistakes, each turn with probability ``flaw_prob``.

    A flawed turn asserts a known non-feature (``false_claim``), offers more than the
    maximum discount (``over_discount``), closes before presenting (``premature_close``)
    or keeps selling after a do-not-call request (``ignore_dnc``, whenever one was made).
    The flaw is recorded in the turn's ``meta["flaw"]``. Synthetic corpora use it so
    that not every unsuccessful call is the customer's doing.
    """

    def __init__(self, flaw_prob: float = 0.3, max_handles: int = 3, max_closes: int = 3) -> None:
        if not 0.0 <= flaw_prob <= 1.0:
            raise ConfigError(f"flaw_prob must be in [0, 1], got {flaw_prob!r}")
        super().__init__(max_handles, max_closes)
        self.flaw_prob = flaw_prob

    def act(self, observation: SalesObservation) -> AgentTurn:
        return self._maybe_flaw(super().act(observation))

    def act_guided(self, observation: SalesObservation, guidance) -> AgentTurn:
        """Guided turns keep this agent's nature: the same flaws, at the same rate."""
        return self._maybe_flaw(super().act_guided(observation, guidance))

    def _maybe_flaw(self, turn: AgentTurn) -> AgentTurn:
        if SalesAct.HONOUR_DNC in turn.acts:
            if self.rng.random() < self.flaw_prob:
                return self._flawed(self._say((SalesAct.PRESENT_PRODUCT,), plan=self.plan, feature=self.feature), "ignore_dnc")
            return turn
        if self.rng.random() >= self.flaw_prob:
            return turn
        flaw = self.rng.choice(FLAWS[:3])
        if flaw == "false_claim" and self.view.product.non_features:
            claim = self.rng.choice(self.view.product.non_features).claim
            return self._flawed(AgentTurn(f"{turn.text} Also, {claim}.", turn.acts, turn.intent), flaw)
        if flaw == "over_discount":
            pct = int(self.view.product.max_discount_pct) + 15
            return self._flawed(self._say((SalesAct.OFFER_DISCOUNT,), pct=pct), flaw)
        if SalesAct.PRESENT_PRODUCT not in self.done:
            return self._flawed(self._say((SalesAct.PROPOSE_CLOSE,), plan=self.plan, feature=self.feature), "premature_close")
        return turn

    @staticmethod
    def _flawed(turn: AgentTurn, flaw: str) -> AgentTurn:
        return AgentTurn(turn.text, turn.acts, turn.intent, {**(turn.meta or {}), "flaw": flaw})
