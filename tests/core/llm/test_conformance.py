"""Every registered LLM backend passes ``check_chat_model``, built with what it needs to run
offline. A newly registered backend fails here until it is given its offline settings."""

import contextlib

import pytest

from aisalesman.core.llm import chat_models
from aisalesman.testing import check_chat_model


def _scripted(request, stack):
    return {}, {}


def _transformers(request, stack):
    pytest.importorskip("torch")
    return {"model": str(request.getfixturevalue("tiny_lm_path")), "device": "cpu", "max_batch": 4}, {}


def _openai(request, stack):
    url, _ = stack.enter_context(request.getfixturevalue("stub_server")())
    dead = {"model": "stub", "base_url": "http://127.0.0.1:9/v1", "max_retries": 0, "timeout": 2.0}
    return {"model": "stub", "base_url": url, "max_retries": 0, "timeout": 10.0}, {"failing": dead}


#: How to build each backend offline: (constructor arguments, check options).
OFFLINE = {"scripted": _scripted, "transformers": _transformers, "openai": _openai}


@pytest.mark.parametrize("name", chat_models.names())
def test_every_registered_backend_conforms(name, request):
    if name not in OFFLINE:
        pytest.fail(f"backend {name!r} is registered but has no offline settings in {__file__}::OFFLINE")
    with contextlib.ExitStack() as stack:
        kwargs, options = OFFLINE[name](request, stack)
        check_chat_model(name, **options, **kwargs)
