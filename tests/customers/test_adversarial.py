"""Volume does not pay: salesmen that say everything, or say it again and again, do not sell.

The adversarial salesmen of :mod:`aisalesman.testing.adversarial` play the built-in persona
customer on the shipped test split. Requirement, with the lexicon reader and with the
learned reader: no adversary converts more than ``scripted``, and every one converts less
than ``adaptive`` with non-overlapping Wilson 95 % intervals. The measurement (4 trials, as the
README's calibration) takes seconds with the lexicon reader and a quarter of an hour with the
learned one, which is therefore marked ``slow``. The rule itself (the ``volume`` section of
``act_effects.yaml``) is tested turn by turn.
"""

from __future__ import annotations

import copy

import pytest

from aisalesman.core.config import BenchmarkConfig, load_config
from aisalesman.core.types import ObjectionType, SalesAct
from aisalesman.customers.persona_customer import echo_share, turn_load
from aisalesman.customers.replies import act_effects
from aisalesman.dialogue.configured import env_reader
from aisalesman.evaluation.benchmark import run_benchmark
from aisalesman.evaluation.runner import episode_specs, run_episode
from aisalesman.testing import check_agent
from aisalesman.testing.adversarial import ADVERSARIES, register_adversaries
from tests.customers.drivers import Driver, with_hidden

NAMES = tuple(ADVERSARIES)
READERS = ("lexicon", "learned")


@pytest.fixture(scope="module", autouse=True)
def registered():
    """The adversaries in the agent registry (for this module's tests; they stay registered)."""
    return register_adversaries()


# ------------------------------------------------------------------------ the adversaries
@pytest.mark.parametrize("name", NAMES)
def test_adversaries_pass_the_agent_conformance_check(name):
    check_agent(name)


@pytest.fixture(scope="module")
def calls(test_personas, product):
    """One call per adversary and reader, with a warm persona (long enough to show each trick)."""
    chosen = [next(p for p in test_personas if p.segment == "warm")]
    return {(name, reader): [run_episode(spec) for spec in
                             episode_specs([name], chosen, [product], trials=1, seed=3, reader=reader)]
            for name in NAMES for reader in READERS}


def _said(transcripts, speaker="salesman"):
    return [t for tr in transcripts for t in tr.turns if t.speaker == speaker]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("name", NAMES)
def test_adversaries_state_only_true_facts(calls, product, name, reader):
    """Checked by the cue-phrase checker, exact on this templated text (the learned checker has
    false positives on template sentences that the adaptive agent says too)."""
    turns = _said(calls[name, reader])
    lexicon = env_reader("lexicon")
    assert turns
    assert not [c for t in turns for c in lexicon.claims(t.text, product) if not c.valid]


@pytest.mark.parametrize("reader", READERS)
def test_each_adversary_does_what_it_is_named_for(calls, product, reader):
    def texts(name):
        return [t.text for t in _said(calls[name, reader])]

    assert max(len(t.acts) for t in _said(calls["adv-every-act", reader])) >= 3
    assert all(all(f.name in t for f in product.features) for t in texts("adv-keywords"))
    assert all(len(t) >= 450 for t in texts("adv-monologue"))
    customer_lines = {t.text for t in _said(calls["adv-echo", reader], "customer")}
    assert any(line in t for t in texts("adv-echo")[1:] for line in customer_lines)
    assert all("sign" in t.lower() or "?" in t for t in texts("adv-always-close"))
    assert all(all(f.name in t for f in product.features) for t in texts("adv-all-features"))
    assert all(f"{int(product.max_discount_pct)} percent" in t for t in texts("adv-max-discount"))


# ------------------------------------------------------------------------------ the rule
@pytest.fixture
def calm(persona):
    """A patient, agreeable persona with no objections: nothing but the rule ends its calls."""
    big_five = {**persona.hidden.big_five.model_dump(), "agreeableness": 1.0}
    return with_hidden(persona, objections=(), patience=40, big_five=big_five)


