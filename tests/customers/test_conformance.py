"""Every registered customer passes ``check_customer``; LLM customers play on the scripted
backend, in each of their modes."""

import pytest

from aisalesman.core.llm.scripted import ScriptedChatModel
from aisalesman.customers.base import customers
from aisalesman.testing import check_customer

#: Constructor arguments per customer, one check per entry (default: one check, no arguments).
VARIANTS = {"llm": [{"mode": "free"}, {"mode": "anchored"}]}

CASES = [(name, kwargs) for name in customers.names() for kwargs in VARIANTS.get(name, [{}])]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k.get('mode', 'default')}" for n, k in CASES])
def test_every_registered_customer_conforms(name, kwargs, test_personas, product):
    check_customer(name, chat_model=ScriptedChatModel(), personas=test_personas, product=product, **kwargs)
