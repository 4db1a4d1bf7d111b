"""The script library: abstraction, weights, Beta posteriors, retrieval, files and the command."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from aisalesman.agents import intents
from aisalesman.agents.intents import START, LLMIntentClassifier, TfidfIntentClassifier, labelled_turns
from aisalesman.agents.library import ScriptLibrary, _known_values, abstract, build_library, fill_outline, success_weights
from aisalesman.core.errors import ConfigError, DataFileError, LLMError
from aisalesman.core.llm.scripted import ScriptedChatModel
from aisalesman.core.types import Role
from aisalesman.data.corpus import write_corpus
from aisalesman.evaluation.corpus_gen import generate_corpus
from tests.test_cli import assert_user_error
from tests.test_cli import run_cli as cli

FIX = Path(__file__).parents[1] / "data" / "fixtures" / "telesales"


@pytest.fixture(scope="module")
def corpus():
    return list(generate_corpus(240, label_noise=0.2, seed=5, annotators=3))


@pytest.fixture(scope="module")
def library(corpus):
    return build_library(corpus, source="test")


def test_abstraction_uses_known_values_and_marks_other_numbers_unfillable(corpus) -> None:
    d = next(d for d in corpus if d.product == "bistro-boost")
    values = _known_values(d.persona_id, d.product)
    business = dict((k, v) for v, k in values)["business_name"]
    text = f"For {business} I can do 20% off. Call 555 0199 or pay $12.50 today."
    out = abstract(text, values)
    assert out.startswith("For {business_name} I can do {pct}% off.")
    assert "{number}" in out and "{amount}" in out and business not in out
    fields = {"business_name": "Rosa's", "pct": 15}
    assert fill_outline(out, fields) == "For Rosa's I can do 15% off."  # the unfillable sentence is dropped
    assert fill_outline("Hi {name}. We cover floods.", {"name": "Al"}, keep=lambda s: "flood" not in s) == "Hi Al."
    assert fill_outline("{missing} only.", {}) == ""


def test_entries_carry_beta_posteriors_of_their_turns(corpus, library) -> None:
    w = success_weights(corpus)
    assert w[corpus[0].id] == sum(corpus[0].labels) / 3  # raw labels: the annotators' mean
    for e in library.entries:
        assert e.alpha + e.beta == pytest.approx(2.0 + e.support)  # Beta(1, 1) prior plus one unit per turn
        assert e.intent in library.machine.intents and e.capability == library.machine.capability(e.intent)
    assert {e.intent for e in library.entries} >= {"introduce", "ask_need", "present_product", "handle_objection",
                                                   "propose_close"}
    # the one parameter: better weights (here the truth) change the posteriors, not the clusters
    truth = {d.id: float(d.true_success) for d in corpus}
    better = build_library(corpus, weights=truth)
    assert sorted((e.intent, e.support) for e in better.entries) == sorted((e.intent, e.support) for e in library.entries)
    assert sorted(e.alpha for e in better.entries) != sorted(e.alpha for e in library.entries)
    assert better.meta["weights"] == "given"
    with pytest.raises(ConfigError, match="outside"):
        build_library(corpus, weights={corpus[0].id: 1.5})


def test_false_claims_stay_out_of_the_library(corpus, library) -> None:
    excluded = library.meta["false_claim_turns_excluded"]
    assert excluded > 0
    from aisalesman.data import load_products

    claims = [n.claim for p in load_products("all") for n in p.non_features]
    texts = [t for e in library.entries for t in (e.outline, *e.variants)]
    assert not any(c in t for c in claims for t in texts)
    kept = build_library(corpus, exclude_false_claims=False)
    assert any(c in t for c in claims for e in kept.entries for t in (e.outline, *e.variants))


def test_retrieval_ranks_by_similarity_times_success(library) -> None:
    context = "That sounds too expensive for us."
    top = library.retrieve("handle_objection", context, k=3)
    assert len(top) == 3 and [s for _, s in top] == sorted((s for _, s in top), reverse=True)
    assert any(w in top[0][0].outline.lower() for w in ("price", "cost", "budget", "pays for itself"))
    assert all(e.intent == "handle_objection" for e, _ in top)  # only entries of the asked intent
    # the score is cosine similarity times posterior success
    emb = library._embedder
    q = emb.encode([context])[0]
    q = q / np.linalg.norm(q)
    for entry, score in top:
        v = emb.encode([" ".join(entry.contexts)])[0]
        assert score == pytest.approx(float(np.clip(v @ q / np.linalg.norm(v), 0, 1)) * entry.success)
    first_turn = library.retrieve("introduce", "", k=10)  # no context: rank by success alone
    assert len(first_turn) >= 2 and all(e.intent == "introduce" for e, _ in first_turn)
    assert [s for _, s in first_turn] == [e.success for e, _ in first_turn]
    assert [e.success for e, _ in first_turn] == sorted((e.success for e, _ in first_turn), reverse=True)


def test_file_round_trip_and_bad_files(tmp_path: Path, library) -> None:
    path = tmp_path / "lib.json"
    library.save(path)
    again = ScriptLibrary.load(path)
    assert again.to_dict() == library.to_dict()
    assert again.retrieve("handle_objection", "too expensive") == library.retrieve("handle_objection", "too expensive")
    data = json.loads(path.read_text(encoding="utf-8"))
    for change, message in [({"format": "other"}, "not a script library"), ({"version": 99}, "version 99"),
                            ({"entries": [{**data["entries"][0], "support": 0}]}, "entries.0.support")]:
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({**data, **change}), encoding="utf-8")
        with pytest.raises(DataFileError, match="bad.json") as info:
            ScriptLibrary.load(bad)
        assert message in str(info.value)


def _texts_and_contexts(corpus) -> tuple[list[str], list[str]]:
    """A few hundred salesman and customer utterances, plus some the corpus never says."""
    salesman, customer = ([*{t.text: None for d in corpus for t in d.turns if t.speaker == role}]
                          for role in (Role.SALESMAN, Role.CUSTOMER))
    odd = ["", "   ", "你好，我们的价格很实惠。", "Buy now!!! $$$", "a" * 500]
    return salesman[::max(1, len(salesman) // 300)] + odd, customer[::max(1, len(customer) // 100)] + odd


def _assert_same_predictions(fitted: ScriptLibrary, loaded: ScriptLibrary, corpus) -> None:
    texts, contexts = _texts_and_contexts(corpus)
    assert len(texts) > 300 and len(contexts) > 100
    a, b = fitted.intent_classifier, loaded.intent_classifier
    assert a.classes == b.classes
    np.testing.assert_allclose(b.proba(texts), a.proba(texts), rtol=0, atol=1e-12)
    assert b.classify_many(texts) == a.classify_many(texts)
    legal = ("ask_need", "present_product", "propose_close")
    assert [b.classify(t, legal) for t in texts[:50]] == [a.classify(t, legal) for t in texts[:50]]
    a, b = fitted.next_intent_model, loaded.next_intent_model
    cases = [(p, c, o) for c in contexts for p in (START, "introduce", "handle_objection", "nosuch") for o in (False, True)]
    for legal in (fitted.machine.intents, ("handle_objection", "offer_discount", "goodbye")):
        want = [a.predict(p, c, objection_open=o, legal=legal) for p, c, o in cases]
        got = [b.predict(p, c, objection_open=o, legal=legal) for p, c, o in cases]
        assert [g.intent for g in got] == [w.intent for w in want]
        np.testing.assert_allclose([g.confidence for g in got], [w.confidence for w in want], rtol=0, atol=1e-12)


def test_stored_models_predict_what_fitted_ones_do_without_fitting(tmp_path: Path, corpus, library,
                                                                    monkeypatch) -> None:
    path = tmp_path / "lib.json"
    library.save(path)  # fits both models (the library was just built) and stores their numbers
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == 2 and "exemplars" not in data and "transitions" not in data
    assert data["models"]["next_intent"]["previous"] == [START, *library.machine.intents]

    def no_fitting(*args, **kwargs):
        raise AssertionError("a version-2 library was fitted")

    monkeypatch.setattr(intents.TfidfIntentClassifier, "fit", no_fitting)
    monkeypatch.setattr(intents.NextIntentModel, "fit", no_fitting)
    loaded = ScriptLibrary.load(path)
    assert loaded.exemplars == () and loaded.transitions == ()
    _assert_same_predictions(library, loaded, corpus)
    assert loaded.to_dict() == data  # and they write back the same numbers


def test_a_version_1_file_still_loads_and_is_refitted(tmp_path: Path, corpus, library) -> None:
    v1 = {"format": "aisalesman-script-library", "version": 1, "meta": library.meta,
          "entries": library.to_dict()["entries"], "exemplars": [list(x) for x in library.exemplars],
          "transitions": [asdict(t) for t in library.transitions]}
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(v1), encoding="utf-8")
    old = ScriptLibrary.load(path)
    assert old.exemplars == library.exemplars and old.transitions == library.transitions
    assert old.to_dict() == library.to_dict()  # refitted to the same numbers, and saving it writes version 2
    path.write_text(json.dumps({**v1, "transitions": [{**v1["transitions"][0], "weight": 0}]}), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"v1\.json: transitions\.0\.weight"):
        ScriptLibrary.load(path)


def _set(path: str, value):
    """A change to the file's content: ``value`` (or ``value(old)``) at the dotted ``path``; ``...`` deletes it."""
    def change(data):
        *parents, last = path.split(".")
        for key in parents:
            data = data[int(key)] if isinstance(data, list) else data[key]
        last = int(last) if isinstance(data, list) else last
        if value is ...:
            del data[last]
        else:
            data[last] = value(data[last]) if callable(value) else value
    return change


