"""Chat-model backends: request validation, the scripted model, the cache, and the
OpenAI-compatible HTTP backend against a local stub server (retries, typed errors, keys)."""

import asyncio
import json

import pytest

from aisalesman.core.config import LLMConfig
from aisalesman.core.errors import (
    ConfigError,
    DataFileError,
    LLMBadResponseError,
    LLMConnectionError,
    LLMRateLimitError,
    LLMRequestError,
    LLMServerError,
    LLMTimeoutError,
    UnknownNameError,
)
from aisalesman.core.llm import CachedChatModel, CacheMissError, ChatRequest, SamplingParams, make_chat_model
from aisalesman.core.llm.openai_backend import OpenAIChatModel, parse_retry_after
from aisalesman.core.llm.scripted import ScriptedChatModel
from tests.extras import LLM


def req(text="hi", seed=None, **params):
    return ChatRequest(({"role": "system", "content": "be brief"}, {"role": "user", "content": text}),
                       SamplingParams(seed=seed, **params))


def test_requests_and_params_are_validated():
    with pytest.raises(ConfigError, match="role"):
        ChatRequest(({"role": "robot", "content": "x"},))
    with pytest.raises(ConfigError, match="at least one"):
        ChatRequest(())
    for bad in ({"temperature": -1}, {"top_p": 0}, {"max_tokens": 0}):
        with pytest.raises(ConfigError):
            SamplingParams(**bad)
    with pytest.raises(ConfigError, match="concurrency"):
        LLMConfig(concurrency=0)
    with pytest.raises(UnknownNameError, match="did you mean 'openai'"):
        make_chat_model(LLMConfig(backend="opneai"))
    with pytest.raises(ConfigError, match="needs a model name"):
        make_chat_model(LLMConfig(backend="openai", model=""))


def test_scripted_model_depends_only_on_the_request():
    m = ScriptedChatModel()
    reqs = [req(f"line {i}", seed=i) for i in range(6)]
    forward = m.batch(reqs)
    backward = m.batch(reqs[::-1])[::-1]
    assert [c.text for c in forward] == [c.text for c in backward]
    cycling = ScriptedChatModel(replies=["a", "b"])
    two_turns = ChatRequest(({"role": "user", "content": "x"}, {"role": "assistant", "content": "a"},
                             {"role": "user", "content": "y"}))
    assert cycling.complete(req()).text == "a" and cycling.complete(two_turns).text == "b"
    cut = ScriptedChatModel(replies=["one two three four. STOP five"]).complete(req(max_tokens=2))
    assert cut.text == "one two" and cut.finish_reason == "length" and cut.completion_tokens == 2
    stopped = ScriptedChatModel(replies=["one two STOP five"]).complete(req(stop=("STOP",)))
    assert stopped.text == "one two " and stopped.finish_reason == "stop"


def test_cache_records_then_replays_with_zero_model_calls(tmp_path):
    path = tmp_path / "cache.jsonl"
    inner = ScriptedChatModel()
    cached = CachedChatModel(inner, path)
    reqs = [req(f"q{i}", seed=i) for i in range(5)]
    first = cached.batch(reqs)
    assert inner.stats.calls == 5 and cached.stats.cache_misses == 5
    assert len(path.read_text().splitlines()) == 5
    fresh_inner = ScriptedChatModel(responder=lambda r: pytest.fail("replay must not call the model"))
    replay = CachedChatModel(fresh_inner, path, mode="replay")
    assert replay.batch(reqs) == first
    assert fresh_inner.stats.calls == 0 and replay.stats.cache_hits == 5
    # the seed is part of the key: same messages, other seed -> a miss
    with pytest.raises(CacheMissError, match="replay mode"):
        replay.complete(req("q0", seed=99))
    # a crash mid-append leaves a partial line; loading drops it and keeps the rest
    good = path.read_bytes()
    with path.open("a") as fh:
        fh.write('{"completion": {"text": "hal')
    assert len(CachedChatModel(ScriptedChatModel(), path)) == 5
    assert path.read_bytes() == good
    # ... but an ending that is not a record of ours is not cut: the file is refused untouched
    path.write_bytes(good + b"my own notes")
    with pytest.raises(DataFileError, match="not recognisably a cache"):
        CachedChatModel(ScriptedChatModel(), path)
    assert path.read_bytes() == good + b"my own notes"
    path.write_text("not json\n")
    with pytest.raises(DataFileError, match="line 1"):
        CachedChatModel(inner, path)
    with pytest.raises(DataFileError, match="no such cache file"):
        CachedChatModel(inner, tmp_path / "missing.jsonl", mode="replay")
    with pytest.raises(ConfigError, match="cache_mode"):
        CachedChatModel(inner, path, mode="sometimes")


