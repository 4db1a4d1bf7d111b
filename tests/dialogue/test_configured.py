"""The configured reader: one default, names checked with a did-you-mean, and nothing but the
``lexicon`` reader touching the cue-phrase functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from aisalesman.core.errors import ConfigError, UnknownNameError
from aisalesman.core.types import Role
from aisalesman.data import load_personas, load_product
from aisalesman.dialogue import DEFAULT_ENV_READER, lexicon
from aisalesman.dialogue.configured import check_reader_name, env_reader, reader_name
from aisalesman.dialogue.readers.lexicon import LexiconReader
from aisalesman.dialogue.reading import make_reader
from aisalesman.evaluation.runner import EpisodeSpec, run_episode

PACKAGE = Path(__file__).parents[2] / "aisalesman"
LEXICON_MODULE = "aisalesman.dialogue.lexicon"
ONLY_CALLER = PACKAGE / "dialogue" / "readers" / "lexicon.py"


def test_the_default_is_one_constant_and_every_route_resolves_to_it():
    assert DEFAULT_ENV_READER == "lexicon"  # until the built-in customer is recalibrated with ``learned``
    default = env_reader()
    assert default is make_reader(DEFAULT_ENV_READER) is env_reader(DEFAULT_ENV_READER)
    assert reader_name(None) == DEFAULT_ENV_READER == default.name
    mine = LexiconReader()
    assert env_reader(mine) is mine and reader_name(mine) == "lexicon"


def test_a_bad_reader_is_named_with_a_hint():
    with pytest.raises(UnknownNameError, match="did you mean 'lexicon'"):
        env_reader("lexicn")
    with pytest.raises(ConfigError, match="reader must be a registered reader name"):
        env_reader(5)
    with pytest.raises(ConfigError, match=r"^--reader: unknown reader 'lexicn'; did you mean 'lexicon'\?"):
        check_reader_name("lexicn", field="--reader")
    with pytest.raises(ConfigError, match="^reader: "):
        check_reader_name("")
    assert check_reader_name("learned") == "learned"  # checked by name: not built


def _imports_lexicon(path: Path) -> list[int]:
    """Lines of ``path`` that import the cue-phrase module (absolute, ``from ... import lexicon`` or relative)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = ".".join(parts[:-1] if parts[-1] != "__init__" else parts)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [node.lineno for a in node.names if a.name == LEXICON_MODULE]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            if base == LEXICON_MODULE or (base == "aisalesman.dialogue" and any(a.name == "lexicon" for a in node.names)):
                found.append(node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(LEXICON_MODULE + ":"):
            found.append(node.lineno)  # a lazy registry target
    return found


def test_nothing_but_the_lexicon_reader_uses_the_cue_phrase_functions():
    """Every part of the package reads through a configured Reader; only ``readers/lexicon.py`` wraps the lexicon."""
    offenders = {str(p.relative_to(PACKAGE.parent)): lines for p in sorted(PACKAGE.rglob("*.py"))
                 if p != ONLY_CALLER and (lines := _imports_lexicon(p))}
    assert offenders == {}
    assert _imports_lexicon(ONLY_CALLER)  # the check sees an import where there is one


def test_the_lexicon_reader_reads_every_utterance_of_real_calls_as_the_cue_phrases_do():
    """Why ``reader: lexicon`` (the default) reproduces the transcripts of before readers were configurable."""
    personas, product = load_personas("test"), load_product("bistro-boost")
    agents = ["scripted", "adaptive", "random", "flawed", "doga"] * 4
    calls = [run_episode(EpisodeSpec(i, agent, personas[i * 3], product, 0, 11 + i)) for i, agent in enumerate(agents)]
    reader = LexiconReader()  # a fresh one: nothing cached
    said = {(t.speaker, t.text) for c in calls for t in c.turns}
    assert len(said) > 120
    for speaker, text in said:
        sales, customer = reader.read_salesman(text), reader.read_customer(text)
        assert (sales.acts, sales.answers) == (lexicon.read_salesman(text).acts, lexicon.read_salesman(text).answers)
        old = lexicon.read_customer(text)
        assert (customer.acts, customer.objection, customer.decision) == (old.acts, old.objection, old.decision)
        assert customer.needs == lexicon.mentioned_needs(text)
        if speaker == Role.SALESMAN:
            assert reader.claims(text, product) == lexicon.ClaimChecker(product).check(text)
