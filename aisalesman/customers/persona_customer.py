"""The built-in persona customer: a hidden-state model, no LLM.

Our reconstruction of a customer whose behaviour makes sales strategy matter. The customer
keeps a hidden state (interest, trust, irritation, patience, pending objections) that each
salesman turn updates according to the acts and claims recognised in it (by the reader the
observation carries: the environment's), with effect sizes from ``data/act_effects.yaml``
scaled by the persona's traits:

* asking about needs before pitching makes the pitch land (a pitched feature that serves a
  persona need adds interest, more so once the needs were discussed);
* only an answer to the objection actually raised weakens it; a discount answers price only;
* closing before presenting, or closing again over an unanswered objection, irritates;
* a false claim lowers trust in proportion to the persona's scepticism;
* volume does not pay: a turn costs patience by how much it does and how long it runs, a
  crowded turn's gains shrink, a catalogue of features matches no need, a turn that only
  asks for the sale again straight after a close irritates, a discount already on the table
  is no concession, and words parroted back from the customer answer nothing (the
  ``volume`` section of the table; our reconstruction of a busy owner on a cold call);
* irritation past a persona-dependent limit, or exhausted patience, ends the call with a
  hang-up or, for some personas, a do-not-call request.

A purchase needs every objection resolved and ``0.55 interest + 0.45 trust - 0.3
irritation`` (plus a little noise) above the persona's threshold. Every effect size and
persona multiplier is in the data file; all randomness comes from a generator seeded in
:meth:`PersonaCustomer.reset`.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aisalesman.core.scenario import Scenario
from aisalesman.core.types import ObjectionType, Role, SalesAct
from aisalesman.customers.base import CustomerObservation, CustomerReply, customers
from aisalesman.customers.replies import CustomerRealiser, act_effects
from aisalesman.dialogue.acts import CustomerMove
from aisalesman.dialogue.configured import env_reader

__all__ = ["HiddenState", "PersonaCustomer", "TurnLoad", "echo_share", "turn_load"]

@dataclass(slots=True)
class HiddenState:
    """The customer's mutable state during one call."""

    interest: float
    trust: float
    irritation: float
    patience: float
    pending: list[list[Any]]  # [ObjectionType, strength], not yet voiced, in persona order
    raised: list[Any] | None = None  # the objection currently voiced and unanswered
    resolved: list[ObjectionType] = field(default_factory=list)
    uses: Counter = field(default_factory=Counter)
    discovered: bool = False
    presented: bool = False
    need_matched: bool = False
    closes: int = 0
    dnc_requested: bool = False
    closed_last: bool = False  # the previous salesman turn asked for the sale
    discount_offered: bool = False


@dataclass(frozen=True, slots=True)
class TurnLoad:
    """What one salesman turn costs the customer to hear (the ``volume`` rule)."""

    patience: float  # patience it uses up (1 for an ordinary turn)
    irritation: float  # irritation it adds by its size alone
    scale: float  # what its gains (interest, trust, answer power) are multiplied by
    echo: bool  # it parrots the customer's last words


_WORD = re.compile(r"[a-z0-9']+")


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}


def echo_share(said: str, heard: str, *, min_words: int = 3) -> float:
    """The share of ``heard``'s word trigrams that ``said`` repeats (0 when ``heard`` is too short)."""
    if len(_WORD.findall(heard.lower())) < max(3, min_words):
        return 0.0
    grams = _trigrams(heard)
    return len(grams & _trigrams(said)) / len(grams)


def turn_load(text: str, n_acts: int, heard: str | None, fx: dict[str, Any]) -> TurnLoad:
    """The load of a salesman turn of ``n_acts`` acts read from ``text``, after the customer said ``heard``.

    ``fx`` is the effect table's ``volume`` section.
    """
    extra = max(0, n_acts - fx["free_acts"])
    over = max(0, len(text) - fx["long_turn_chars"]) / fx["long_turn_step"]
    scale = (fx["free_acts"] / n_acts) ** fx["crowded_scale"] if extra else 1.0
    echo = heard is not None and echo_share(text, heard, min_words=fx["echo_min_words"]) >= fx["echo_overlap"]
    return TurnLoad(
        patience=1.0 + extra * fx["extra_act_patience"] + over * fx["long_turn_patience"],
        irritation=extra * fx["extra_act_irritation"] + over * fx["long_turn_irritation"]
        + (fx["echo_irritation"] if echo else 0.0),
        scale=scale,
        echo=echo,
    )


