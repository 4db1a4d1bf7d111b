import json
from pathlib import Path

import pytest

from aisalesman.core.errors import DataFileError, UnknownNameError
from aisalesman.customers.generator import generate_personas
from aisalesman.data import builtin_product_names, load_personas, load_product, load_products, write_personas
from aisalesman.data.loading import SPLIT_SPECS


def test_three_products_with_different_price_structures(products):
    assert len(products) >= 3
    periods = {p.plans[0].billing_period for p in products}
    assert periods == {"month", "year"}
    assert len({p.max_discount_pct for p in products}) == len(products)
    assert len({(p.terms.contract_months, p.terms.trial_days, p.terms.setup_fee) for p in products}) == len(products)
    for p in products:
        assert p.non_features, f"{p.key} lists no known non-features"
        assert p.plans == tuple(sorted(p.plans, key=lambda plan: plan.price))


def test_shipped_splits_have_the_documented_sizes_and_disjoint_ids():
    ids = set()
    for split, (n, _seed) in SPLIT_SPECS.items():
        people = load_personas(split)
        assert len(people) == n
        ids |= {p.id for p in people}
    assert len(ids) == sum(n for n, _ in SPLIT_SPECS.values())


def test_shipped_splits_are_what_the_generator_makes(tmp_path):
    for split, (n, seed) in SPLIT_SPECS.items():
        out = tmp_path / f"{split}.jsonl"
        write_personas(generate_personas(n, seed=seed, id_prefix=f"{split}-"), out)
        shipped = Path(__file__).parents[2] / "aisalesman" / "data" / "personas" / f"{split}.jsonl"
        assert out.read_bytes() == shipped.read_bytes(), f"{split} split is stale: regenerate it"


def test_persona_file_round_trips(tmp_path):
    people = generate_personas(5, seed=3)
    for suffix in (".jsonl", ".yaml", ".json"):
        path = tmp_path / f"p{suffix}"
        write_personas(people, path)
        assert load_personas(str(path)) == people


def test_schema_violation_names_file_record_and_field(tmp_path):
    record = generate_personas(2, seed=1)[1].model_dump(mode="json")
    record["hidden"]["patience"] = -3
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(generate_personas(1, seed=1)[0].model_dump(mode="json")) + "\n" + json.dumps(record) + "\n")
    with pytest.raises(DataFileError) as info:
        load_personas(str(path))
    assert str(path) in str(info.value)
    assert "record 2" in str(info.value) and "hidden.patience" in str(info.value)


def test_malformed_files_are_reported_with_their_path(tmp_path):
    bad_json = tmp_path / "p.jsonl"
    bad_json.write_text('{"id": "x"\n')
    with pytest.raises(DataFileError, match="line 1: not valid JSON"):
        load_personas(str(bad_json))
    bad_yaml = tmp_path / "prod.yaml"
    bad_yaml.write_text("key: [unclosed\n")
    with pytest.raises(DataFileError, match="not valid YAML"):
        load_product(str(bad_yaml))
    with pytest.raises(DataFileError, match="no such file"):
        load_product(str(tmp_path / "missing.yaml"))


def test_product_with_a_plan_listing_an_unknown_feature_is_rejected(tmp_path):
    import yaml

    from aisalesman.data.loading import _root

    data = yaml.safe_load(_root().joinpath("products/bistro-boost.yaml").read_text())
    data["plans"][0]["features"].append("teleportation")
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(DataFileError, match="teleportation"):
        load_product(str(path))


def test_duplicate_persona_ids_are_rejected(tmp_path):
    person = generate_personas(1, seed=1)[0]
    path = tmp_path / "dup.jsonl"
    write_personas([person, person], path)
    with pytest.raises(DataFileError, match="duplicate persona id"):
        load_personas(str(path))


def test_unknown_names_suggest_alternatives():
    with pytest.raises(UnknownNameError, match="did you mean 'bistro-boost'"):
        load_product("bistro-bost")
    with pytest.raises(UnknownNameError, match="unknown persona split 'tset'"):
        load_personas("tset")
    assert [p.key for p in load_products("all")] == builtin_product_names()
