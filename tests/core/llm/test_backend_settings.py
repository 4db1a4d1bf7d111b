"""No silently ignored arguments: each backend gets the LLMConfig settings it declares, a
changed setting it does not take is an error naming both, and constructors take no
unknown keyword."""

import pytest

from aisalesman.core.config import LLMConfig
from aisalesman.core.errors import ConfigError
from aisalesman.core.llm import BACKEND_SETTINGS, backend_settings, chat_models, make_chat_model
from aisalesman.core.llm.openai_backend import OpenAIChatModel
from aisalesman.core.llm.scripted import ScriptedChatModel


@pytest.mark.parametrize("backend, setting, value", [
    ("openai", "device", "cuda"), ("openai", "dtype", "bfloat16"), ("openai", "max_batch", 4),
    ("transformers", "base_url", "http://127.0.0.1:8000/v1"), ("transformers", "timeout", 5.0),
    ("transformers", "price_prompt", 1.0), ("transformers", "api_key_env", "MY_KEY"),
])
def test_a_changed_setting_the_backend_does_not_take_is_an_error(backend, setting, value):
    cfg = LLMConfig(backend=backend, model="m", **{setting: value})
    with pytest.raises(ConfigError, match=rf"{setting}=.*backend '{backend}' has no {setting} setting"):
        make_chat_model(cfg)


def test_each_backend_gets_exactly_the_settings_it_declares():
    cfg = LLMConfig(backend="openai", model="m", timeout=7.0, concurrency=3, price_prompt=2.0)
    m = make_chat_model(cfg)
    assert isinstance(m, OpenAIChatModel) and (m.timeout, m.concurrency, m.price_prompt) == (7.0, 3, 2.0)
    assert set(backend_settings(cfg, OpenAIChatModel)) == {"base_url", "api_key_env", "concurrency", "timeout",
                                                          "max_retries", "price_prompt", "price_completion"}
    transformers = chat_models.get("transformers")
    assert set(backend_settings(LLMConfig(backend="transformers"), transformers)) == {"device", "dtype", "max_batch"}


def test_the_scripted_backend_stands_in_for_any_other():
    # so a config written for a server can be tried offline by switching its backend
    cfg = LLMConfig(backend="scripted", model="m", base_url="http://127.0.0.1:8000/v1", timeout=3.0, device="cuda")
    assert backend_settings(cfg, ScriptedChatModel) == {}
    assert isinstance(make_chat_model(cfg), ScriptedChatModel)


def test_a_plugin_taking_kwargs_gets_every_setting_and_one_declaring_some_gets_those(monkeypatch):
    seen = {}

    def open_plugin(model, **settings):
        seen["open"] = settings
        return ScriptedChatModel(model)

    def narrow_plugin(model, *, timeout=1.0):
        seen["narrow"] = {"timeout": timeout}
        return ScriptedChatModel(model)

    monkeypatch.setitem(chat_models._entries, "test-open-plugin", open_plugin)  # registered for this test only
    monkeypatch.setitem(chat_models._entries, "test-narrow-plugin", narrow_plugin)
    make_chat_model(LLMConfig(backend="test-open-plugin", model="m"))
    make_chat_model(LLMConfig(backend="test-narrow-plugin", model="m", timeout=9.0))
    assert set(seen["open"]) == set(BACKEND_SETTINGS) and seen["narrow"] == {"timeout": 9.0}
    with pytest.raises(ConfigError, match="device='cpu'.*'test-narrow-plugin' has no device setting.*timeout"):
        make_chat_model(LLMConfig(backend="test-narrow-plugin", model="m", device="cpu"))


@pytest.mark.parametrize("name", chat_models.names())
def test_backend_constructors_reject_a_misspelt_keyword(name):
    with pytest.raises(TypeError, match="timout"):
        chat_models.get(name)("m", timout=5.0)
