"""Shared fixtures. Tests are offline and deterministic."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

import pytest  # noqa: E402

import aisalesman  # noqa: E402,F401  (registers built-in components)
from aisalesman.core.scenario import Scenario  # noqa: E402
from aisalesman.data import builtin_product_names, load_personas, load_product  # noqa: E402


@pytest.fixture(scope="session")
def products():
    return [load_product(n) for n in builtin_product_names()]


@pytest.fixture(scope="session")
def product():
    return load_product("bistro-boost")


@pytest.fixture(scope="session")
def test_personas():
    return load_personas("test")


@pytest.fixture(scope="session")
def persona(test_personas):
    return next(p for p in test_personas if p.segment == "warm")


@pytest.fixture
def scenario(persona, product):
    return Scenario(persona, product)


@pytest.fixture(scope="session")
def tiny_lm_path(tmp_path_factory):
    """A tiny randomly-initialised Llama model and tokenizer, written once per session."""
    pytest.importorskip("torch", reason="needs the llm extra (torch)")
    pytest.importorskip("transformers", reason="needs the llm extra (transformers)")
    from aisalesman.testing.tiny_lm import build_tiny_lm

    return build_tiny_lm(tmp_path_factory.mktemp("tiny-lm"))


@pytest.fixture
def stub_server():
    """Start a stub OpenAI-compatible server: ``with stub_server(**options) as (url, state)``."""
    import contextlib

    from tests.extras import missing

    gone = missing("openai", "fastapi", "uvicorn")
    if gone:
        pytest.skip(f"needs the llm extra ({', '.join(gone)} not installed)")
    from aisalesman.testing.openai_stub import StubState, stub_openai_app
    from aisalesman.testing.servers import running_server

    @contextlib.contextmanager
    def start(**options):
        state = StubState()
        with running_server(stub_openai_app(state=state, **options)) as url:
            yield f"{url}/v1", state

    return start


@pytest.fixture(scope="session")
def rllib_checkpoint(tmp_path_factory):
    """An untrained salesman module saved as RLlib saves it (what ``rllib:<path>`` loads)."""
    pytest.importorskip("ray.rllib")
    from aisalesman.training.rllib import MODULE_ID, SalesmanMultiAgentEnv, SalesmanTorchModule

    env = SalesmanMultiAgentEnv({})
    module = SalesmanTorchModule(observation_space=env.observation_spaces[MODULE_ID],
                                 action_space=env.action_spaces[MODULE_ID], model_config={"hidden": [16]})
    path = tmp_path_factory.mktemp("rllib") / "module"
    module.save_to_path(str(path))
    return path
