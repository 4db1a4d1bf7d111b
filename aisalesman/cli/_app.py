"""The Typer application, its consoles and what several commands share."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from aisalesman.dialogue import DEFAULT_ENV_READER

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="AI-Salesman: simulate, benchmark and train LLM-driven telemarketing agents.")
personas_app = typer.Typer(no_args_is_help=True, help="Persona banks: generate populations to edit and reuse.")
app.add_typer(personas_app, name="personas")
corpus_app = typer.Typer(no_args_is_help=True, help="Dialogue corpora: generate synthetic ones, summarise any.")
app.add_typer(corpus_app, name="corpus")

out = Console()
if not out.is_terminal:  # files and pipes get full-width tables
    out = Console(width=140)
err = Console(stderr=True)

OVERRIDES = typer.Argument(None, help="config overrides as key=value (e.g. agent_config.random.false_claim_prob=0.2)",
                            show_default=False)


CUSTOMER_MODE = typer.Option(None, help="LLM customer: free or anchored [default: anchored]")
CUSTOMER_BACKEND = typer.Option(None, help="LLM customer backend: openai, transformers, scripted")
CUSTOMER_MODEL = typer.Option(None, help="LLM customer model name, path or hub id")
CUSTOMER_BASE_URL = typer.Option(None, help="LLM customer server URL (OpenAI-compatible)")
SALESMAN_BACKEND = typer.Option(None, help="LLM salesman (agent 'llm') backend")
SALESMAN_MODEL = typer.Option(None, help="LLM salesman model name, path or hub id")
SALESMAN_BASE_URL = typer.Option(None, help="LLM salesman server URL (OpenAI-compatible)")
READER = typer.Option(None, help="what reads every utterance (acts, objections, decisions, claims): lexicon, "
                                 f"learned or llm [default: {DEFAULT_ENV_READER}]")


#: What each single-file output is, its suffixes, and how to recognise one we wrote
#: (``--overwrite`` replaces only such a file; see :mod:`aisalesman.core.rundir`).
_OUTPUT_KINDS = {
    "corpus": ("a corpus", (".jsonl",), "aisalesman.data.corpus:looks_like_corpus"),
    "personas": ("a persona file", (".jsonl", ".yaml", ".yml", ".json"), "aisalesman.data.loading:looks_like_personas"),
    "library": ("a script library", (".json",), "aisalesman.agents.library:FORMAT"),
    "posterior": ("a posterior file", (".json",), "aisalesman.training.bayes:FORMAT"),
}


def check_out(out_file: Path, kind: str, overwrite: bool) -> Path:
    """Check (writing nothing) that ``--out`` may receive a ``kind`` output file."""
    import importlib

    from aisalesman.core.rundir import check_output_file, json_format

    what, suffixes, target = _OUTPUT_KINDS[kind]
    module, _, attr = target.partition(":")

    def recognise(path: Path) -> bool:
        found = getattr(importlib.import_module(module), attr)
        return found(path) if callable(found) else json_format(path) == found

    return check_output_file(out_file, suffixes=suffixes, what=what, overwrite=overwrite, recognise=recognise)


def llm_values(customer_backend, customer_model, customer_base_url, salesman_backend, salesman_model,
                salesman_base_url, cache=None, cache_mode=None) -> dict:
    """Nested ``customer_llm`` / ``salesman_llm`` config values from the command-line flags."""
    values = {}
    for role, backend, model, url in (("customer", customer_backend, customer_model, customer_base_url),
                                      ("salesman", salesman_backend, salesman_model, salesman_base_url)):
        llm = {k: v for k, v in {"backend": backend, "model": model, "base_url": url, "cache": cache,
                                 "cache_mode": cache_mode}.items() if v is not None}
        if llm:
            values[f"{role}_llm"] = llm
    return values


def read_agent_config(path: Path) -> dict:
    """``{agent name: {argument: value}}`` from a YAML or JSON file, checked for shape."""
    from aisalesman.core.errors import DataFileError
    from aisalesman.core.files import read_structured

    data = read_structured(path)
    if not isinstance(data, dict):
        raise DataFileError(path, f"an agent config must map agent names to arguments, got {type(data).__name__}")
    for name, args in data.items():
        if not isinstance(args, dict):
            raise DataFileError(path, f"agent {name!r}: arguments must be a mapping, got {type(args).__name__}")
    return data