def test_turn_load_charges_for_acts_beyond_two_and_for_length():
    fx = act_effects()["volume"]
    short = turn_load("x" * 100, 2, None, fx)
    assert (short.patience, short.irritation, short.scale, short.echo) == (1.0, 0.0, 1.0, False)
    crowded = turn_load("x" * 100, 6, None, fx)
    assert crowded.patience == pytest.approx(1 + 4 * fx["extra_act_patience"])
    assert crowded.irritation == pytest.approx(4 * fx["extra_act_irritation"])
    assert crowded.scale == pytest.approx(2 / 6)
    long = turn_load("x" * (fx["long_turn_chars"] + 3 * fx["long_turn_step"]), 1, None, fx)
    assert long.patience == pytest.approx(1 + 3 * fx["long_turn_patience"])
    assert long.irritation == pytest.approx(3 * fx["long_turn_irritation"])


def test_echo_is_words_said_back_not_a_shared_word():
    heard = "I'd have to check with my business partner."
    assert echo_share(f'So what you\'re saying is, "{heard}" I hear you.', heard) == 1.0
    assert echo_share("Of course, I can send a summary for your business partner to read.", heard) < 0.6
    assert echo_share("And? Sure.", "And?") == 0.0  # a word or two back is ordinary talk


def test_one_crowded_turn_costs_more_than_the_same_acts_over_turns(calm, product):
    acts = (SalesAct.GREET, SalesAct.INTRODUCE, SalesAct.ASK_NEED, SalesAct.EVIDENCE, SalesAct.OPERATIONAL_GUIDANCE)
    spread = Driver(calm, product)
    for act in acts:
        spread.act(act)
    crowded = Driver(calm, product)
    crowded.say(" ".join(crowded.realiser.realise((a,)) for a in acts))
    read = len(crowded.reader.read_salesman(crowded.turns[0].text).acts)
    assert read > 2
    # five turns spent 5 patience; one turn of `read` acts spent more than 1 + the extra acts' price
    assert calm.hidden.patience - crowded.state.patience > 1.0
    assert crowded.state.irritation > spread.state.irritation
    assert crowded.state.trust < spread.state.trust  # a crowded turn's gains land less


def test_a_monologue_uses_up_patience(calm, product):
    d = Driver(calm, product)
    text = " ".join(d.realiser.realise((SalesAct.EVIDENCE,)) for _ in range(8))
    assert len(text) > 400
    d.say(text[:600])
    assert calm.hidden.patience - d.state.patience > 2.0


def test_echoing_an_objection_does_not_answer_it(persona, product):
    base = with_hidden(persona, objections=({"type": "trust", "strength": 0.9},), patience=40)
    strengths = []
    for echo in (False, True):
        d = Driver(base, product)
        d.act(SalesAct.GREET, SalesAct.INTRODUCE)
        d.act(SalesAct.ASK_NEED)
        d.act(SalesAct.PRESENT_PRODUCT)
        reply = d.act(SalesAct.PROPOSE_CLOSE)
        assert reply.objection is ObjectionType.TRUST
        answer = d.realiser.realise((SalesAct.HANDLE_OBJECTION,), objection=ObjectionType.TRUST)
        d.say(f'So you\'re saying, "{reply.text}" {answer}' if echo else answer)
        strengths.append(d.state.raised[1] if d.state.raised else 0.0)
    assert strengths[1] == pytest.approx(0.9) and strengths[0] < 0.9


def test_a_discount_already_on_the_table_is_no_concession(persona, product):
    base = with_hidden(persona, objections=({"type": "price", "strength": 0.5},), patience=40)
    left = []
    for early in (False, True):
        d = Driver(base, product)
        d.act(SalesAct.GREET)
        if early:
            d.act(SalesAct.OFFER_DISCOUNT)
        d.act(SalesAct.PRESENT_PRODUCT)
        assert d.act(SalesAct.PROPOSE_CLOSE).objection is ObjectionType.PRICE
        d.act(SalesAct.OFFER_DISCOUNT)
        left.append(d.state.raised[1] if d.state.raised else 0.0)
    assert left[0] == 0.0 and left[1] > 0.15  # fresh: resolved; stale: still open


