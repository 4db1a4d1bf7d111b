"""Behaviour of the built-in persona customer's hidden-state model."""


from aisalesman.core.types import ObjectionType, SalesAct
from tests.customers.drivers import Driver, with_hidden


def test_false_claim_lowers_trust_more_for_a_sceptic(persona, product):
    drops = []
    for scepticism in (0.1, 0.9):
        d = Driver(with_hidden(persona, scepticism=scepticism, patience=30), product)
        before = d.state.trust
        d.say("Hello! Also, we guarantee you the top spot in search results.")
        drops.append(before - d.state.trust)
    assert drops[1] > drops[0] > 0


def test_only_an_answer_to_the_raised_objection_weakens_it(persona, product):
    base = with_hidden(persona, objections=(), patience=30)
    for answer, should_weaken in ((ObjectionType.TRUST, True), (ObjectionType.TIMING, False)):
        d = Driver(with_hidden(base, objections=({"type": "trust", "strength": 0.9},)), product)
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
        d = Driver(with_hidden(persona, objections=({"type": objection, "strength": 0.5},), patience=30), product)
        d.act(SalesAct.GREET)
        d.act(SalesAct.PRESENT_PRODUCT)
        d.act(SalesAct.PROPOSE_CLOSE)
        trust = d.state.trust
        d.act(SalesAct.OFFER_DISCOUNT)
        assert (d.state.raised is None) is (objection == "price")
        if objection != "price":
            assert d.state.trust < trust  # an unprompted discount sounds desperate


def test_closing_before_presenting_irritates_more_than_after(persona, product):
    early = Driver(with_hidden(persona, objections=(), patience=30), product)
    early.act(SalesAct.GREET)
    early.act(SalesAct.PROPOSE_CLOSE)
    late = Driver(with_hidden(persona, objections=(), patience=30), product)
    late.act(SalesAct.GREET)
    late.act(SalesAct.ASK_NEED)
    late.act(SalesAct.PRESENT_PRODUCT)
    late.act(SalesAct.PROPOSE_CLOSE)
    assert early.state.irritation > late.state.irritation


def test_asking_needs_before_a_matching_pitch_adds_more_interest(persona, product):
    need = "repeat_customers"
    person = with_hidden(persona, needs=(need, "lower_bills", "cyber_protection"), objections=(), patience=30)
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
        d = Driver(with_hidden(persona, dnc_prone=prone, patience=40), product)
        kinds = [d.act(SalesAct.PROPOSE_CLOSE).kind for _ in range(6)]
        assert expected in kinds


def test_patience_runs_out(persona, product):
    d = Driver(with_hidden(persona, patience=3, dnc_prone=False), product)
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
