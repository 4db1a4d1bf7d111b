"""The conformance checks catch what they claim to: each broken backend or customer below
fails ``check_chat_model`` or ``check_customer`` with the rule it broke."""

import dataclasses
import itertools
import random

import pytest

from aisalesman.core.errors import LLMError
from aisalesman.core.llm import Completion
from aisalesman.core.llm.scripted import ScriptedChatModel
from aisalesman.customers.persona_customer import PersonaCustomer
from aisalesman.testing import ChatModelCheckError, CustomerCheckError, check_chat_model, check_customer


class TakesAnything(ScriptedChatModel):
    def __init__(self, model="x", **_ignored):
        super().__init__(model)


class NegativeTokens(ScriptedChatModel):
    async def acomplete(self, request):
        c = await super().acomplete(request)
        return dataclasses.replace(c, completion_tokens=-1)


class OddFinish(ScriptedChatModel):
    async def acomplete(self, request):
        return dataclasses.replace(await super().acomplete(request), finish_reason="eos")


class Forgetful(ScriptedChatModel):
    """Answers, but counts nothing."""

    async def acomplete(self, request):
        return Completion("hi", "stop", 1, 1)


class Moody(ScriptedChatModel):
    def __init__(self, model="x"):
        super().__init__(model)
        self.n = itertools.count()

    async def acomplete(self, request):
        c = await super().acomplete(request)
        return dataclasses.replace(c, text=f"{c.text} {next(self.n)}")


class ShortBatch(ScriptedChatModel):
    async def abatch(self, requests):
        return (await super().abatch(requests))[:-1]


class RawError(ScriptedChatModel):
    async def acomplete(self, request):
        raise ValueError("invalid literal for int() with base 10: 'lots'")


class NeverFails(ScriptedChatModel):
    def __init__(self, model="x", *, broken=False):
        super().__init__(model)


@pytest.mark.parametrize("factory, options, rule", [
    (TakesAnything, {}, "accepted an unknown keyword"),
    (NegativeTokens, {}, "completion_tokens must be a non-negative int"),
    (OddFinish, {}, "finish_reason must be 'stop' or 'length'"),
    (Forgetful, {}, "stats.completions moved by 0"),
    (Moody, {}, "not deterministic"),
    (ShortBatch, {}, "batch\\(\\) of 3 requests returned 2 results"),
    (RawError, {}, "raised ValueError, not an LLMError"),
    (NeverFails, {"failing": {"broken": True}}, "expected to fail, but answered"),
])
def test_check_chat_model_catches_a_broken_backend(factory, options, rule):
    with pytest.raises(ChatModelCheckError, match=rule):
        check_chat_model(factory, **options)


def test_check_chat_model_passes_the_scripted_backend_built_by_hand():
    check_chat_model(ScriptedChatModel, model="by-hand")


class Wrapped:
    """The built-in customer, with one thing about its replies (or its state) broken."""

    def __init__(self, fault):
        self.inner, self.fault, self.turns = PersonaCustomer(), fault, 0

    def reset(self, scenario, *, seed):
        self.inner.reset(scenario, seed=seed)
        if self.fault != "keeps_state":
            self.turns = 0

    def respond(self, observation):
        reply = self.inner.respond(observation)
        self.turns += 1
        change = {"empty": {"text": "  "}, "bad_decision": {"decision": "maybe"}, "bad_meta": {"meta": {"seen": {1}}},
                  "keeps_state": {"text": f"{reply.text} ({self.turns})"}}.get(self.fault, {})
        if self.fault == "global_rng":
            random.random()  # a draw from the global generator, though its result is unused
        if self.fault == "llm_error":
            raise LLMError("the model kept talking nonsense")
        return dataclasses.replace(reply, **change)


@pytest.mark.parametrize("fault, rule", [
    ("empty", "text is empty"), ("bad_decision", "decision must be a CustomerDecision or None, got 'maybe'"),
    ("bad_meta", "meta is not JSON-serialisable"), ("keeps_state", "reset\\(\\) does not clear state"),
    ("global_rng", "global random state"), ("llm_error", "respond\\(\\) failed: LLMError"),
])
def test_check_customer_catches_a_broken_customer(fault, rule, test_personas, product):
    with pytest.raises(CustomerCheckError, match=rule):
        check_customer(Wrapped, personas=test_personas, product=product, fault=fault)


def test_check_customer_passes_the_wrapper_when_nothing_is_broken(test_personas, product):
    check_customer(Wrapped, personas=test_personas, product=product, fault="none")
