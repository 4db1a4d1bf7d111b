"""``aisalesman serve``: the real ``openai`` client talking to our customers over HTTP."""

import json
import os
import subprocess
import sys
import time

import pytest

openai = pytest.importorskip("openai", reason="the llm extra (openai, fastapi, uvicorn) is not installed")
pytest.importorskip("fastapi", reason="the llm extra (openai, fastapi, uvicorn) is not installed")

from aisalesman.core.scenario import Scenario  # noqa: E402
from aisalesman.core.seeding import derive_seed  # noqa: E402
from aisalesman.core.types import Role  # noqa: E402
from aisalesman.customers import make_customer  # noqa: E402
from aisalesman.customers.base import CustomerObservation  # noqa: E402
from aisalesman.data import load_personas, load_products  # noqa: E402
from aisalesman.envs.call import SalesCall  # noqa: E402
from aisalesman.serve import CustomerService, create_app  # noqa: E402
from aisalesman.testing.servers import running_server  # noqa: E402

LINES = ["Hi, this is Jordan from Tastemark about BistroBoost. Do you have a minute?",
         "May I ask what your biggest challenge is right now?",
         "Our Growth plan is $99 a month and includes targeted promotions.",
         "Shall we get you started on the Growth plan today?",
         "Shall we get you started on the Growth plan today?",
         "Shall we get you started on the Growth plan today?"]


@pytest.fixture(scope="module")
def service():
    return CustomerService(load_personas("test"), load_products("all"), seed=0)


@pytest.fixture(scope="module")
def client(service):
    with running_server(create_app(service)) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)


def _direct(persona, product, seed):
    """The same call played in-process with the built-in customer."""
    scenario = Scenario(persona, product)
    customer = make_customer("persona")
    customer.reset(scenario, seed=seed)
    call = SalesCall(scenario)
    for line in LINES:
        if call.done:
            break
        call.speak(Role.SALESMAN, line)
        if call.done:
            break
        r = customer.respond(CustomerObservation(scenario, tuple(call.turns)))
        call.speak(Role.CUSTOMER, r.text)
    return call


def test_models_are_the_personas(client, service):
    ids = [m.id for m in client.models.list().data]
    assert ids == service.model_ids() and ids[0] == "customer/test-0000" and len(ids) == 100


@pytest.mark.parametrize("index, reason", [(1, "rejected"), (2, "rejected"), (7, "rejected"), (9, "sale")])
def test_a_call_over_http_equals_the_call_in_process(client, index, reason):
    persona = load_personas("test")[index]
    product = load_products("bistro-boost")[0]
    expected = _direct(persona, product, seed=derive_seed(0, persona.id, product.key))
    assert expected.done and str(expected.reason) == reason  # the cases cover a sale and refusals
    messages = []
    replies = []
    for line in LINES:
        messages.append({"role": "user", "content": line})
        r = client.chat.completions.create(model=f"customer/{persona.id}@bistro-boost", messages=messages)
        extra = r.model_extra["aisalesman"]
        replies.append(r.choices[0].message.content)
        assert extra["history_mismatch"] is False
        if extra["done"]:
            break
        messages.append({"role": "assistant", "content": r.choices[0].message.content})
    got = [m for m in replies if m]
    assert got == [t.text for t in expected.turns if t.speaker == "customer"]
    assert extra["done"] and extra["termination_reason"] == reason and extra["outcome"] == str(expected.outcome)
    assert extra["decision"] == {"sale": "accept", "rejected": "reject"}[reason]
    assert extra["reward_components"] == {k: round(v, 6) for k, v in expected.components.items()}
    assert extra["reward_components"]["outcome"] == (1.0 if reason == "sale" else 0.0)


def test_request_seed_changes_the_customer_and_is_echoed(client):
    msgs = [{"role": "user", "content": LINES[0]}]
    a = client.chat.completions.create(model="customer/test-0003", messages=msgs, seed=1)
    b = client.chat.completions.create(model="customer/test-0003", messages=msgs, seed=1)
    assert a.choices[0].message.content == b.choices[0].message.content
    assert a.model_extra["aisalesman"]["seed"] == 1
    others = {client.chat.completions.create(model="customer/test-0003", messages=msgs, seed=s).choices[0].message.content
              for s in range(2, 10)}
    assert len(others | {a.choices[0].message.content}) > 1  # another seed, another customer reply


