"""Marks for tests that need an optional extra: a core-only install skips them instead of failing."""

from __future__ import annotations

import pytest

from aisalesman.core.extras import installed

__all__ = ["LLM", "TORCH", "missing", "need"]


def missing(*modules: str) -> list[str]:
    """The ``modules`` that cannot be imported here."""
    return [name for name in modules if not installed(name)]


def need(extra: str, *modules: str) -> pytest.MarkDecorator:
    """Skip unless every one of ``modules`` (the ``extra``'s packages) imports."""
    gone = missing(*modules)
    return pytest.mark.skipif(bool(gone), reason=f"needs the {extra} extra ({', '.join(gone)} not installed)")


#: The OpenAI client and the stub server (FastAPI, uvicorn).
LLM = need("llm", "openai", "fastapi", "uvicorn")
#: Local transformers models.
TORCH = need("llm", "torch", "transformers")