def test_make_chat_model_wraps_in_cache_only_when_asked(tmp_path):
    assert isinstance(make_chat_model(LLMConfig(backend="scripted")), ScriptedChatModel)
    cached = make_chat_model(LLMConfig(backend="scripted", cache=str(tmp_path / "c.jsonl")))
    assert isinstance(cached, CachedChatModel)


def test_retry_after_parsing():
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "150"}) == 0.15
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def _http(url, **kw):
    options = {"timeout": 2.0, "max_retries": 3, "backoff_base": 0.01, "backoff_max": 0.05}
    options.update(kw)
    return OpenAIChatModel("stub", base_url=url, **options)


def test_http_backend_answers_and_counts_tokens(stub_server):
    with stub_server() as (url, state):
        m = _http(url)
        c = m.complete(req("hello there", seed=1))
        assert c.text and c.finish_reason == "stop" and c.prompt_tokens == 4 and c.completion_tokens > 0
        assert m.stats.completions == 1 and m.stats.retries == 0


@pytest.mark.parametrize("fault, error", [("500", LLMServerError), ("429", LLMRateLimitError),
                                          ("malformed", LLMBadResponseError), ("empty", LLMBadResponseError),
                                          ("hang", LLMTimeoutError)])
def test_http_backend_retries_each_fault_then_succeeds(stub_server, fault, error):
    with stub_server(schedule=[fault, fault], hang_s=5.0) as (url, state):
        m = _http(url, timeout=0.5)
        c = m.complete(req(seed=3))
        assert c.text
        assert m.stats.retries == 2 and m.stats.errors == {error.__name__: 2} and m.stats.failures == 0
        assert state.served[fault] == 2 and state.served["ok"] == 1


def test_http_backend_gives_up_after_max_retries_with_a_typed_error(stub_server):
    with stub_server(schedule=["500"] * 10) as (url, _):
        m = _http(url, max_retries=2)
        with pytest.raises(LLMServerError, match="HTTP 500"):
            m.complete(req())
        assert m.stats.calls == 3 and m.stats.retries == 2 and m.stats.failures == 1


def test_http_backend_honours_retry_after(stub_server):
    # backoff_max caps the wait; with Retry-After 0.3 s and no backoff, the retry waits for it
    with stub_server(schedule=["429"], retry_after=0.3) as (url, _):
        m = _http(url, backoff_base=0.0, backoff_max=10.0)

        async def timed():
            loop = asyncio.get_running_loop()
            start = loop.time()
            await m.acomplete(req())
            return loop.time() - start

        assert asyncio.run(timed()) >= 0.3
        assert m.stats.errors == {"LLMRateLimitError": 1}


def test_http_backend_does_not_retry_request_errors(stub_server):
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    from aisalesman.testing.servers import running_server

    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat():
        return JSONResponse({"error": {"message": "model 'nope' does not exist"}}, status_code=404)

    with running_server(app) as base:
        m = _http(f"{base}/v1")
        with pytest.raises(LLMRequestError, match="HTTP 404.*does not exist"):
            m.complete(req())
        assert m.stats.calls == 1 and m.stats.retries == 0


def test_http_backend_limits_requests_in_flight(stub_server):
    with stub_server(delay=0.05) as (url, _):
        m = _http(url, concurrency=3)
        in_flight = peak = 0
        original = m._once

        async def counting(client, request):
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                return await original(client, request)
            finally:
                in_flight -= 1

        m._once = counting
        results = m.batch([req(str(i)) for i in range(12)])
        assert all(not isinstance(r, Exception) for r in results)
        assert peak == 3


@LLM
def test_unreachable_server_fails_preflight_with_one_line():
    m = OpenAIChatModel("x", base_url="http://127.0.0.1:9/v1", timeout=2.0)
    with pytest.raises(LLMConnectionError, match="cannot connect") as info:
        m.preflight()
    assert "\n" not in str(info.value)


def test_api_key_comes_from_the_environment_and_is_never_shown(stub_server, monkeypatch):
    monkeypatch.setenv("MY_LLM_KEY", "sk-very-secret-123")
    with stub_server() as (url, state):
        m = OpenAIChatModel("stub", base_url=url, api_key_env="MY_LLM_KEY")
        m.complete(req())
        assert state.last_authorization == "Bearer sk-very-secret-123"
        assert "secret" not in repr(m) and "secret" not in json.dumps(m.stats.to_dict())