CLF, NEXT = "models.intent_classifier", "models.next_intent"


@pytest.mark.parametrize("change, where, problem", [
    (_set(f"{CLF}.regression.coef.0.3", float("nan")), f"{CLF}.regression.coef.0.3", "finite number"),
    (_set(f"{NEXT}.vectorizer.idf.0", float("inf")), f"{NEXT}.vectorizer.idf.0", "finite number"),
    (_set(f"{CLF}.regression.coef", lambda rows: rows[1:]), f"{CLF}.regression", "classes need"),
    (_set(f"{CLF}.regression.intercept", lambda v: v[1:]), f"{CLF}.regression", "classes need"),
    (_set(f"{CLF}.regression.coef.2", lambda row: row[1:]), f"{CLF}.regression", "differ in length"),
    (_set(f"{CLF}.regression.coef", lambda rows: [r[1:] for r in rows]), CLF, "columns"),
    (_set(f"{CLF}.vectorizer.idf", lambda v: v[1:]), f"{CLF}.vectorizer", "idf weights for"),
    (_set(f"{CLF}.vectorizer.terms", lambda v: v[:1] + v[:-1]), f"{CLF}.vectorizer", "terms repeat"),
    (_set(f"{NEXT}.previous", lambda v: v[1:]), NEXT, "columns"),
    (_set(f"{NEXT}.previous", ...), f"{NEXT}.previous", "Field required"),
    (_set(f"{CLF}.vectorizer.analyzer", ...), f"{CLF}.vectorizer.analyzer", "Field required"),
    (_set("models", ...), "models", "Field required"),
    (_set(f"{NEXT}.regression.classes.0", "sing_a_song"), f"{NEXT}.regression.classes", "sing_a_song"),
])
def test_a_tampered_version_2_file_is_a_one_line_error(tmp_path: Path, library, change, where, problem) -> None:
    path = tmp_path / "lib.json"
    bad = json.loads(json.dumps(library.to_dict()))  # what loads untouched (the test above)
    change(bad)
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        ScriptLibrary.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {where}") and problem in message and "\n" not in message, message


