"""``reader eval``: score a reader on the shipped test split or on any labelled file."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from aisalesman.cli._app import app, out

reader_app = typer.Typer(no_args_is_help=True, help="Readers: how utterances are understood (acts, objections, claims).")
app.add_typer(reader_app, name="reader")

HEADLINE = ("salesman_act_recall", "salesman_act_macro_f1", "salesman_act_min_recall", "customer_act_recall",
            "customer_objection_accuracy", "customer_false_objection_rate", "customer_decision_accuracy",
            "false_claim_recall", "false_claim_flagged", "true_claim_pass", "n", "utterances_per_s")


def _fmt(x) -> str:
    if isinstance(x, float):
        return "-" if math.isnan(x) else f"{x:.3f}"
    return str(x)


@reader_app.command("eval")
def reader_eval(
    reader: str = typer.Option("learned", help="registered reader: learned, lexicon or llm"),
    data: Optional[Path] = typer.Option(None, help="labelled JSONL file to score on [default: the shipped test split]"),
    split: str = typer.Option("test", help="shipped split to score on when --data is not given: train, dev or test"),
    encoder: Optional[str] = typer.Option(None, help="learned reader: text encoder, static (default), tuned or minilm"),
    backend: Optional[str] = typer.Option(None, help="llm reader: chat backend (openai, transformers, scripted)"),
    model: Optional[str] = typer.Option(None, help="llm reader: model name, path or hub id"),
    base_url: Optional[str] = typer.Option(None, help="llm reader: OpenAI-compatible server URL"),
) -> None:
    """Score a reader: per-act precision/recall/F1, objections, decisions, claims; last line is JSON."""
    from aisalesman.data import builtin_product_names, load_product
    from aisalesman.dialogue.reading import make_reader, readers
    from aisalesman.dialogue.reading_set import load_reading_set
    from aisalesman.evaluation.reader_eval import DECISIONS, score_reader

    factory = readers.get(reader)  # an unknown name fails here, before any file is read
    labelled = load_reading_set(split, path=data)
    options = {}
    if encoder is not None:
        if reader != "learned":
            raise typer.BadParameter("--encoder applies to the learned reader only", param_hint="--encoder")
        options["encoder"] = encoder
    if reader == "llm":
        from aisalesman.core.config import LLMConfig
        from aisalesman.core.llm import make_chat_model

        llm = {k: v for k, v in {"backend": backend, "model": model, "base_url": base_url}.items() if v is not None}
        options["chat_model"] = make_chat_model(LLMConfig(**llm))
    elif any(v is not None for v in (backend, model, base_url)):
        raise typer.BadParameter("--backend/--model/--base-url apply to the llm reader only", param_hint="--backend")
    del factory
    r = make_reader(reader, **options)
    products = {name: load_product(name) for name in builtin_product_names()}
    result = score_reader(r, labelled, products)

    if result.get("salesman_acts"):
        _act_table("Salesman acts", result["salesman_acts"])
    if result.get("customer_acts"):
        _act_table("Customer acts", result["customer_acts"])
        conf = Table(title="Customer decisions (rows: labelled, columns: read)")
        conf.add_column("")
        for d in DECISIONS:
            conf.add_column(d, justify="right")
        for g in DECISIONS:
            conf.add_row(g, *(str(result["customer_decision_confusion"][g][p]) for p in DECISIONS))
        out.print(conf)
    if result.get("false_claim_by_slot"):
        t = Table(title="False claims caught (flagged with the labelled slot)")
        t.add_column("slot")
        t.add_column("recall", justify="right")
        t.add_column("n", justify="right")
        for slot, v in result["false_claim_by_slot"].items():
            t.add_row(slot, _fmt(v["recall"]), str(v["support"]))
        out.print(t)
    summary = Table(title=f"Reader {r.name!r} on {data or f'the shipped {split} split'}")
    summary.add_column("figure")
    summary.add_column("value", justify="right")
    for k in HEADLINE:
        if k in result:
            summary.add_row(k, _fmt(result[k]))
    out.print(summary)
    stats = r.stats() if hasattr(r, "stats") else {}
    if any(k.startswith("llm_") for k in stats):
        out.print("LLM reader: " + ", ".join(f"{k} {v}" for k, v in stats.items() if k.startswith("llm_")))
        result.update({k: v for k, v in stats.items() if k.startswith("llm_")})
    last = {k: (None if isinstance(v, float) and math.isnan(v) else (round(v, 4) if isinstance(v, float) else v))
            for k, v in result.items() if not isinstance(v, dict)}
    typer.echo(json.dumps(last, sort_keys=True))


def _act_table(title: str, per: dict) -> None:
    t = Table(title=title)
    for c in ("act", "precision", "recall", "F1", "n"):
        t.add_column(c, justify="left" if c == "act" else "right")
    for act, v in per.items():
        t.add_row(act, _fmt(v["precision"]), _fmt(v["recall"]), _fmt(v["f1"]), str(v["support"]))
    out.print(t)


@reader_app.command("fit")
def reader_fit(
    out_file: Path = typer.Option(..., "--out", help="where to write the fitted weights (.npz)"),
    encoder: str = typer.Option("static", help="text encoder: static, tuned or minilm"),
    overwrite: bool = typer.Option(False, help="replace an existing weights file this command wrote"),
) -> None:
    """Fit the learned reader on the shipped train and dev splits and write its weights.

    The package ships ``aisalesman/dialogue/data/learned_reader_<encoder>.npz``; after editing
    the reading set, refit with ``--out`` pointing there. A reader whose shipped weights were
    fitted from other data fits itself (and caches the result) instead of using them.
    """
    from aisalesman.core.rundir import check_output_file
    from aisalesman.dialogue.readers.learned import LearnedReader, looks_like_weights

    target = check_output_file(out_file, suffixes=(".npz",), what="learned-reader weights", overwrite=overwrite,
                               recognise=looks_like_weights)
    reader = LearnedReader(encoder)
    reader.save(target)
    out.print(f"wrote {target} (fitted from {reader.source}; data key {reader.key})")
