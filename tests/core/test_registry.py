import importlib.metadata

import pytest

from aisalesman.core.errors import AISalesmanError, UnknownNameError
from aisalesman.core.registry import Registry


def test_decorator_registers_and_get_returns_the_object():
    reg: Registry[object] = Registry("widget")

    @reg.register("alpha")
    class Alpha:
        pass

    assert reg.get("alpha") is Alpha
    assert "alpha" in reg and reg.names() == ["alpha"] and len(reg) == 1


def test_duplicate_name_is_an_error_unless_overwrite():
    reg: Registry[int] = Registry("widget")
    reg.register("a", 1)
    with pytest.raises(AISalesmanError, match="already registered"):
        reg.register("a", 2)
    reg.register("a", 3, overwrite=True)
    assert reg.get("a") == 3


def test_unknown_name_suggests_close_matches():
    reg: Registry[int] = Registry("agent")
    reg.register("scripted", 1)
    reg.register("adaptive", 2)
    with pytest.raises(UnknownNameError) as info:
        reg.get("scriptd")
    message = str(info.value)
    assert "unknown agent 'scriptd'" in message and "did you mean 'scripted'" in message


def test_lazy_target_is_imported_on_first_use():
    reg: Registry[object] = Registry("thing")
    reg.register("dumps", "json:dumps")
    import json

    assert reg.get("dumps") is json.dumps


def test_broken_lazy_target_names_the_entry():
    reg: Registry[object] = Registry("thing")
    reg.register("nope", "no_such_module_xyz:thing")
    with pytest.raises(AISalesmanError, match="'nope' could not be loaded"):
        reg.get("nope")


def test_entry_point_plugins_are_loaded(monkeypatch):
    ep = importlib.metadata.EntryPoint(name="plugged", value="json:loads", group="test.group")
    real = importlib.metadata.entry_points

    def fake(**kw):
        return [ep] if kw.get("group") == "test.group" else real(**kw)

    monkeypatch.setattr(importlib.metadata, "entry_points", fake)
    reg: Registry[object] = Registry("thing", entry_point_group="test.group")
    import json

    assert "plugged" in reg
    assert reg.get("plugged") is json.loads


def test_create_passes_the_shared_chat_model_only_to_factories_that_use_one():
    from aisalesman.core.errors import ConfigError
    from aisalesman.core.registry import Registry

    reg = Registry("thing")

    class Plain:
        def __init__(self, size=1):
            self.size = size

    class WithModel:
        uses_chat_model = True

        def __init__(self, model=None, size=1):
            self.model, self.size = model, size

    reg.register("plain", Plain)
    reg.register("llm", WithModel)
    assert reg.create("plain", chat_model="M", size=3).size == 3
    assert reg.create("llm", chat_model="M").model == "M"
    with pytest.raises(ConfigError, match=r"thing 'plain' does not accept \['colour'\]"):
        reg.create("plain", colour="blue")