def test_same_corpus_same_library(corpus, library) -> None:
    def parts(lib):  # the models are fitted (deterministically) from the exemplars and transitions
        return lib.entries, lib.exemplars, lib.transitions, lib.meta

    assert parts(build_library(corpus, source="test")) == parts(library)


def test_intent_classifiers(corpus, library) -> None:
    clf = TfidfIntentClassifier.from_examples(labelled_turns(corpus))
    assert clf.classify("Shall I sign you up for the Plus plan today?").intent == "propose_close"
    assert clf.classify("What matters most for your business right now?").intent == "ask_need"
    legal = library.machine.legal(None)
    assert clf.classify("Shall I sign you up today?", legal).intent in legal  # restricted to the stage machine
    answers = iter(["I think it is a close", '{"intent": "propose_close"}'])
    llm = LLMIntentClassifier(ScriptedChatModel(responder=lambda r: next(answers)))
    assert llm.classify("Shall we get you started today?").intent == "propose_close" and llm.calls == 2
    stubborn = LLMIntentClassifier(ScriptedChatModel(responder=lambda r: '{"intent": "greet"}'), fallback=clf)
    p = stubborn.classify("Shall I sign you up for the Plus plan today?", ["propose_close", "goodbye"])
    assert p.intent == "propose_close" and stubborn.fallbacks == 1  # greet was not legal: the fallback answered
    with pytest.raises(LLMError, match="no legal intent"):
        LLMIntentClassifier(ScriptedChatModel(responder=lambda r: "?")).classify("hello", ["greet"])


