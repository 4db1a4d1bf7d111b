import pytest

from aisalesman.core.config import BenchmarkConfig, load_config, to_yaml
from aisalesman.core.errors import ConfigError, DataFileError


def test_defaults_file_values_and_overrides_merge_in_order(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("trials: 2\nseed: 5\nagents: [scripted]\n")
    cfg = load_config(BenchmarkConfig, path=path, values={"seed": 9, "workers": None}, overrides=["trials=3"])
    assert (cfg.trials, cfg.seed, cfg.agents, cfg.workers) == (3, 9, ["scripted"], 1)
    assert "trials: 3" in to_yaml(cfg)


@pytest.mark.parametrize(
    "overrides, match",
    [(["trials=-1"], "trials"), (["nosuchkey=1"], "nosuchkey"), (["trials=abc"], "trials"),
     (["goal=world_peace"], "goal"), (["trials"], "key=value")],
)
def test_bad_values_name_the_field(overrides, match):
    with pytest.raises(ConfigError, match=match):
        load_config(BenchmarkConfig, overrides=overrides)


def test_config_file_must_be_a_mapping(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(DataFileError, match="mapping"):
        load_config(BenchmarkConfig, path=path)
