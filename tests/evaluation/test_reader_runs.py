"""``--reader`` on the commands that run calls: checked by name, recorded with the results, and
``lexicon`` (the default) reproducing the runs of before readers were configurable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aisalesman.customers.generator import generate_personas
from aisalesman.data import load_product, write_personas
from aisalesman.dialogue.readers.lexicon import LexiconReader
from aisalesman.evaluation.runner import EpisodeSpec, run_episode
from tests.test_cli import assert_user_error, run_cli

TELESALES = Path(__file__).parents[1] / "data" / "fixtures" / "telesales"


@pytest.fixture(scope="module")
def persona_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("p") / "people.jsonl"
    write_personas(generate_personas(6, seed=3), path)
    return str(path)


def _benchmark(out, persona_file, *extra):
    return run_cli("benchmark", "--quiet", "--agents", "scripted,adaptive,doga", "--personas", persona_file,
                   "--trials", "2", "--seed", "3", "--out", out, *extra)


@pytest.mark.parametrize(("argv", "needles"), [
    (["--reader", "nope"], ("reader: unknown reader 'nope'", "known: ", "lexicon")),
    (["--reader", "lexicn"], ("reader: unknown reader 'lexicn'", "did you mean 'lexicon'")),
    (["reader=learnd"], ("reader:", "did you mean 'learned'")),
])
def test_an_unknown_reader_is_one_line_exit_2_and_nothing_is_written(tmp_path, persona_file, argv, needles):
    out = tmp_path / "run"
    assert_user_error(_benchmark(out, persona_file, *argv), *needles)
    assert not out.exists()


@pytest.mark.parametrize("command", [
    ["simulate", "--json"],
    ["serve", "--port", "0"],
    ["corpus", "import", str(TELESALES / "list_role_content.json"), "--out", "{tmp}/x.jsonl"],
])
def test_every_command_that_reads_checks_the_reader_name(tmp_path, command):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in command]
    assert_user_error(run_cli(*argv, "--reader", "lexicn"), "reader", "did you mean 'lexicon'")
    assert not (tmp_path / "x.jsonl").exists()


def test_reader_lexicon_reproduces_the_default_run(tmp_path, persona_file):
    config = tmp_path / "lexicon.yaml"
    config.write_text("reader: lexicon\n", encoding="utf-8")
    default = _benchmark(tmp_path / "default", persona_file)
    explicit = _benchmark(tmp_path / "explicit", persona_file, "--config", config)
    assert default.returncode == explicit.returncode == 0, default.stderr + explicit.stderr
    assert "read by lexicon" in default.stdout
    for name in ("transcripts.jsonl", "leaderboard.json"):
        assert (tmp_path / "default" / name).read_bytes() == (tmp_path / "explicit" / name).read_bytes(), name
    for run in ("default", "explicit"):
        assert "\nreader: lexicon\n" in (tmp_path / run / "config.yaml").read_text(encoding="utf-8")
        assert json.loads((tmp_path / run / "run.json").read_text(encoding="utf-8"))["info"] == {"reader": "lexicon"}
    # a reader instance of its own (nothing shared, nothing cached) plays the same calls
    first = json.loads((tmp_path / "default" / "transcripts.jsonl").read_text(encoding="utf-8").splitlines()[0])
    from aisalesman.data import load_personas

    persona = next(p for p in load_personas(persona_file) if p.id == first["persona_id"])
    spec = EpisodeSpec(0, first["agent"], persona, load_product(first["product"]), first["trial"], 3,
                       reader=LexiconReader())
    again = run_episode(spec)
    assert [t.to_dict() for t in again.turns] == first["turns"] and again.outcome == first["outcome"]


def test_a_run_with_the_learned_reader(tmp_path, persona_file):
    """The learned reader (sentence embeddings; built once per process, ~10 s) reads a benchmark and a simulated call."""
    result = run_cli("benchmark", "--quiet", "--agents", "adaptive", "--personas", persona_file, "--trials", "1",
                     "--reader", "learned", "--out", tmp_path / "learned")
    assert result.returncode == 0, result.stderr
    assert "read by learned" in result.stdout
    run = tmp_path / "learned"
    assert json.loads((run / "run.json").read_text(encoding="utf-8"))["info"] == {"reader": "learned"}
    assert "\nreader: learned\n" in (run / "config.yaml").read_text(encoding="utf-8")
    records = [json.loads(x) for x in (run / "transcripts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 6
    salesman = [t for r in records for t in r["turns"] if t["speaker"] == "salesman"]
    assert sum(1 for t in salesman if t["acts"]) >= 0.9 * len(salesman)  # it reads our templates
    assert records[0]["turns"][0]["acts"][:2] == ["greet", "introduce"]
    call = run_cli("simulate", "--json", "--agent", "scripted", "--reader", "learned")
    assert call.returncode == 0, call.stderr
    assert json.loads(call.stdout)["turns"][0]["acts"]
