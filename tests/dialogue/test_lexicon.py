"""The cue-phrase reader: customer replies read back as their move, needs, claims, casing."""

import random

from aisalesman.core.scenario import Scenario
from aisalesman.core.types import CustomerAct, SalesAct
from aisalesman.customers.replies import CustomerRealiser, reply_bank
from aisalesman.dialogue.acts import CUSTOMER_MOVES
from aisalesman.dialogue.lexicon import ClaimChecker, mentioned_needs, read_customer, read_salesman

_DECISIONS = {"accept_sale": CustomerAct.ACCEPT, "accept_appointment": CustomerAct.ACCEPT,
              "reject": CustomerAct.REJECT, "hang_up": CustomerAct.HANG_UP, "request_dnc": CustomerAct.REQUEST_DNC}


def test_every_customer_line_reads_back_as_its_kind(products, test_personas):
    bank = reply_bank()
    for move in CUSTOMER_MOVES:
        for persona in test_personas[:25]:
            voice = CustomerRealiser(Scenario(persona, products[0]), random.Random(3))
            for restate in (False, True) if move.objection is not None else (False,):
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
