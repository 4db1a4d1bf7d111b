"""``serve`` and ``list``."""

from __future__ import annotations

import os
from typing import Optional

import typer

from aisalesman.cli._app import (
    CUSTOMER_BACKEND,
    CUSTOMER_BASE_URL,
    CUSTOMER_MODE,
    CUSTOMER_MODEL,
    READER,
    app,
    err,
    llm_values,
    out,
)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="address to bind (127.0.0.1 keeps it on this machine)"),
    port: int = typer.Option(8089, help="port"),
    personas: str = typer.Option("test", help="persona split or file whose personas become models"),
    products: str = typer.Option("all", help="products callers may choose with customer/<id>@<product>"),
    default_product: Optional[str] = typer.Option(None, help="product for plain customer/<id> [default: first]"),
    seed: int = typer.Option(0, help="server seed (requests may pass their own)"),
    goal: str = typer.Option("sale", help="sale or appointment"),
    max_turns: int = typer.Option(40, help="utterances before truncation"),
    api_key_env: Optional[str] = typer.Option(None, help="require 'Authorization: Bearer $VAR' with this variable's value"),
    customer: str = typer.Option("persona", help="registered customer: persona or llm"),
    customer_mode: Optional[str] = CUSTOMER_MODE,
    customer_backend: Optional[str] = CUSTOMER_BACKEND,
    customer_model: Optional[str] = CUSTOMER_MODEL,
    customer_base_url: Optional[str] = CUSTOMER_BASE_URL,
    reader: Optional[str] = READER,
) -> None:
    """Serve simulated customers as OpenAI-compatible chat models (customer/<persona_id>)."""
    from aisalesman.core.errors import ConfigError
    from aisalesman.core.types import Goal
    from aisalesman.data import load_personas, load_products
    from aisalesman.serve import CustomerService
    from aisalesman.serve import serve as run_server

    if goal not in {g.value for g in Goal}:
        raise ConfigError(f"goal: must be one of {[g.value for g in Goal]}, got {goal!r}")
    if not 0 <= port <= 65535:
        raise ConfigError(f"port: must be in 0..65535, got {port}")
    if max_turns < 2:
        raise ConfigError(f"max_turns: must be >= 2, got {max_turns}")
    if api_key_env and not os.environ.get(api_key_env):
        raise ConfigError(f"api_key_env: environment variable {api_key_env} is not set or empty")
    from aisalesman.core.config import BenchmarkConfig, load_config
    from aisalesman.evaluation.benchmark import episode_settings, resolve_config

    cfg = resolve_config(load_config(BenchmarkConfig, values={
        "customer": customer, "customer_mode": customer_mode, "reader": reader,
        **llm_values(customer_backend, customer_model, customer_base_url, None, None, None)}))
    _, customer_kwargs, models = episode_settings(cfg)
    if models["customer"] is not None:
        models["customer"].preflight()
    service = CustomerService(load_personas(personas), load_products(products), default_product=default_product,
                              customer=customer, customer_kwargs=customer_kwargs, chat_model=models["customer"],
                              seed=seed, goal=goal, max_turns=max_turns, reader=cfg.reader)

    def announce(url: str) -> None:  # once the address is bound: a busy port is one error line, not two
        err.print(f"serving {len(service.personas)} {customer} customers (customer/<persona_id>) on {url}"
                  + (" with bearer-token auth" if api_key_env else "") + f"; read by {cfg.reader}", highlight=False)

    run_server(service, host=host, port=port, api_key_env=api_key_env, announce=announce)


@app.command("list")
def list_components() -> None:
    """List registered environments, agents, customers, products and persona splits."""
    import aisalesman.envs  # noqa: F401  (registers the envs)
    from aisalesman.agents.base import agents as agent_registry
    from aisalesman.core.llm import chat_models
    from aisalesman.customers.base import customers as customer_registry
    from aisalesman.data import PERSONA_SPLITS, builtin_product_names
    from aisalesman.envs.registry import envs

    for title, names in (("envs", envs.names()), ("agents", agent_registry.names()), ("LLM backends", chat_models.names()),
                         ("customers", customer_registry.names()), ("products", builtin_product_names()),
                         ("persona splits", list(PERSONA_SPLITS))):
        out.print(f"[bold]{title}:[/] {', '.join(names)}")

