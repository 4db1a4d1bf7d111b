"""Every registered env passes its library's own conformance checks."""

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test

from aisalesman.envs import envs, make_env

AEC = [e for e in envs.names() if envs.get(e).kind == "aec"]
GYM = [e for e in envs.names() if envs.get(e).kind == "gym"]


def test_every_env_kind_is_covered():
    assert AEC and GYM and set(AEC) | set(GYM) == set(envs.names())


@pytest.mark.parametrize("env_id", AEC)
def test_pettingzoo_api(env_id):
    api_test(make_env(env_id), num_cycles=300)
    parallel_api_test(make_env(env_id, parallel=True), num_cycles=300)


@pytest.mark.parametrize("env_id", AEC)
def test_pettingzoo_seeding(env_id):
    seed_test(lambda: make_env(env_id), num_cycles=200)
    parallel_seed_test(lambda: make_env(env_id, parallel=True), num_cycles=200)


@pytest.mark.parametrize("env_id", GYM)
def test_gymnasium_checker_and_make(env_id):
    check_env(make_env(env_id))
    env = gymnasium.make(env_id)
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    assert "scenario" in info


@pytest.mark.parametrize("env_id", AEC)
def test_spaces_are_the_same_objects_every_call(env_id):
    env = make_env(env_id)
    for agent in env.possible_agents:
        assert env.observation_space(agent) is env.observation_space(agent)
        assert env.action_space(agent) is env.action_space(agent)
