"""A faulty OpenAI-compatible server ends at most one request, never the run, and never
hangs it: every field of an answer is validated, ``timeout`` bounds the whole request,
and error texts a server echoes back lose the API key."""

import asyncio
import json
import logging
import traceback

import pytest

from aisalesman.core.errors import LLMBadResponseError, LLMRequestError, LLMServerError, LLMTimeoutError
from aisalesman.core.llm import ChatRequest, SamplingParams, clip, redact
from aisalesman.core.llm.openai_backend import OpenAIChatModel
from aisalesman.core.llm.openai_schema import ResponseDefect, parse_completion_body
from aisalesman.testing.servers import running_server

KEY = "sk-test-do-not-leak-7f3a9"


def req(logprobs=False):
    return ChatRequest(({"role": "user", "content": "hi"},), SamplingParams(seed=1, logprobs=logprobs))


def _answer(choice=None, **top):
    c = {"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}
    c.update(choice or {})
    body = {"id": "x", "choices": [c], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}
    body.update(top)
    return json.dumps(body)


def _usage(**fields):
    return _answer(usage={"prompt_tokens": 3, "completion_tokens": 2, **fields})


HOSTILE = {
    "not json": "hello", "empty body": "", "cut off": '{"choices": [{"message": ', "a list": "[]",
    "a list of answers": f"[{_answer()}]", "null": "null", "a number": "42", "no choices": '{"usage": {}}',
    "choices null": _answer(choices=None), "choices []": _answer(choices=[]), "choices [null]": _answer(choices=[None]),
    "choices {}": _answer(choices={}), "message null": _answer({"message": None}),
    "content null": _answer({"message": {"content": None}}), "content 123": _answer({"message": {"content": 123}}),
    "content parts": _answer({"message": {"content": [{"type": "text", "text": "hi"}]}}),
    "finish_reason 7": _answer({"finish_reason": 7}), "usage 'lots'": _usage(prompt_tokens="lots"),
    "usage '12'": _usage(prompt_tokens="12"), "usage negative": _usage(completion_tokens=-5),
    "usage bool": _usage(prompt_tokens=True), "usage 3.5": _usage(prompt_tokens=3.5),
    "usage 1e400": _answer(usage=None).replace('"usage": null', '"usage": {"prompt_tokens": 1e400}'),
    "usage NaN": _answer(usage=None).replace('"usage": null', '"usage": {"prompt_tokens": NaN}'),
    "usage 10**30": _usage(prompt_tokens=10**30), "usage a list": _answer(usage=[]), "usage {}": _usage(prompt_tokens={}),
    "usage 5000 digits": _answer(usage=None).replace('"usage": null', '"usage": {"prompt_tokens": ' + "9" * 5000 + "}"),
    "logprobs 'x'": _answer({"logprobs": "x"}), "logprobs content 'x'": _answer({"logprobs": {"content": "x"}}),
    "logprob 'x'": _answer({"logprobs": {"content": [{"token": "a", "logprob": "x"}]}}),
    "logprob positive": _answer({"logprobs": {"content": [{"token": "a", "logprob": 2.0}]}}),
    "logprob missing": _answer({"logprobs": {"content": [{"token": "a"}]}}),
    "nested 100k deep": '{"choices": ' + "[" * 100_000 + "]" * 100_000 + "}",
}


@pytest.fixture(scope="module")
def echo_server():
    """A server answering each chat request with the body ``served["body"]``, as given."""
    pytest.importorskip("fastapi", reason="needs the llm extra")
    pytest.importorskip("openai", reason="needs the llm extra")
    from fastapi import FastAPI
    from fastapi.responses import Response

    app = FastAPI()
    served = {"body": ""}

    @app.post("/v1/chat/completions")
    async def chat():
        return Response(served["body"].encode(), media_type="application/json")

    with running_server(app) as base:
        yield f"{base}/v1", served


@pytest.mark.parametrize("name", list(HOSTILE))
def test_every_defect_in_an_answer_is_a_bad_response_error(echo_server, name):
    url, served = echo_server
    served["body"] = HOSTILE[name]
    m = OpenAIChatModel("stub", base_url=url, max_retries=1, backoff_base=0.0, timeout=5.0)
    with pytest.raises(LLMBadResponseError, match="malformed response") as info:
        m.complete(req(logprobs=True))
    assert len(str(info.value)) < 400 and "\n" not in str(info.value)
    # retryable, and counted: two attempts, two bad responses, one failure
    assert m.stats.errors == {"LLMBadResponseError": 2} and m.stats.failures == 1 and m.stats.completions == 0


def test_the_message_names_the_field_but_not_its_value():
    with pytest.raises(ResponseDefect, match=r"usage\.prompt_tokens: Input should be a valid integer") as info:
        parse_completion_body(_usage(prompt_tokens="lots-of-" + KEY))
    assert KEY not in str(info.value)


@pytest.mark.parametrize("body, tokens", [
    (_answer(usage=None), (0, 0)), (_answer(usage={}), (0, 0)), (_usage(prompt_tokens=None), (0, 2)),
    (_answer(system_fingerprint={"a": [1, None]}, choice={"extra": {"x": 1}, "finish_reason": None}), (3, 2)),
])
def test_answers_a_lenient_server_may_give_still_parse(echo_server, body, tokens):
    url, served = echo_server
    served["body"] = body
    c = OpenAIChatModel("stub", base_url=url, max_retries=0).complete(req())
    assert c.text == "hello" and (c.prompt_tokens, c.completion_tokens) == tokens and c.finish_reason == "stop"


def test_logprobs_and_a_huge_answer_come_through(echo_server):
    url, served = echo_server
    served["body"] = _answer({"logprobs": {"content": [{"token": "a", "logprob": -0.5}, {"token": "b", "logprob": 0}]},
                              "finish_reason": "length"})
    c = OpenAIChatModel("stub", base_url=url, max_retries=0).complete(req(logprobs=True))
    assert c.logprobs == (-0.5, 0.0) and c.finish_reason == "length"
    served["body"] = _answer({"message": {"content": "x" * 10_000_000}})
    assert len(OpenAIChatModel("stub", base_url=url, max_retries=0).complete(req()).text) == 10_000_000


def test_a_dripping_server_is_cut_off_at_the_deadline_and_each_retry_gets_its_own(stub_server):
    # one byte every 0.1 s for 8 s: each read is quick, so only a deadline on the whole request ends it
    with stub_server(schedule=["drip", "drip"], drip_s=0.1, hang_s=8.0) as (url, state):
        m = OpenAIChatModel("stub", base_url=url, timeout=0.5, max_retries=2, backoff_base=0.0)

        async def timed():
            loop = asyncio.get_running_loop()
            start = loop.time()
            c = await m.acomplete(req())
            return c, loop.time() - start

        c, took = asyncio.run(timed())
    assert c.text  # the third attempt, answered at once, succeeds within its own 0.5 s
    assert m.stats.errors == {"LLMTimeoutError": 2} and m.stats.retries == 2 and state.served["drip"] == 2
    assert took < 5.0  # two 0.5 s deadlines and an answer; without the deadline, 16 s


def test_a_dripping_server_that_outlasts_every_retry_is_a_timeout_error(stub_server):
    with stub_server(schedule=["drip"], drip_s=0.1, hang_s=8.0) as (url, _):
        m = OpenAIChatModel("stub", base_url=url, timeout=0.5, max_retries=0)
        with pytest.raises(LLMTimeoutError, match="no complete answer within 0.5 s"):
            m.complete(req())
        assert m.stats.failures == 1


@pytest.mark.parametrize("status, error", [(400, LLMRequestError), (500, LLMServerError)])
def test_an_error_text_echoing_the_request_loses_the_key(stub_server, monkeypatch, caplog, status, error):
    monkeypatch.setenv("ECHO_TEST_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    with stub_server(faults=("echo",), fault_rate=1.0, echo_status=status) as (url, state):
        m = OpenAIChatModel("stub", base_url=url, api_key_env="ECHO_TEST_KEY", max_retries=1, backoff_base=0.0)
        with pytest.raises(error, match=f"HTTP {status}: .*invalid api key") as info:
            m.complete(req())
        assert state.last_authorization == f"Bearer {KEY}"  # the server did see the key, and echoed it
    err = info.value
    assert "[redacted]" in str(err) and err.__cause__ is None
    shown = "".join(traceback.format_exception(err)) + repr(err) + caplog.text + json.dumps(m.stats.to_dict())
    assert KEY not in shown and KEY[:12] not in shown


@pytest.mark.parametrize("text", [
    f"invalid key {KEY}", f"headers {{'authorization': 'Bearer {KEY}'}}", f'{{"Authorization": "Bearer {KEY}"}}',
    "Authorization: Bearer other-token-123", "x-api-key=other-token-123, next", '"api_key": "other-token-123"',
    "curl -H 'Authorization: Basic other-token-123'", "a token: bearer other-token-123.",
])
def test_redact_removes_the_key_and_anything_that_looks_like_a_credential(text):
    out = redact(text, [KEY, None, ""])
    assert KEY not in out and "other-token-123" not in out and "[redacted]" in out


def test_redact_leaves_ordinary_text_alone():
    text = "the token limit was exceeded; authorization required; basic plan"
    assert redact(text, [KEY]) == text


def test_clip_bounds_a_quote_and_says_so():
    assert clip("short", 10) == "short"
    cut = clip("x" * 1_000_000, 2000)
    assert len(cut) < 2100 and cut.startswith("x" * 2000) and "998000 more characters cut" in cut
    with pytest.raises(ValueError):
        clip("x", 0)

