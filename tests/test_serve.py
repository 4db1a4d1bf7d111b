"""``aisalesman serve``: the real ``openai`` client talking to our customers over HTTP."""

import os
import subprocess
import sys
import time

import openai
import pytest

from aisalesman.core.scenario import Scenario
from aisalesman.core.seeding import derive_seed
from aisalesman.core.types import Role
from aisalesman.customers import make_customer
from aisalesman.customers.base import CustomerObservation
from aisalesman.data import load_personas, load_products
from aisalesman.envs.call import SalesCall
from aisalesman.serve import CustomerService, create_app
from aisalesman.testing.servers import running_server

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


@pytest.mark.parametrize("index", [1, 2, 7])
def test_a_call_over_http_equals_the_call_in_process(client, index):
    persona = load_personas("test")[index]
    product = load_products("bistro-boost")[0]
    expected = _direct(persona, product, seed=derive_seed(0, persona.id, product.key))
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
    assert extra["termination_reason"] == str(expected.reason) if expected.done else not extra["done"]
    if expected.reason == "sale":
        assert extra["decision"] == "accept" and extra["reward_components"]["outcome"] == 1.0


def test_request_seed_changes_the_customer_and_is_echoed(client):
    msgs = [{"role": "user", "content": LINES[0]}]
    a = client.chat.completions.create(model="customer/test-0003", messages=msgs, seed=1)
    b = client.chat.completions.create(model="customer/test-0003", messages=msgs, seed=1)
    assert a.choices[0].message.content == b.choices[0].message.content
    assert a.model_extra["aisalesman"]["seed"] == 1


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


def test_serve_command_starts_and_answers(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SERVE_KEY": "k1"}
    proc = subprocess.Popen([sys.executable, "-m", "aisalesman.cli", "serve", "--port", str(port), "--personas", "dev",
                             "--api-key-env", "SERVE_KEY"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
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
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_command_rejects_bad_settings():
    r = subprocess.run([sys.executable, "-m", "aisalesman.cli", "serve", "--api-key-env", "NO_SUCH_VAR_X"],
                       capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "NO_SUCH_VAR_X"})
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["error: api_key_env: environment variable NO_SUCH_VAR_X is not set or empty"]
