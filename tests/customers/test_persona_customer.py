"""Behaviour of the built-in persona customer's hidden-state model."""

import random

from aisalesman.core.scenario import Scenario
from aisalesman.core.transcript import Turn
from aisalesman.core.types import ObjectionType, Role, SalesAct
from aisalesman.customers.base import CustomerObservation
from aisalesman.customers.persona_customer import PersonaCustomer
from aisalesman.dialogue.configured import env_reader
from aisalesman.dialogue.realiser import TemplateRealiser


class Driver:
    """Feeds salesman text to a fresh customer and returns its replies."""

    def __init__(self, persona, product, seed=0):
        self.scenario = Scenario(persona, product)
        self.customer = PersonaCustomer()
        self.customer.reset(self.scenario, seed=seed)
        self.reader = env_reader()  # the default, as in an env built without one
        self.realiser = TemplateRealiser(self.scenario.salesman_view(), random.Random(seed))
        self.turns: list[Turn] = []

    def say(self, text):
        claims = self.reader.claims(text, self.scenario.product)
        self.turns.append(Turn(len(self.turns), Role.SALESMAN, text, claims=claims))
        reply = self.customer.respond(CustomerObservation(self.scenario, tuple(self.turns), self.reader))
        self.turns.append(Turn(len(self.turns), Role.CUSTOMER, reply.text))
        return reply

    def act(self, *acts, **kw):
        return self.say(self.realiser.realise(acts, **kw))

    @property
    def state(self):
        return self.customer.state


def _with(persona, **hidden):
    """A validated copy of ``persona`` with some hidden fields changed."""
    data = persona.model_dump(mode="json")
    data["hidden"].update(hidden)
    return type(persona).model_validate(data)


def test_false_claim_lowers_trust_more_for_a_sceptic(persona, product):
    drops = []
    for scepticism in (0.1, 0.9):
        d = Driver(_with(persona, scepticism=scepticism, patience=30), product)
        before = d.state.trust
        d.say("Hello! Also, we guarantee you the top spot in search results.")
        drops.append(before - d.state.trust)
    assert drops[1] > drops[0] > 0


def test_only_an_answer_to_the_raised_objection_weakens_it(persona, product):
    base = _with(persona, objections=(), patience=30)
    for answer, should_weaken in ((ObjectionType.TRUST, True), (ObjectionType.TIMING, False)):
        d = Driver(_with(base, objections=({"type": "trust", "strength": 0.9},)), product)
        d.act(SalesAct.GREET, SalesAct.INTRODUCE)
        d.act(SalesAct.ASK_NEED)
        d.act(SalesAct.PRESENT_PRODUCT)
        reply = d.act(SalesAct.PROPOSE_CLOSE)
        assert reply.objection is ObjectionType.TRUST
        irritation = d.state.irritation
        d.act(SalesAct.HANDLE_OBJECTION, objection=answer)
        weakened = d.state.raised is None or d.state.raised[1] < 0.9
        assert weakened is should_weaken
        assert (d.state.irritation > irritation) is not should_weaken


def test_a_discount_answers_price_objections_only(persona, product):
    for objection in ("price", "contract"):
        d = Driver(_with(persona, objections=({"type": objection, "strength": 0.5},), patience=30), product)
        d.act(SalesAct.GREET)
        d.act(SalesAct.PRESENT_PRODUCT)
        d.act(SalesAct.PROPOSE_CLOSE)
        trust = d.state.trust
        d.act(SalesAct.OFFER_DISCOUNT)
        assert (d.state.raised is None) is (objection == "price")
        if objection != "price":
            assert d.state.trust < trust  # an unprompted discount sounds desperate


def test_closing_before_presenting_irritates_more_than_after(persona, product):
    early = Driver(_with(persona, objections=(), patience=30), product)
    early.act(SalesAct.GREET)
    early.act(SalesAct.PROPOSE_CLOSE)
    late = Driver(_with(persona, objections=(), patience=30), product)
    late.act(SalesAct.GREET)
    late.act(SalesAct.ASK_NEED)
    late.act(SalesAct.PRESENT_PRODUCT)
    late.act(SalesAct.PROPOSE_CLOSE)
    assert early.state.irritation > late.state.irritation


def test_asking_needs_before_a_matching_pitch_adds_more_interest(persona, product):
    need = "repeat_customers"
    person = _with(persona, needs=(need, "lower_bills", "cyber_protection"), objections=(), patience=30)
    loyalty = product.feature_by_key["loyalty_program"]
    gains = []
    for ask_first in (True, False):
        d = Driver(person, product)
        d.act(SalesAct.GREET)
        if ask_first:
            d.act(SalesAct.ASK_NEED)
        before = d.state.interest
        d.act(SalesAct.PRESENT_PRODUCT, feature=loyalty, plan=product.plans[-1])
        gains.append(d.state.interest - before)
    assert gains[0] > gains[1] > 0


def test_irritated_dnc_prone_persona_asks_not_to_be_called(persona, product):
    for prone, expected in ((True, "request_dnc"), (False, "hang_up")):
        d = Driver(_with(persona, dnc_prone=prone, patience=40), product)
        kinds = [d.act(SalesAct.PROPOSE_CLOSE).kind for _ in range(6)]
        assert expected in kinds


def test_patience_runs_out(persona, product):
    d = Driver(_with(persona, patience=3, dnc_prone=False), product)
    kinds = [d.act(SalesAct.EVIDENCE).kind for _ in range(3)]
    assert kinds[-1] == "hang_up"


def test_same_seed_same_replies_and_replies_vary(test_personas, product):
    def transcript(seed):
        d = Driver(test_personas[3], product, seed=seed)
        return [d.act(a).text for a in (SalesAct.GREET, SalesAct.ASK_NEED, SalesAct.PRESENT_PRODUCT, SalesAct.EVIDENCE)]

    assert transcript(1) == transcript(1)
    seen = set()
    for persona in test_personas[:30]:
        d = Driver(persona, product, seed=2)
        seen.add(d.act(SalesAct.GREET).text)
        seen.add(d.act(SalesAct.ASK_NEED).text)
    assert len(seen) >= 15