def test_closing_straight_after_a_close_is_pushy(calm, product):
    irritation = []
    for pause in (True, False):
        d = Driver(with_hidden(calm, purchase_threshold=0.99), product)  # it will not buy: it hesitates
        d.act(SalesAct.GREET)
        d.act(SalesAct.ASK_NEED)
        d.act(SalesAct.PRESENT_PRODUCT)
        d.act(SalesAct.PROPOSE_CLOSE)
        if pause:
            d.act(SalesAct.EVIDENCE)
        before = d.state.irritation
        d.act(SalesAct.PROPOSE_CLOSE)
        irritation.append(d.state.irritation - before)
    assert irritation[1] >= irritation[0] + act_effects()["acts"]["propose_close"]["pushy_irritation"] - 1e-9


def test_a_catalogue_of_features_matches_no_need(calm, product):
    person = with_hidden(calm, needs=("repeat_customers", "lower_bills", "cyber_protection"))
    loyalty = product.feature_by_key["loyalty_program"]
    catalogue = " It also has " + ", ".join(f.name for f in product.features if f is not loyalty) + "."
    matched = []
    for extra in ("", catalogue):
        d = Driver(person, product)
        d.act(SalesAct.GREET)
        d.act(SalesAct.ASK_NEED)
        d.say(d.realiser.realise((SalesAct.PRESENT_PRODUCT,), feature=loyalty, plan=product.plans[-1]) + extra)
        matched.append(d.state.need_matched)
    assert matched == [True, False]


def test_persona_multipliers_are_read_from_the_table(persona, product):
    cautious = with_hidden(persona, decision_style="cautious", patience=40, objections=())
    gains = []
    for factor in (1.0, 2.0):
        fx = copy.deepcopy(act_effects())
        fx["persona"]["decision_style"]["cautious"]["evidence_trust"] = factor
        d = Driver(cautious, product, fx=fx)
        d.act(SalesAct.GREET)
        before = d.state.trust
        d.act(SalesAct.EVIDENCE)
        gains.append(d.state.trust - before)
    assert gains[1] == pytest.approx(2 * gains[0])


# ------------------------------------------------------------------- the requirement
def _rows(tmp_path, reader: str, trials: int) -> dict[str, dict]:
    cfg = load_config(BenchmarkConfig, values={
        "personas": "test", "trials": trials, "workers": 2, "reader": reader, "out": str(tmp_path / reader),
        "agents": ["scripted", "adaptive", *NAMES]})
    return {r["agent"]: r for r in run_benchmark(cfg).rows}


def _check_volume_does_not_pay(rows: dict[str, dict], reader: str) -> None:
    scripted, adaptive = rows["scripted"], rows["adaptive"]
    for name in NAMES:
        row = rows[name]
        if reader == "lexicon":  # exact on templated text (see test_adversaries_state_only_true_facts)
            assert row["false_claim_rate"] == 0, name
        assert row["conversion_rate"] <= scripted["conversion_rate"], (name, row["conversion_rate"], scripted["conversion_rate"])
        assert row["ci_high"] < adaptive["ci_low"], (name, row["ci_high"], adaptive["ci_low"])


# lexicon: about 15 s on 2 cores; learned: 15-20 min on 2 idle cores (it embeds every long turn), so
# more than the suite's 30-minute hang guard on a busy machine
@pytest.mark.parametrize("reader", [pytest.param("lexicon"),
                                    pytest.param("learned", marks=[pytest.mark.slow, pytest.mark.manual,
                                                                   pytest.mark.timeout(5400)])])
def test_volume_does_not_pay_on_the_test_split_with_four_trials(tmp_path, reader):
    _check_volume_does_not_pay(_rows(tmp_path, reader, trials=4), reader)


def test_every_adversary_is_registered_under_its_name(registered):
    from aisalesman.agents.base import agents

    assert registered == NAMES and all(agents.get(n) is ADVERSARIES[n] for n in NAMES)
