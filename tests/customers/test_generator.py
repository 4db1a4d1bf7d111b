import pytest

from aisalesman.core.errors import ConfigError
from aisalesman.core.types import Segment
from aisalesman.customers.generator import generate_personas, population_model, segment_quotas


def test_same_seed_same_population_and_other_seed_differs():
    assert generate_personas(20, seed=4) == generate_personas(20, seed=4)
    assert generate_personas(20, seed=4) != generate_personas(20, seed=5)


def test_segment_quotas_are_exact():
    people = generate_personas(100, seed=0)
    counts = {s: sum(p.segment == s for p in people) for s in Segment}
    mix = population_model()["mix"]
    assert counts == {Segment(k): round(100 * v) for k, v in mix.items()}
    assert len(segment_quotas(7, {"hot": 1, "cold": 1})) == 7


def test_segments_are_ordered_from_hot_to_hostile():
    people = generate_personas(300, seed=2)

    def mean(seg, attr):
        vals = [getattr(p.hidden, attr) for p in people if p.segment == seg]
        return sum(vals) / len(vals)

    order = list(Segment)
    interests = [mean(s, "initial_interest") for s in order]
    thresholds = [mean(s, "purchase_threshold") for s in order]
    assert interests == sorted(interests, reverse=True)
    assert thresholds == sorted(thresholds)


def test_every_persona_has_a_need_each_product_serves(products):
    for person in generate_personas(50, seed=9):
        for product in products:
            served = {n for f in product.features for n in f.serves_needs}
            assert served & set(person.hidden.needs)


def test_invalid_arguments():
    with pytest.raises(ConfigError):
        generate_personas(0, seed=1)
    with pytest.raises(ConfigError):
        segment_quotas(5, {"hot": -1})
