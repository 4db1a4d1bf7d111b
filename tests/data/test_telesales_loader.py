"""The TeleSalesCorpus loader discovers several plausible schemas and reports what it skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aisalesman.core.errors import DataFileError
from aisalesman.core.types import Role
from aisalesman.data.corpus import read_corpus_jsonl
from aisalesman.data.telesales import load_corpus, load_telesales_corpus
from tests.test_cli import assert_user_error, cli

FIX = Path(__file__).parent / "fixtures" / "telesales"


def test_list_of_dialogues_with_role_content() -> None:
    dialogues, report = load_telesales_corpus(FIX / "list_role_content.json")
    assert [d.id for d in dialogues] == ["a1", "a2", "a3"]
    assert (report.role_key, report.text_key, report.outcome_key, report.product_key) == ("role", "content", "outcome", "product")
    a1 = dialogues[0]
    assert [t.speaker for t in a1.turns] == [Role.SALESMAN, Role.CUSTOMER] * 2
    assert a1.turns[2].text.startswith("It cuts queue times")
    assert [d.label for d in dialogues] == [True, False, None]  # "maybe later" is not an outcome
    assert a1.product == "POS Pro" and a1.source == "telesales"
    # what was not mapped is reported, not silently dropped
    assert report.unknown_role_values == {"narrator": 1}
    assert report.turns_skipped == 1
    assert report.unmapped_dialogue_keys["channel"] == 2
    assert report.unmapped_turn_keys["ts"] == 7
    assert report.unreadable_outcomes == {"'maybe later'": 1}


def test_id_to_dialogue_object_in_chinese() -> None:
    dialogues, report = load_telesales_corpus(FIX / "dict_speaker_text_zh.json")
    assert report.layout == "object of id -> dialogue"
    assert [d.id for d in dialogues] == ["会话001", "会话002"]
    assert (report.role_key, report.text_key) == ("speaker", "text")
    assert report.role_values == {"客户": "customer", "销售": "salesman"}
    assert [d.label for d in dialogues] == [True, False]
    assert dialogues[0].meta["profile"] == {"行业": "餐饮", "规模": "10人"}
    assert dialogues[0].product == "智能收银"
    assert dialogues[0].turns[2].text == "基础版每月199元，现在可以免费试用14天。"


def test_wrapped_list_of_prefixed_strings() -> None:
    dialogues, report = load_telesales_corpus(FIX / "wrapped_prefixed_strings.json")
    assert report.layout == "list of dialogues under 'data'"
    assert [d.id for d in dialogues] == ["7", "8"]
    assert [t.speaker for t in dialogues[0].turns] == [Role.SALESMAN, Role.CUSTOMER] * 2
    assert dialogues[0].turns[1].text == "是我，什么事？"
    assert [d.label for d in dialogues] == [True, False]
    assert report.unmapped_dialogue_keys == {"(top level) version": 1}


def test_unknown_role_names_inferred_from_who_speaks_first() -> None:
    dialogues, report = load_telesales_corpus(FIX / "unknown_roles.jsonl")
    assert report.inferred_roles
    assert report.role_values == {"a": "salesman", "b": "customer"}
    assert dialogues[0].turns[0].speaker is Role.SALESMAN and dialogues[0].turns[1].speaker is Role.CUSTOMER
    assert [d.label for d in dialogues] == [True, False]
    assert [d.id for d in dialogues] == ["tsc-000000", "tsc-000001"]
    assert any("inferred" in line for line in report.lines())


@pytest.mark.parametrize(("name", "message"), [
    ("truncated.json", "not valid JSON or JSON lines"),
    ("no_dialogues.json", "found no dialogues"),
    ("missing.json", "no such file"),
])
def test_unreadable_files_fail_clearly(name: str, message: str) -> None:
    with pytest.raises(DataFileError, match=message) as info:
        load_telesales_corpus(FIX / name)
    assert name in str(info.value)


def test_turns_without_speakers_fail_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"turns": [{"a": 1, "b": ""}]}, {"turns": [{"a": 2}]}]), encoding="utf-8")
    with pytest.raises(DataFileError, match="bad.json"):
        load_telesales_corpus(bad)


def test_cli_stats_and_import(tmp_path: Path) -> None:
    result = cli("corpus", "stats", str(FIX / "list_role_content.json"))
    assert result.returncode == 0, result.stderr
    assert "unknown role values: narrator (1)" in result.stdout
    out = tmp_path / "zh.jsonl"
    result = cli("corpus", "import", str(FIX / "dict_speaker_text_zh.json"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    ours = read_corpus_jsonl(out)
    assert [d.id for d in ours] == ["会话001", "会话002"] and ours[0].turns[0].text.startswith("您好")
    again, report = load_corpus(out)  # our own format is read as is
    assert report is None and [d.to_dict() for d in again] == [d.to_dict() for d in ours]
    assert_user_error(cli("corpus", "stats", str(FIX / "truncated.json")), "truncated.json", "not valid JSON")
    before = out.read_bytes()
    assert_user_error(cli("corpus", "import", str(FIX / "no_dialogues.json"), "--out", str(out), "--overwrite"),
                      "no_dialogues.json")
    assert out.read_bytes() == before  # a failed import leaves the old file alone


def test_import_labels_every_turn_through_the_configured_reader(tmp_path: Path) -> None:
    from aisalesman.data.telesales import label_dialogues
    from aisalesman.dialogue.reading import CustomerReading, ReaderBase, make_reader
    from aisalesman.dialogue.stages import default_stage_machine
    from tests.test_cli import run_cli

    out = tmp_path / "ours.jsonl"
    result = run_cli("corpus", "import", FIX / "list_role_content.json", "--out", out, "--reader", "lexicon")
    assert result.returncode == 0, result.stderr
    assert "labelled by reader 'lexicon'" in result.stdout
    ours = read_corpus_jsonl(out)
    lexicon, machine = make_reader("lexicon"), default_stage_machine()
    for d in ours:
        assert d.meta["reader"] == "lexicon"
        for t in d.turns:
            if t.speaker is Role.SALESMAN:
                acts = tuple(map(str, lexicon.read_salesman(t.text).acts))
                assert (t.acts, t.intent) == (acts, machine.primary(acts) or "other")
            else:
                assert t.acts == tuple(map(str, lexicon.read_customer(t.text).acts))
    assert "reject" in ours[1].turns[1].acts and ours[0].turns[0].intent == "introduce"

    class EveryoneAccepts(ReaderBase):
        name = "test-everyone-accepts"
        _salesman = staticmethod(lambda texts: lexicon.read_salesman_batch(texts))
        _customer = staticmethod(lambda texts: [CustomerReading.of(["accept"]) for _ in texts])

        def claims(self, text, product, *, plan=None):
            return ()

    raw, _ = load_telesales_corpus(FIX / "list_role_content.json")
    mine = label_dialogues(raw, EveryoneAccepts())
    assert {t.acts for d in mine for t in d.turns if t.speaker is Role.CUSTOMER} == {("accept",)}
    assert {d.meta["reader"] for d in mine} == {"test-everyone-accepts"}