def test_bad_requests_get_openai_style_errors(client):
    msgs = [{"role": "user", "content": "hello"}]
    with pytest.raises(openai.NotFoundError, match="unknown persona 'nobody'"):
        client.chat.completions.create(model="customer/nobody", messages=msgs)
    with pytest.raises(openai.NotFoundError, match="unknown product"):
        client.chat.completions.create(model="customer/test-0001@toaster", messages=msgs)
    with pytest.raises(openai.BadRequestError, match="last message must be the salesman"):
        client.chat.completions.create(model="customer/test-0001", messages=msgs + [{"role": "assistant", "content": "hi"}])
    with pytest.raises(openai.BadRequestError, match="alternate"):
        client.chat.completions.create(model="customer/test-0001", messages=msgs * 2)
    ended = [{"role": "user", "content": "Goodbye, have a nice day."}, {"role": "assistant", "content": ""},
             {"role": "user", "content": "Hello again?"}]
    with pytest.raises(openai.BadRequestError, match="already ended"):
        client.chat.completions.create(model="customer/test-0001", messages=ended)


def test_salesman_ending_the_call_returns_no_reply_and_the_reason(client):
    r = client.chat.completions.create(model="customer/test-0001", messages=[{"role": "user", "content": "Goodbye!"}])
    extra = r.model_extra["aisalesman"]
    assert r.choices[0].message.content == "" and extra["done"] and extra["decision"] is None
    assert extra["termination_reason"] == "salesman_ended"


def test_bearer_token_is_required_when_configured(service):
    with running_server(create_app(service, api_key="s3cret")) as url:
        good = openai.OpenAI(base_url=f"{url}/v1", api_key="s3cret", max_retries=0)
        assert good.models.list().data
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0).models.list()


@pytest.mark.parametrize("extra", [[], ["--customer", "llm", "--customer-backend", "scripted", "--customer-mode", "free"]])
def test_serve_command_starts_and_answers(tmp_path, extra):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SERVE_KEY": "k1"}
    proc = subprocess.Popen([sys.executable, "-m", "aisalesman.cli", "serve", "--port", str(port), "--personas", "dev",
                             "--api-key-env", "SERVE_KEY", *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="k1", max_retries=0, timeout=5)
        deadline = time.monotonic() + 60
        while True:
            try:
                ids = [m.id for m in client.models.list().data]
                break
            except openai.APIConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert ids[0] == "customer/dev-0000"
        r = client.chat.completions.create(model="customer/dev-0000", messages=[{"role": "user", "content": LINES[0]}])
        assert r.choices[0].message.content and r.model_extra["aisalesman"]["decision"] == "continue"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_command_rejects_bad_settings():
    r = subprocess.run([sys.executable, "-m", "aisalesman.cli", "serve", "--api-key-env", "NO_SUCH_VAR_X"],
                       capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "NO_SUCH_VAR_X"})
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["error: api_key_env: environment variable NO_SUCH_VAR_X is not set or empty"]


def test_llm_customers_are_served_with_the_clients_history(service):
    """An LLM customer calls its model once per request, for the new reply only."""
    from aisalesman.core.llm.scripted import ScriptedChatModel

    model = ScriptedChatModel()
    llm_service = CustomerService(load_personas("test")[:3], load_products("bistro-boost"), customer="llm",
                                  customer_kwargs={"mode": "free"}, chat_model=model)
    with running_server(create_app(llm_service)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        messages = []
        for turn, line in enumerate(LINES[:3], 1):
            messages.append({"role": "user", "content": line})
            r = client.chat.completions.create(model="customer/test-0001", messages=messages)
            assert model.stats.calls == turn  # no replay of earlier turns through the model
            extra = r.model_extra["aisalesman"]
            assert extra["decision"] in {"continue", "accept", "reject"}
            if extra["done"]:
                break
            messages.append({"role": "assistant", "content": "Something the client's own simulator said."})
        # the model saw the client's history as the customer's earlier turns
        assert "Something the client's own simulator said." in json.dumps(model.last_request.messages)


def test_a_failing_customer_model_is_a_502(service):
    from aisalesman.core.errors import LLMServerError
    from aisalesman.core.llm import BaseChatModel

    class Down(BaseChatModel):
        name = "down"

        async def acomplete(self, request):
            raise LLMServerError("HTTP 503 from the model server")

    down = CustomerService(load_personas("test")[:1], load_products("bistro-boost"), customer="llm",
                           customer_kwargs={"mode": "anchored"}, chat_model=Down())
    with running_server(create_app(down)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        with pytest.raises(openai.APIStatusError, match="customer's model failed: HTTP 503") as info:
            client.chat.completions.create(model="customer/test-0000", messages=[{"role": "user", "content": "Hi"}])
        assert info.value.status_code == 502