_OPENING = {SalesAct.GREET, SalesAct.INTRODUCE}
_DECIDED_LATER = {SalesAct.PROPOSE_CLOSE, SalesAct.SCHEDULE_FOLLOW_UP, SalesAct.GOODBYE, SalesAct.HONOUR_DNC}
_NOT_HEARD_IN_ECHO = {SalesAct.HANDLE_OBJECTION, SalesAct.ASK_NEED}  # parroting answers nothing, asks nothing


def _clip(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


@customers.register("persona")
class PersonaCustomer:
    """The built-in hidden-state customer (registered as ``persona``)."""

    def __init__(self) -> None:
        self._fx = act_effects()
        self._rng = random.Random(0)
        self.state: HiddenState | None = None
        self._scenario: Scenario | None = None
        self._style: dict[str, float] = {}
        self._scale = 1.0  # the current turn's gain multiplier (TurnLoad.scale)

    def reset(self, scenario: Scenario, *, seed: int) -> None:
        h = scenario.persona.hidden
        self._scenario = scenario
        self._rng = random.Random(seed)
        self.state = HiddenState(
            interest=h.initial_interest,
            trust=h.initial_trust,
            irritation=0.0,
            patience=float(h.patience),
            pending=[[o.type, o.strength] for o in h.objections],
        )
        self._voice = CustomerRealiser(scenario, self._rng)
        self._style = dict(self._fx["persona"]["decision_style"].get(h.decision_style, {}))
        self._scale = 1.0

    # ------------------------------------------------------------------ update
    def respond(self, observation: CustomerObservation) -> CustomerReply:
        s, turn = self.state, observation.last_salesman_turn
        if s is None or self._scenario is None:
            raise RuntimeError("PersonaCustomer.respond called before reset")
        if turn is None:
            return self._say("greet")
        reading = env_reader(observation.reader).read_salesman(turn.text)
        before = observation.turns[-2] if len(observation.turns) > 1 else None
        heard = before.text if before is not None and before.speaker == Role.CUSTOMER else None
        load = turn_load(turn.text, len(reading.acts), heard, self._fx["volume"])
        s.patience -= load.patience
        s.irritation = _clip(s.irritation + load.irritation)
        self._scale = load.scale
        acts = tuple(a for a in reading.acts if not (load.echo and a in _NOT_HEARD_IN_ECHO))
        answers = frozenset() if load.echo else reading.answers
        self._apply_claims(turn.claims)
        resolved_now = False
        for act in acts:
            resolved_now |= self._apply_act(act, answers, turn)
        reply = self._decide(acts, resolved_now)
        s.closed_last = SalesAct.PROPOSE_CLOSE in acts
        return reply

    def _apply_claims(self, claims) -> None:
        fx, s = self._fx["claims"], self.state
        for claim in claims:
            if not claim.valid:
                self._gain_trust(fx["false_claim_trust"] * self._scepticism())
                s.interest = _clip(s.interest + fx["false_claim_interest"])

    def _scepticism(self) -> float:
        return self._fx["persona"]["scepticism_base"] + self._scenario.persona.hidden.scepticism

    def _repeat_cost(self, act: SalesAct, fx: dict[str, Any]) -> bool:
        """Count a use of ``act``; True (and irritation) once its free uses are spent."""
        s = self.state
        s.uses[act] += 1
        if s.uses[act] > fx.get("free_uses", 99):
            s.irritation = _clip(s.irritation + fx.get("repeat_irritation", 0.0))
            return True
        return False

    def _gain_interest(self, amount: float) -> None:
        """Add ``amount`` of interest, scaled by openness (and, if a gain, by the turn's load)."""
        o = self._fx["persona"]["openness_interest"]
        factor = o["base"] + o["slope"] * self._scenario.persona.hidden.big_five.openness
        scale = self._scale if amount > 0 else 1.0
        self.state.interest = _clip(self.state.interest + amount * factor * scale)

    def _gain_trust(self, amount: float) -> None:
        """Add ``amount`` of trust (a gain scaled by the turn's load)."""
        self.state.trust = _clip(self.state.trust + amount * (self._scale if amount > 0 else 1.0))

    def _apply_act(self, act: SalesAct, answers: frozenset[ObjectionType], turn) -> bool:
        fx, s, h = self._fx["acts"].get(act.value, {}), self.state, self._scenario.persona.hidden
        volume = self._fx["volume"]
        if act in (SalesAct.HANDLE_OBJECTION, SalesAct.OFFER_DISCOUNT):
            return self._answer(act, answers, fx)
        if act in _DECIDED_LATER:  # closes and follow-ups are decided in _decide; endings end the call
            return False
        if self._repeat_cost(act, fx):
            return False
        if act is SalesAct.ASK_NEED:
            s.discovered = True
        elif act is SalesAct.BUSINESS_ANALYSIS:
            scale = 1.0 if s.discovered else fx["without_discovery"]
            scale *= self._style.get("analysis_interest", 1.0)
            self._gain_interest(fx["interest"] * scale)
            self._gain_trust(fx.get("trust", 0.0))
            return False
        elif act is SalesAct.PRESENT_PRODUCT:
            s.presented = True
            features = {c.key for c in turn.claims if c.kind == "feature"}
            product = self._scenario.product
            catalogue = len(features) >= volume["catalogue_features"]  # a list of everything answers no need
            if not s.need_matched and not catalogue and any(
                set(product.feature_by_key[k].serves_needs) & set(h.needs) for k in features
            ):
                s.need_matched = True
                bonus = fx["need_match_bonus"] * (fx["discovered_bonus"] if s.discovered else 1.0)
                self._gain_interest(bonus)
        elif act is SalesAct.EVIDENCE:
            self._gain_trust(fx["trust"] * self._scepticism() * self._style.get("evidence_trust", 1.0))
            return False
        elif act is SalesAct.OPERATIONAL_GUIDANCE:
            if not s.presented:
                s.irritation = _clip(s.irritation + fx["unprepared_irritation"])
                return False
            if s.raised is not None and s.raised[0] is ObjectionType.TIMING:
                return self._weaken(fx["timing_power"])
        self._gain_interest(fx.get("interest", 0.0))
        self._gain_trust(fx.get("trust", 0.0))
        return False

    def _answer(self, act: SalesAct, answers: frozenset[ObjectionType], fx: dict[str, Any]) -> bool:
        s = self.state
        if act is SalesAct.OFFER_DISCOUNT:
            fresh, s.discount_offered = not s.discount_offered, True
            self._repeat_cost(act, fx)
            if s.raised is not None and s.raised[0] is ObjectionType.PRICE:
                if not fresh:  # the discount was already on the table: no concession
                    return self._weaken(fx["stale_power"])
                self._gain_interest(fx["interest"])
                return self._weaken(fx["price_power"])
            self._gain_trust(fx["unprompted_trust"])
            return False
        if s.raised is None:
            s.irritation = _clip(s.irritation + fx["unprompted_irritation"])
            return False
        if not answers:
            return self._weaken(fx["generic_power"])
        if s.raised[0] not in answers:
            s.irritation = _clip(s.irritation + fx["wrong_irritation"])
            return False
        dilution = max(1, len(answers) - 1)
        d = self._fx["decision"]
        k = d["trust_scaled_power"]
        trust_factor = min(d["trust_scaled_power_cap"], 1 - k + k * 2 * s.trust)
        return self._weaken(fx["power"] * trust_factor / dilution)

    def _weaken(self, power: float) -> bool:
        """Weaken the voiced objection; True if that resolves it."""
        s, d = self.state, self._fx["decision"]
        s.raised[1] -= power * self._scale
        if s.raised[1] >= d["resolve_below"]:
            return False
        s.resolved.append(s.raised[0])
        s.raised = None
        self._gain_interest(d["resolved_interest"])
        self._gain_trust(d["resolved_trust"])
        return True

    # ---------------------------------------------------------------- decision
    def _fed_up(self) -> str | None:
        s, h, d = self.state, self._scenario.persona.hidden, self._fx["decision"]
        limit = d["irritation_limit"] + d["irritation_limit_agreeableness"] * h.big_five.agreeableness
        if s.trust < self._fx["claims"]["hang_up_below_trust"] or s.irritation >= limit or s.patience <= 0:
            if h.dnc_prone and not s.dnc_requested:
                s.dnc_requested = True
                return "request_dnc"
            return "hang_up"
        return None

    def _score(self) -> float:
        s, d = self.state, self._fx["decision"]
        noise = self._rng.gauss(0.0, d["noise"])
        bias = self._style.get("score_bias", 0.0)
        return d["w_interest"] * s.interest + d["w_trust"] * s.trust - d["w_irritation"] * s.irritation + noise + bias

    def _decide(self, acts: tuple[SalesAct, ...], resolved_now: bool) -> CustomerReply:
        s, h = self.state, self._scenario.persona.hidden
        if SalesAct.PROPOSE_CLOSE in acts:
            return self._close(bare=set(acts) == {SalesAct.PROPOSE_CLOSE})
        fed_up = self._fed_up()
        if fed_up:
            return self._say(fed_up)
        if SalesAct.SCHEDULE_FOLLOW_UP in acts:
            margin = self._fx["acts"]["schedule_follow_up"]["appointment_margin"]
            ok = s.presented and s.raised is None and self._score() >= h.purchase_threshold - margin
            return self._say("accept_appointment" if ok else "hesitation")
        if resolved_now:
            return self._say("resolved")
        if s.raised is not None and (SalesAct.HANDLE_OBJECTION in acts or SalesAct.OFFER_DISCOUNT in acts):
            return self._objection(s.raised[0], restate=True)
        if SalesAct.ASK_NEED in acts and s.uses[SalesAct.ASK_NEED] <= 2:
            return self._say("give_info")
        if SalesAct.PRESENT_PRODUCT in acts:
            p = self._fx["decision"]["spontaneous_objection"]
            if s.raised is None and s.pending and self._rng.random() < p * s.pending[0][1]:
                return self._raise_next()
            return self._say("show_interest" if s.interest >= 0.5 else "question")
        if acts and set(acts) <= _OPENING:
            return self._say("greet" if s.patience >= h.patience - 1 else "neutral")
        return self._say("question" if self._rng.random() < 0.25 else "neutral")

    def _close(self, *, bare: bool) -> CustomerReply:
        """The answer to a close; ``bare``: the turn did nothing but ask for the sale."""
        s, h = self.state, self._scenario.persona.hidden
        fx = self._fx["acts"]["propose_close"]
        s.closes += 1
        if not s.presented:
            s.irritation = _clip(s.irritation + fx["premature_irritation"])
        if not s.discovered:
            s.irritation = _clip(s.irritation + fx["undiscovered_irritation"])
        if s.raised is not None:
            s.irritation = _clip(s.irritation + fx["reclose_irritation"])
        if bare and s.closed_last:  # asked again straight after the last answer, with nothing new: pushy
            s.irritation = _clip(s.irritation + fx["pushy_irritation"])
        fed_up = self._fed_up()
        if fed_up:
            return self._say(fed_up)
        if s.raised is not None:
            if s.closes >= fx["max_closes"]:
                return self._say("reject")
            return self._objection(s.raised[0], restate=True)
        if s.pending:
            return self._raise_next()
        if self._score() >= h.purchase_threshold:
            return self._say("accept_sale")
        return self._say("reject" if s.closes >= 2 else "hesitation")

    def _raise_next(self) -> CustomerReply:
        s = self.state
        s.raised = s.pending.pop(0)
        return self._objection(s.raised[0], restate=False)

    # ------------------------------------------------------------------- text
    def _objection(self, kind: ObjectionType, *, restate: bool) -> CustomerReply:
        return self._voice.say(CustomerMove.objection_move(kind), restate=restate)

    def _say(self, kind: str) -> CustomerReply:
        return self._voice.say(kind)