def test_a_telesales_shaped_corpus_needs_or_gets_a_classifier(tmp_path: Path, corpus) -> None:
    from aisalesman.data.telesales import load_telesales_corpus

    dialogues, _ = load_telesales_corpus(FIX / "list_role_content.json")
    with pytest.raises(ConfigError, match="intents-from"):
        build_library(dialogues)
    lib = build_library(dialogues, classifier=TfidfIntentClassifier.from_examples(labelled_turns(corpus)))
    assert lib.meta["dialogues_used"] == 2 and lib.meta["turns_classified"] == 3  # a3 has no readable outcome
    lib.save(tmp_path / "tele.json")  # no turn carried an intent: there is nothing to fit the models from
    assert json.loads((tmp_path / "tele.json").read_text(encoding="utf-8"))["models"] == {
        "intent_classifier": None, "next_intent": None}
    again = ScriptLibrary.load(tmp_path / "tele.json")
    assert again.entries == lib.entries
    with pytest.raises(ConfigError, match="at least two intents"):
        again.next_intent_model  # noqa: B018


def test_build_library_command(tmp_path: Path, corpus, library) -> None:
    src = tmp_path / "train.jsonl"
    write_corpus(corpus, src)
    out = tmp_path / "lib.json"
    result = cli("build-library", "--corpus", str(src), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "entries by intent" in result.stdout
    assert ScriptLibrary.load(out).to_dict() == {**library.to_dict(), "meta": {**library.meta, "source": "train.jsonl"}}
    weights = tmp_path / "w.json"
    weights.write_text(json.dumps({d.id: 1.0 for d in corpus}), encoding="utf-8")
    result = cli("build-library", "--corpus", str(src), "--out", str(out), "--weights", str(weights), "--overwrite")
    assert result.returncode == 0, result.stderr
    assert all(e.beta == 1.0 for e in ScriptLibrary.load(out).entries)
    before = out.read_bytes()
    assert_user_error(cli("build-library", "--corpus", str(src), "--out", str(out)), "exists")
    weights.write_text(json.dumps({"syn-000000": 2}), encoding="utf-8")
    assert_user_error(cli("build-library", "--corpus", str(src), "--out", str(out), "--weights", str(weights),
                          "--overwrite"), "w.json", "syn-000000")
    tele = FIX / "list_role_content.json"
    assert_user_error(cli("build-library", "--corpus", str(tele), "--out", str(out), "--overwrite"), "--intents-from")
    assert out.read_bytes() == before
    result = cli("build-library", "--corpus", str(tele), "--out", str(tmp_path / "tele.json"), "--intents-from", str(src))
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_the_shipped_library_is_what_the_documented_commands_build(tmp_path: Path) -> None:
    from aisalesman.agents.doga import default_library_path

    src = tmp_path / "train.jsonl"
    assert cli("corpus", "generate", "--n", "2000", "--label-noise", "0.2", "--seed", "0", "--out", str(src)).returncode == 0
    out = tmp_path / "lib.json"
    assert cli("build-library", "--corpus", str(src), "--out", str(out)).returncode == 0
    shipped = json.loads(default_library_path().read_text(encoding="utf-8"))
    built = json.loads(out.read_text(encoding="utf-8"))
    shipped_numbers, built_numbers = _fitted_numbers(shipped), _fitted_numbers(built)
    assert built == {**shipped, "meta": {**shipped["meta"], "source": "train.jsonl"}}
    # the same fit: bit for bit on one machine, but another CPU's floating point may end the
    # iterative fit a little elsewhere (coefficients are of order 0.01 to 10)
    for key, value in shipped_numbers.items():
        np.testing.assert_allclose(built_numbers[key], value, rtol=1e-5, atol=1e-6, err_msg=key)


def _fitted_numbers(data: dict) -> dict[str, np.ndarray]:
    """Take the fitted models' floats out of a library file's content (which keeps their shapes)."""
    out = {}
    for name, model in data["models"].items():
        for part, key in (("vectorizer", "idf"), ("regression", "coef"), ("regression", "intercept")):
            out[f"{name}.{key}"] = np.asarray(model[part][key])
            model[part][key] = list(out[f"{name}.{key}"].shape)
    return out
