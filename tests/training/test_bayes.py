"""The noisy-outcome model: planted noise rates are recovered, posterior weights beat raw labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from aisalesman.cli import main
from aisalesman.core.errors import ConfigError, DataFileError
from aisalesman.core.transcript import Turn
from aisalesman.core.types import Role
from aisalesman.evaluation.corpus_gen import generate_corpus
from aisalesman.training.bayes import (
    ACTS,
    CONTEXTS,
    BayesConfig,
    Posterior,
    auc,
    corpus_arrays,
    fit_posterior,
    read_weights,
    turn_context,
)

pytest.importorskip("numpyro")

FAST = dict(num_warmup=300, num_samples=300, num_chains=2)


@pytest.fixture(scope="module")
def noisy_corpus():
    """500 dialogues, three annotators each flipping the true outcome with probability 0.3."""
    return list(generate_corpus(500, label_noise=0.3, annotators=3, seed=11))


@pytest.fixture(scope="module")
def fitted(noisy_corpus):
    return fit_posterior(noisy_corpus, BayesConfig(channels="shared", **FAST))


def test_context_reads_the_customer_turn_before_the_salesman() -> None:
    def customer(acts, objection=None):
        return Turn(1, Role.CUSTOMER, "x", tuple(acts), objection)

    assert turn_context(None) == "start"
    assert turn_context(customer(["small_talk"], objection="price")) == "objection"
    assert turn_context(customer(["request_dnc", "raise_objection"])) == "dnc"
    assert turn_context(customer(["show_interest", "ask_question"])) == "interest"
    assert turn_context(customer(["small_talk"])) == "neutral"


def test_features_are_per_turn_shares_of_context_by_act(noisy_corpus) -> None:
    data = corpus_arrays(noisy_corpus)
    assert data.features.shape == (500, len(CONTEXTS) * len(ACTS))
    np.testing.assert_allclose(data.features.sum(1), 1.0, rtol=1e-5)
    first = noisy_corpus[0]
    n_salesman = sum(t.speaker == Role.SALESMAN for t in first.turns)
    assert data.support.sum() == sum(sum(t.speaker == Role.SALESMAN for t in d.turns) for d in noisy_corpus)
    # the first salesman turn is always in the "start" context
    c0 = CONTEXTS.index("start") * len(ACTS) + ACTS.index(first.turns[0].intent)
    assert data.features[0, c0] == pytest.approx(1.0 / n_salesman)
    assert data.labels.shape == (500, 3) and data.label_mask.min() == 1.0


@pytest.mark.slow
def test_planted_noise_rate_is_recovered(noisy_corpus, fitted) -> None:
    """The realised flip rates (planted 0.3, as drawn in this corpus) lie in the 90 % HPDI;
    the posterior mean is within 0.05 of the planted rate itself."""
    truth = np.array([d.true_success for d in noisy_corpus])
    labels = np.array([d.labels for d in noisy_corpus])
    realised = {"fpr": labels[~truth].mean(), "fnr": 1.0 - labels[truth].mean()}
    ch = fitted.noise["shared"]
    for rate in ("fpr", "fnr"):
        lo, hi = ch[rate]["hpdi90"]
        assert lo <= realised[rate] <= hi, (rate, realised[rate], ch[rate])
        assert abs(ch[rate]["mean"] - 0.3) < 0.05, (rate, ch[rate])
    assert fitted.diagnostics["max_r_hat"] < 1.05
    assert fitted.diagnostics["min_ess"] > 100
    assert fitted.diagnostics["divergences"] == 0


@pytest.mark.slow  # NUTS fit: about 15 s
def test_posterior_weights_rank_true_successes_better_than_raw_labels(fitted) -> None:
    e = fitted.evaluation
    assert e["auc_posterior"] > e["auc_raw_labels"] + 0.05
    assert fitted.weights.min() >= 0.0 and fitted.weights.max() <= 1.0


@pytest.mark.slow  # NUTS fit: about 15 s
def test_act_values_favour_closing_on_interest_over_goodbye(fitted) -> None:
    values = fitted.act_values["interest"]
    assert values["propose_close"]["mean"] > values["goodbye"]["mean"]
    assert values["propose_close"]["support"] > 0


@pytest.mark.slow
def test_clean_labels_give_rates_near_zero() -> None:
    post = fit_posterior(list(generate_corpus(200, label_noise=0.0, annotators=3, seed=5)),
                         BayesConfig(method="svi", channels="shared", svi_steps=1500, num_samples=200))
    for rate in ("fpr", "fnr"):
        assert post.noise["shared"][rate]["q95"] < 0.03
    assert post.diagnostics["method"] == "svi" and post.diagnostics["max_r_hat"] is None
    assert post.evaluation["auc_posterior"] > 0.99


def test_auc_matches_pairwise_definition() -> None:
    s, t = np.array([0.1, 0.4, 0.35, 0.8, 0.4]), np.array([0, 0, 1, 1, 1])
    pairs = [(i, j) for i in range(5) for j in range(5) if t[i] == 1 and t[j] == 0]
    expected = sum(1.0 if s[i] > s[j] else 0.5 if s[i] == s[j] else 0.0 for i, j in pairs) / len(pairs)
    assert auc(s, t) == pytest.approx(expected)


@pytest.mark.slow  # NUTS fit: about 15 s
def test_file_round_trip_and_weights_for_the_library(tmp_path: Path, fitted) -> None:
    path = tmp_path / "post.json"
    fitted.save(path)
    back = Posterior.load(path)
    assert back.ids == fitted.ids
    np.testing.assert_allclose(back.weights, fitted.weights)
    np.testing.assert_allclose(back.act_value_matrix(), fitted.act_value_matrix())
    assert read_weights(path) == fitted.weight_map()
    data = json.loads(path.read_text())
    data["version"] = 99
    (tmp_path / "new.json").write_text(json.dumps(data))
    with pytest.raises(DataFileError, match="version 99"):
        Posterior.load(tmp_path / "new.json")
    (tmp_path / "other.json").write_text("{}")
    with pytest.raises(DataFileError, match="not a posterior file"):
        Posterior.load(tmp_path / "other.json")


def test_bad_configs_name_the_field() -> None:
    with pytest.raises(ConfigError, match="method"):
        BayesConfig(method="mcmc")
    with pytest.raises(ConfigError, match="channels"):
        BayesConfig(channels="each")
    with pytest.raises(ConfigError, match="num_samples"):
        BayesConfig(num_samples=0)


def test_fit_bayes_command(tmp_path: Path, capsys) -> None:
    from aisalesman.data.corpus import write_corpus

    corpus = tmp_path / "c.jsonl"
    write_corpus(generate_corpus(60, label_noise=0.2, seed=2), corpus)
    out = tmp_path / "post.json"
    assert main(["fit-bayes", "--corpus", str(corpus), "--out", str(out), "--method", "svi",
                 "--svi-steps", "300", "--samples", "50"]) == 0
    text = capsys.readouterr().out
    assert "noise annotator_0: fpr" in text and "AUC of posterior weights" in text
    assert len(Posterior.load(out).ids) == 60
    before = out.read_bytes()
    assert main(["fit-bayes", "--corpus", str(corpus), "--out", str(out), "--method", "svi"]) == 2
    assert main(["fit-bayes", "--corpus", str(corpus), "--out", str(tmp_path / "x.json"), "--method", "gibbs"]) == 2
    err = capsys.readouterr().err
    assert "method must be 'nuts' or 'svi'" in err and "Traceback" not in err
    assert out.read_bytes() == before
