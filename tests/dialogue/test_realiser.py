"""Templates and the recogniser must agree: what the template realiser says is what the default reader reads."""

import random

import pytest

from aisalesman.core.scenario import Scenario
from aisalesman.core.types import ObjectionType, SalesAct
from aisalesman.dialogue.lexicon import ClaimChecker, read_salesman
from aisalesman.dialogue.realiser import TemplateRealiser

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


