"""An LLM customer embedded in the Gymnasium salesman env: decisions honoured, failures end the call."""

import json

from aisalesman.core.errors import LLMServerError
from aisalesman.core.llm import BaseChatModel
from aisalesman.core.llm.scripted import ScriptedChatModel
from aisalesman.customers import make_customer
from aisalesman.envs import make_env
from aisalesman.envs.single_agent import SalesmanEnv
from aisalesman.envs.telesales import ScenarioPool, TeleSalesEnv


def _env(model, test_personas, product):
    customer = make_customer("llm", model=model, mode="free")
    return SalesmanEnv(TeleSalesEnv(ScenarioPool(test_personas[:5], [product])), customer)


def test_structured_decision_ends_the_call(test_personas, product):
    accept = json.dumps({"utterance": "Hmm, no, goodbye.", "decision": "accept"})
    env = _env(ScriptedChatModel(replies=[accept]), test_personas, product)
    env.reset(seed=0)
    _, reward, terminated, truncated, info = env.step("Hello, this is Jordan from Tastemark.")
    assert terminated and not truncated and info["termination_reason"] == "sale" and reward == 1.0


def test_backend_failure_ends_the_call_as_infra_error(test_personas, product):
    class Broken(BaseChatModel):
        name = "broken"

        async def acomplete(self, request):
            raise LLMServerError("HTTP 500 for good")

    env = _env(Broken(), test_personas, product)
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step("Hello, this is Jordan from Tastemark.")
    assert terminated and reward == 0.0
    assert info["termination_reason"] == "infra_error" and info["outcome"] == "no_conversion"
    assert env.env.call.infra_detail == "customer: HTTP 500 for good"


def test_registered_salesman_env_still_embeds_the_builtin_customer():
    env = make_env("aisalesman/telesales-salesman-v0")
    env.reset(seed=1)
    _, _, terminated, _, _ = env.step("Hello, this is Jordan from Tastemark about BistroBoost.")
    assert not terminated and env.env.call.turns[-1].speaker == "customer"
