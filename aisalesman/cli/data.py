"""``personas generate`` and the ``corpus`` commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from aisalesman.cli._app import READER, check_out, corpus_app, out, personas_app
from aisalesman.core.errors import ConfigError


@personas_app.command("generate")
def personas_generate(
    n: int = typer.Option(100, "--n", help="how many personas (at most 1,000,000: a ~1.5 GB file)"),
    seed: int = typer.Option(0, help="generator seed"),
    out_file: Path = typer.Option(..., "--out", help="output file (.jsonl, .yaml or .json)"),
    id_prefix: str = typer.Option("p", help="persona ids are PREFIX0000, PREFIX0001, ... (letters, digits, _ - .)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing persona file"),
) -> None:
    """Write a seeded persona population that you can edit and pass back with --personas."""
    from aisalesman.customers.generator import generate_personas
    from aisalesman.data import write_personas

    _check_persona_options(n, id_prefix)
    check_out(out_file, "personas", overwrite)
    people = generate_personas(n, seed=seed, id_prefix=id_prefix)
    write_personas(people, out_file)
    counts: dict[str, int] = {}
    for p in people:
        counts[str(p.segment)] = counts.get(str(p.segment), 0) + 1
    out.print(f"wrote {len(people)} personas to {out_file} ({', '.join(f'{k} {v}' for k, v in counts.items())})")


def _check_persona_options(n: int, id_prefix: str) -> None:
    import re

    from aisalesman.core.config import check_int
    from aisalesman.core.persona import ID_CHARACTERS
    from aisalesman.data.loading import MAX_PERSONAS

    check_int("--n", n, high=MAX_PERSONAS)
    if not re.fullmatch(f"[{ID_CHARACTERS}]*", id_prefix):
        raise ConfigError(f"--id-prefix: use only letters, digits, '_', '-' and '.', got {id_prefix!r}")


@corpus_app.command("generate")
def corpus_generate(
    n: int = typer.Option(..., "--n", help="how many dialogues (at most 1,000,000: ~5 GB, hours of generation)"),
    label_noise: float = typer.Option(0.0, help="chance that an observed label is flipped from the truth"),
    annotators: int = typer.Option(1, help="noisy labels per dialogue (one per annotator; at most 100)"),
    seed: int = typer.Option(0, help="generator seed"),
    personas: str = typer.Option("train", help="persona split or file (never use the test split for training)"),
    products: str = typer.Option("all", help="product names or files, comma-separated, or 'all'"),
    mix: str = typer.Option("", help="salesmen and their shares, e.g. 'random=0.5,flawed=0.3,adaptive=0.2' "
                                     "(default: scripted=0.3,adaptive=0.3,random=0.2,flawed=0.2)"),
    out_file: Path = typer.Option(..., "--out", help="output file (.jsonl)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing file"),
) -> None:
    """Write a synthetic corpus: our customers against a mix of salesmen, with noisy outcome labels."""
    from aisalesman.data.corpus import corpus_stats, read_corpus_jsonl, write_corpus
    from aisalesman.evaluation.corpus_gen import generate_corpus

    shares = _parse_mix(mix) if mix else None
    check_out(out_file, "corpus", overwrite)
    count = write_corpus(generate_corpus(n, label_noise=label_noise, seed=seed, annotators=annotators,
                                         personas=personas, products=products, mix=shares), out_file)
    stats = corpus_stats(read_corpus_jsonl(out_file))
    out.print(f"wrote {count} dialogues to {out_file}: true success {stats['true_success_rate']:.1%}, "
              f"observed labels {stats['label_rate']:.1%}, label accuracy {stats['label_accuracy']:.1%}")


def _parse_mix(text: str) -> dict[str, float]:
    shares: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, eq, value = (x.strip() for x in part.partition("="))
        if not eq or not name:
            raise ConfigError(f"--mix: expected name=share, got {part!r}")
        if name in shares:
            raise ConfigError(f"--mix: {name!r} is given twice")
        try:
            shares[name] = float(value)
        except ValueError:
            raise ConfigError(f"--mix: expected name=share, got {part!r}") from None
    if not shares:
        raise ConfigError(f"--mix: expected name=share pairs, got {text!r}")
    return shares


@corpus_app.command("stats")
def corpus_stats_command(
    path: Path = typer.Argument(..., help="a corpus file"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
) -> None:
    """Summarise a corpus: sizes, turns, label and true-success rates, by agent and segment.

    Reads our JSONL format and, through schema discovery, TeleSalesCorpus-shaped JSON files;
    for the latter it also reports what it could not map.
    """
    from aisalesman.data.corpus import corpus_stats
    from aisalesman.data.telesales import load_corpus

    dialogues, load_report = load_corpus(path)
    stats = corpus_stats(dialogues)
    if as_json:
        if load_report is not None:
            stats["load_report"] = load_report.to_dict()
        out.print(json.dumps(stats, indent=2, sort_keys=True), markup=False, highlight=False, soft_wrap=True)
        return
    if load_report is not None:
        for line in load_report.lines():
            out.print(line, markup=False, highlight=False)
    table = Table(title=f"Corpus {path}", title_justify="left")
    table.add_column("")
    table.add_column("value", justify="right")
    for key in ("dialogues", "turns", "mean_turns", "salesman_turns", "customer_turns", "labelled", "label_rate",
                "true_success_known", "true_success_rate", "label_accuracy"):
        value = stats[key]
        table.add_row(key.replace("_", " "), "-" if value is None else f"{value:.1%}" if "rate" in key or "accuracy" in key
                      else str(value))
    out.print(table)
    for title, key in (("by agent", "by_agent"), ("by segment", "by_segment")):
        if stats[key]:
            t = Table(title=title, title_justify="left")
            for col in ("", "dialogues", "label rate", "true success"):
                t.add_column(col, justify="left" if not col else "right")
            for name, row in stats[key].items():
                t.add_row(name, str(row["dialogues"]), *("-" if row[k] is None else f"{row[k]:.1%}"
                                                         for k in ("label_rate", "true_success_rate")))
            out.print(t)



@corpus_app.command("import")
def corpus_import(
    path: Path = typer.Argument(..., help="a TeleSalesCorpus-shaped JSON (or JSON lines) file"),
    out_file: Path = typer.Option(..., "--out", help="output file in our corpus format (.jsonl)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing file"),
    reader: Optional[str] = READER,
) -> None:
    """Convert a corpus of undocumented schema into our JSONL format, its turns labelled by the reader.

    Reports what was not mapped. Salesman turns get acts and intents, customer turns acts and
    objections (and claims, for shipped products), read by --reader.
    """
    from aisalesman.data.corpus import write_corpus
    from aisalesman.data.telesales import label_dialogues, load_telesales_corpus
    from aisalesman.dialogue.configured import check_reader_name, default_reader_name, env_reader

    reader = check_reader_name(reader, field="--reader") if reader is not None else default_reader_name()
    check_out(out_file, "corpus", overwrite)
    dialogues, load_report = load_telesales_corpus(path)
    for line in load_report.lines():
        out.print(line, markup=False, highlight=False)
    dialogues = label_dialogues(dialogues, env_reader(reader))
    out.print(f"wrote {write_corpus(dialogues, out_file)} dialogues to {out_file} (turns labelled by reader {reader!r})")

