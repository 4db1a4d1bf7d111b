"""The synthetic corpus generator, our JSONL corpus format and corpus summaries."""

import json

import pytest

from aisalesman.core.errors import ConfigError, DataFileError, UnknownNameError
from aisalesman.data.corpus import CorpusDialogue, corpus_stats, read_corpus_jsonl, write_corpus
from aisalesman.evaluation.corpus_gen import generate_corpus


@pytest.fixture(scope="module")
def noisy():
    return list(generate_corpus(1200, label_noise=0.2, seed=5, annotators=3))


def test_same_seed_same_file(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_corpus(generate_corpus(40, label_noise=0.3, seed=2), a)
    write_corpus(generate_corpus(40, label_noise=0.3, seed=2), b)
    assert a.read_bytes() == b.read_bytes()
    write_corpus(generate_corpus(40, label_noise=0.3, seed=3), b)
    assert a.read_bytes() != b.read_bytes()


def test_labels_are_flipped_at_the_asked_rate(noisy):
    flips = [label != d.true_success for d in noisy for label in d.labels]
    assert len(flips) == 3600
    assert 0.18 <= sum(flips) / len(flips) <= 0.22
    assert all(d.label == (sum(d.labels) >= 2) for d in noisy)
    clean = list(generate_corpus(100, label_noise=0.0, seed=5))
    assert all(d.labels == (d.true_success,) and d.label == d.true_success for d in clean)


def test_truth_comes_from_the_call_and_the_mix_is_used(noisy):
    for d in noisy[:50]:
        assert d.true_success == (d.termination_reason == "sale")
        assert d.persona_id.startswith("train-")  # never the test split
    agents = {d.agent for d in noisy}
    assert agents == {"scripted", "adaptive", "random", "flawed"}
    flaws = [t.meta["flaw"] for d in noisy if d.agent == "flawed" for t in d.turns if "flaw" in t.meta]
    assert set(flaws) == {"false_claim", "over_discount", "premature_close", "ignore_dnc"}


def test_round_trip_and_stats(tmp_path, noisy):
    path = tmp_path / "c.jsonl"
    assert write_corpus(noisy[:200], path) == 200
    back = read_corpus_jsonl(path)
    assert [d.to_dict() for d in back] == [d.to_dict() for d in noisy[:200]]
    stats = corpus_stats(back)
    assert stats["dialogues"] == 200 and stats["annotators"] == {3: 200}
    assert stats["turns"] == sum(len(d.turns) for d in back)
    assert stats["true_success_rate"] == round(sum(d.true_success for d in back) / 200, 4)
    assert stats["label_accuracy"] == round(sum(d.label == d.true_success for d in back) / 200, 4)
    assert stats["by_agent"]["random"]["true_success_rate"] < stats["by_agent"]["adaptive"]["true_success_rate"]


def test_bad_settings_and_files(tmp_path):
    with pytest.raises(ConfigError, match="label_noise"):
        next(generate_corpus(5, label_noise=1.5))
    with pytest.raises(ConfigError, match="annotators"):
        next(generate_corpus(5, annotators=0))
    with pytest.raises(ConfigError, match="mix"):
        next(generate_corpus(5, mix={"scripted": -1}))
    with pytest.raises(UnknownNameError, match="mix: unknown agent 'scripte'"):
        next(generate_corpus(5, mix={"scripte": 1}))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "turns": []}\n{"id": "y"}\n')
    with pytest.raises(DataFileError, match="record 2: not a corpus dialogue"):
        read_corpus_jsonl(bad)
    bad.write_text('{"id": "x", "turns": [{"speaker": "robot", "text": "hi"}]}\n')
    with pytest.raises(DataFileError, match="record 1"):
        read_corpus_jsonl(bad)
    bad.write_text("{nope\n")
    with pytest.raises(DataFileError, match="line 1: not valid JSON"):
        read_corpus_jsonl(bad)


def test_corpus_commands(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "c.jsonl"
    cmd = [sys.executable, "-m", "aisalesman.cli", "corpus", "generate", "--n", "60", "--label-noise", "0.2",
           "--annotators", "3", "--seed", "1", "--out", str(out)]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("wrote 60 dialogues")
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    assert again.returncode == 2 and "pass --overwrite" in again.stderr
    stats = subprocess.run([sys.executable, "-m", "aisalesman.cli", "corpus", "stats", str(out), "--json"],
                           capture_output=True, text=True, timeout=1800)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["dialogues"] == 60
    missing = subprocess.run([sys.executable, "-m", "aisalesman.cli", "corpus", "stats", str(tmp_path / "none.jsonl")],
                             capture_output=True, text=True, timeout=1800)
    assert missing.returncode == 2 and "no such file" in missing.stderr

    # --mix chooses the salesmen
    mixed = tmp_path / "mixed.jsonl"
    base = [sys.executable, "-m", "aisalesman.cli", "corpus", "generate", "--n", "20", "--out", str(mixed)]
    done = subprocess.run(base + ["--mix", "random=1, flawed=0"], capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr
    assert {json.loads(x)["agent"] for x in mixed.read_text().splitlines()} == {"random"}
    for bad, message in (("random", "--mix: expected name=share, got 'random'"),
                         ("random=x", "--mix: expected name=share, got 'random=x'"),
                         ("randm=1", "unknown agent 'randm'")):
        failed = subprocess.run(base + ["--overwrite", "--mix", bad], capture_output=True, text=True, timeout=1800)
        assert failed.returncode == 2 and message in failed.stderr and "Traceback" not in failed.stderr
    assert {json.loads(x)["agent"] for x in mixed.read_text().splitlines()} == {"random"}  # left as it was


def test_dialogue_from_dict_defaults():
    d = CorpusDialogue.from_dict({"id": 7, "turns": [{"speaker": "customer", "text": "你好"}]})
    assert d.id == "7" and d.turns[0].text == "你好" and d.label is None and d.labels == ()
