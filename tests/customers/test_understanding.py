"""Templates, replies and the recogniser must agree: what is said is what is read."""

import random

import pytest

from aisalesman.agents.realiser import TemplateRealiser
from aisalesman.core.scenario import Scenario
from aisalesman.core.types import CustomerAct, ObjectionType, SalesAct
from aisalesman.customers.replies import CUSTOMER_MOVES, CustomerRealiser, reply_bank
from aisalesman.customers.understanding import ClaimChecker, mentioned_needs, read_customer, read_salesman

_DECISIONS = {"accept_sale": CustomerAct.ACCEPT, "accept_appointment": CustomerAct.ACCEPT,
              "reject": CustomerAct.REJECT, "hang_up": CustomerAct.HANG_UP, "request_dnc": CustomerAct.REQUEST_DNC}


# Acts a template of another act may also perform (by design, e.g. a removal says goodbye).
_ALLOWED_EXTRAS = {
    SalesAct.HONOUR_DNC: {SalesAct.GOODBYE},
    SalesAct.HANDLE_OBJECTION: {SalesAct.EVIDENCE, SalesAct.PRESENT_PRODUCT},
    SalesAct.EVIDENCE: set(),
    SalesAct.PRESENT_PRODUCT: set(),
}


def _every_realisation(realiser, act, **kw):
    """Every template variant of ``act`` (by drawing until all distinct texts are seen)."""
    texts = set()
    for _ in range(60):
        texts.add(realiser.realise((act,), **kw))
    return texts


@pytest.mark.parametrize("act", list(SalesAct))
def test_every_salesman_template_reads_back_as_its_act_and_makes_no_false_claim(act, products, test_personas):
    for product in products:
        for persona in test_personas[:6]:
            realiser = TemplateRealiser(Scenario(persona, product).salesman_view(), random.Random(1))
            checker = ClaimChecker(product)
            kw = {"objection": ObjectionType.PRICE} if act is SalesAct.HANDLE_OBJECTION else {}
            for text in _every_realisation(realiser, act, **kw):
                reading = read_salesman(text)
                expected = SalesAct.ASK_NEED if act is SalesAct.BUSINESS_ANALYSIS and not product.analysis_metrics else act
                assert expected in reading.acts, f"{product.key}: {text!r} read as {reading.acts}"
                extras = set(reading.acts) - {expected} - _ALLOWED_EXTRAS.get(act, set())
                assert not extras, f"{product.key}: {text!r} also read as {extras}"
                assert all(c.valid for c in checker.check(text)), f"{text!r}: {checker.check(text)}"


@pytest.mark.parametrize("objection", list(ObjectionType))
def test_typed_objection_answers_answer_their_type(objection, products, persona):
    for product in products:
        realiser = TemplateRealiser(Scenario(persona, product).salesman_view(), random.Random(0))
        for text in _every_realisation(realiser, SalesAct.HANDLE_OBJECTION, objection=objection):
            assert objection in read_salesman(text).answers, text


def test_generic_objection_answers_answer_nothing(product, persona):
    realiser = TemplateRealiser(Scenario(persona, product).salesman_view(), random.Random(0))
    for text in _every_realisation(realiser, SalesAct.HANDLE_OBJECTION):
        reading = read_salesman(text)
        assert SalesAct.HANDLE_OBJECTION in reading.acts and reading.answers == frozenset(), text


def test_every_customer_line_reads_back_as_its_kind(products, test_personas):
    bank = reply_bank()
    for move in CUSTOMER_MOVES:
        for persona in test_personas[:25]:
            voice = CustomerRealiser(Scenario(persona, products[0]), random.Random(3))
            for restate in (False, True) if move.startswith("objection:") else (False,):
                for _ in range(15):
                    reply = voice.say(move, restate=restate)
                    reading = read_customer(reply.text)
                    assert reply.act in reading.acts, f"{move}: {reply.text!r} read as {reading.acts}"
                    assert reading.decision == _DECISIONS.get(move), f"{move}: {reply.text!r}"
                    assert reading.objection == reply.objection, f"{move}: {reply.text!r}"
    assert set(bank["need_sentences"]) >= {n for p in test_personas for n in p.hidden.needs}


def test_need_sentences_mention_their_need():
    for need, sentences in reply_bank()["need_sentences"].items():
        for sentence in sentences:
            assert need in mentioned_needs(sentence), sentence


def test_claims_are_checked_against_the_knowledge_base(product):
    check = ClaimChecker(product).check
    assert [c.valid for c in check("The Growth plan is $99 a month.") if c.kind == "price"] == [True]
    assert [c.valid for c in check("The Growth plan is $59 a month.") if c.kind == "price"] == [False]
    assert [c.valid for c in check("You get 20 percent off.") if c.kind == "discount"] == [True]
    assert [c.valid for c in check("You get 35% off.") if c.kind == "discount"] == [False]
    assert [c.valid for c in check("There is a 14-day free trial.")] == [True]
    assert [c.valid for c in check("There is a 30-day free trial.")] == [False]
    assert [c.valid for c in check("You can cancel anytime.")] == [False]  # six-month term
    assert [c.valid for c in check("Also, we deliver your orders with our own drivers.")] == [False]
    assert check("We do not deliver your orders, to be clear.") == ()
    assert [(c.kind, c.key) for c in check("It includes review management.")] == [("feature", "review_management")]


def test_recognition_is_case_insensitive_and_handles_unicode():
    assert SalesAct.GREET in read_salesman("HELLO there, 你好").acts
    assert read_customer("好的，谢谢").acts == (CustomerAct.SMALL_TALK,)
    assert read_customer("No thanks, not interested. Please don't call me again.").decision is CustomerAct.REQUEST_DNC
