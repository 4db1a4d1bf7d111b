"""The benchmark's files: determinism across workers, crash-safe resume, leaderboard fields."""

import json

import pytest

from aisalesman.core.config import BenchmarkConfig
from aisalesman.core.errors import ConfigError, UnknownNameError
from aisalesman.customers.generator import generate_personas
from aisalesman.data import write_personas
from aisalesman.evaluation.benchmark import run_benchmark

REQUIRED = {"agent", "episodes", "conversions", "conversion_rate", "ci_low", "ci_high", "pass_hat_k",
            "hang_up_rate", "dnc_violations", "false_claim_rate", "infra_errors"}


@pytest.fixture(scope="module")
def persona_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("p") / "people.jsonl"
    write_personas(generate_personas(12, seed=8), path)
    return str(path)


def cfg(out, persona_file, **kw):
    base = {"agents": ["random", "scripted", "adaptive"], "personas": persona_file, "products": "bistro-boost,linkpro-fibre",
            "trials": 2, "seed": 4, "out": str(out)}
    return BenchmarkConfig(**{**base, **kw})


def test_outputs_are_byte_identical_whatever_the_worker_count(tmp_path, persona_file):
    run_benchmark(cfg(tmp_path / "w1", persona_file, workers=1))
    run_benchmark(cfg(tmp_path / "w2", persona_file, workers=2))
    for name in ("transcripts.jsonl", "leaderboard.json"):
        assert (tmp_path / "w1" / name).read_bytes() == (tmp_path / "w2" / name).read_bytes()
    lines = (tmp_path / "w1" / "transcripts.jsonl").read_text().splitlines()
    assert len(lines) == 3 * 2 * 12 * 2
    assert len({json.loads(line)["episode_id"] for line in lines}) == len(lines)


def test_leaderboard_fields_and_files(tmp_path, persona_file):
    result = run_benchmark(cfg(tmp_path, persona_file))
    rows = json.loads((tmp_path / "leaderboard.json").read_text())
    assert [r["agent"] for r in rows] == ["random", "scripted", "adaptive"]
    for row in rows:
        assert REQUIRED <= set(row)
        assert row["ci_low"] <= row["conversion_rate"] <= row["ci_high"]
        assert row["episodes"] == 48
    record = json.loads((tmp_path / "transcripts.jsonl").read_text().splitlines()[0])
    assert set(record["seeds"]) == {"run", "salesman", "customer", "env"}
    text = (tmp_path / "transcripts.jsonl").read_text()
    assert "time" not in json.dumps(list(record)) and "seconds" not in text
    assert "trials: 2" in (tmp_path / "config.yaml").read_text()
    assert json.loads((tmp_path / "timings.json").read_text())["episodes"] == 144 == result.episodes_run


def test_customers_are_shared_across_agents(tmp_path, persona_file):
    run_benchmark(cfg(tmp_path, persona_file))
    records = [json.loads(line) for line in (tmp_path / "transcripts.jsonl").read_text().splitlines()]
    seeds, players = {}, {}
    for r in records:
        key = (r["product"], r["persona_id"], r["trial"])
        seeds.setdefault(key, set()).add(r["seeds"]["customer"])
        players.setdefault(key, set()).add(r["agent"])
    assert len(seeds) == 2 * 12 * 2  # products x personas x trials
    assert all(p == {"random", "scripted", "adaptive"} for p in players.values())  # each customer met every agent
    assert all(len(s) == 1 for s in seeds.values())


def test_resume_after_a_crash_loses_and_duplicates_nothing(tmp_path, persona_file):
    run_benchmark(cfg(tmp_path / "full", persona_file))
    full = (tmp_path / "full" / "transcripts.jsonl").read_bytes()
    crashed = tmp_path / "crashed"
    run_benchmark(cfg(crashed, persona_file))
    lines = full.split(b"\n")
    (crashed / "transcripts.jsonl").write_bytes(b"\n".join(lines[:50]) + b"\n" + lines[50][:40])  # torn last line
    result = run_benchmark(cfg(crashed, persona_file), resume=True)
    assert result.episodes_run == 144 - 50
    assert (crashed / "transcripts.jsonl").read_bytes() == full


def test_existing_run_is_not_overwritten_by_accident(tmp_path, persona_file):
    run_benchmark(cfg(tmp_path, persona_file))
    before = (tmp_path / "transcripts.jsonl").read_bytes()
    with pytest.raises(ConfigError, match="--resume .* --overwrite"):
        run_benchmark(cfg(tmp_path, persona_file))
    with pytest.raises(ConfigError, match="config differs"):
        run_benchmark(cfg(tmp_path, persona_file, seed=99), resume=True)
    assert (tmp_path / "transcripts.jsonl").read_bytes() == before


def test_unknown_agent_fails_before_anything_is_written(tmp_path, persona_file):
    with pytest.raises(UnknownNameError, match="did you mean 'scripted'"):
        run_benchmark(cfg(tmp_path / "x", persona_file, agents=["scriptd"]))
    assert not (tmp_path / "x").exists()


class Crash(Exception):
    pass


def test_a_crash_during_an_overwrite_leaves_no_stale_leaderboard(tmp_path, persona_file, capsys):
    from aisalesman.cli import main
    from aisalesman.core.rundir import run_status

    small = cfg(tmp_path, persona_file, agents=["scripted"], trials=1)
    run_benchmark(small)
    old_board = (tmp_path / "leaderboard.json").read_text()
    (tmp_path / "precious.txt").write_text("mine")

    def crash(done, total):
        if done == 5:
            raise Crash

    with pytest.raises(Crash):
        run_benchmark(cfg(tmp_path, persona_file, agents=["scripted"], trials=1, seed=7), overwrite=True, progress=crash)
    assert not (tmp_path / "leaderboard.json").exists() and run_status(tmp_path) == "running"
    assert len((tmp_path / "transcripts.jsonl").read_text().splitlines()) == 5
    assert main(["report", str(tmp_path)]) == 2
    assert "the run is incomplete" in capsys.readouterr().err
    run_benchmark(cfg(tmp_path, persona_file, agents=["scripted"], trials=1, seed=7), resume=True)
    assert run_status(tmp_path) == "complete" and (tmp_path / "precious.txt").read_text() == "mine"
    assert (tmp_path / "leaderboard.json").read_text() != old_board
    assert main(["report", str(tmp_path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["episodes"] == 24  # 12 personas x 2 products
