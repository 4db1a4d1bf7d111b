"""Misuse of every registered env fails with our documented errors, naming the bad value.

Parametrised over ``envs.names()``, so a newly registered env is covered without a new test.
"""

import gymnasium
import numpy as np
import pytest
from gymnasium.spaces import Discrete

from aisalesman.core.errors import (
    AISalesmanError,
    ConfigError,
    EnvStateError,
    InvalidActionError,
    UnknownNameError,
)
from aisalesman.envs import envs, make_env

ALL = envs.names()
AEC = [e for e in ALL if envs.get(e).kind == "aec"]
GYM = [e for e in ALL if envs.get(e).kind == "gym"]
GOODBYE = "Thank you for your time. Goodbye!"


def lenient(env_id, **kwargs):
    """An env that accepts masked-out acts (penalised), so any action in the space is playable."""
    if "illegal_action" in envs.get(env_id).factory.options():
        kwargs.setdefault("illegal_action", "penalise")
    return make_env(env_id, **kwargs)


def in_space(space, rng):
    """A seeded sample from ``space``, in every form the space says it contains."""
    if isinstance(space, Discrete):
        v = int(rng.integers(space.n))
        forms = [v, np.int64(v), np.int32(v), np.array(v), np.array(v, dtype=np.int16)]
    else:
        space.seed(int(rng.integers(2**31)))
        forms = [sample(space), "", "é" * space.max_length]
    assert all(space.contains(f) for f in forms)
    return forms


def outside(space):
    """Values ``space`` does not contain."""
    if isinstance(space, Discrete):
        bad = [space.n, -1, 1.0, "0", None, np.array([0]), np.float64(0), [0]]
    else:
        bad = [42, None, b"hi", "x" * (space.max_length + 1), ["hi"]]
    assert not any(space.contains(b) for b in bad)
    return bad


def sample(space, seed: int = 0):
    """A seeded draw from ``space`` (tests are deterministic)."""
    space.seed(seed)
    return space.sample()


def named(err, value):
    """The error message shows the value (its start: long values are shortened, quotes may differ)."""
    return (value[:15] if isinstance(value, str) else repr(value)[:20]) in str(err.value)


def legal(env, agent, rng, *, salesman_line=GOODBYE):
    """A legal action for a live AEC agent (a legal act, or ``salesman_line`` / a neutral reply)."""
    obs = env.observe(agent)
    if isinstance(obs, dict) and "action_mask" in obs:
        return int(rng.choice(np.flatnonzero(obs["action_mask"])))
    return salesman_line if agent == "salesman" else "I see."


def form(space, rng, index):
    """The ``index``-th form (cycling) of a fresh sample from ``space``."""
    forms = in_space(space, rng)
    return forms[index % len(forms)]


def play_until_done(env, rng):
    """Step an AEC env until its agents are terminated or truncated (not yet removed)."""
    env.reset(seed=0)
    for _ in range(100):
        agent = env.agent_selection
        if env.terminations[agent] or env.truncations[agent]:
            return
        env.step(legal(env, agent, rng))
    raise AssertionError("the call did not end")


# ------------------------------------------------------------------ before reset
@pytest.mark.parametrize("env_id", AEC)
@pytest.mark.parametrize("call", ["step", "last", "observe", "agent_iter"])
def test_aec_methods_before_reset(env_id, call):
    env = make_env(env_id)
    args = {"step": (sample(env.action_space("salesman")),), "observe": ("salesman",)}.get(call, ())
    with pytest.raises(EnvStateError, match=rf"{call}\(\) called before reset\(\)"):
        getattr(env, call)(*args)


@pytest.mark.parametrize("env_id", AEC)
def test_parallel_step_before_reset(env_id):
    env = make_env(env_id, parallel=True)
    actions = {a: sample(env.action_space(a)) for a in env.possible_agents}  # spaces are there before reset()
    with pytest.raises(EnvStateError, match=r"before reset\(\)"):
        env.step(actions)


@pytest.mark.parametrize("maker", [make_env, gymnasium.make])
@pytest.mark.parametrize("env_id", GYM)
def test_gym_step_before_reset(env_id, maker):
    env = maker(env_id)
    action = sample(env.action_space)
    with pytest.raises(EnvStateError, match=r"before reset\(\)"):
        env.step(action)


@pytest.mark.parametrize("env_id", AEC)
def test_unknown_agents_are_unknown_names(env_id):
    env = make_env(env_id)
    env.reset(seed=0)
    for call in (env.observe, env.action_space, env.observation_space):
        with pytest.raises(UnknownNameError, match="'bob'"):
            call("bob")


# ------------------------------------------------------------------- after end
@pytest.mark.parametrize("env_id", AEC)
def test_aec_after_end_only_none_until_agents_are_removed(env_id):
    env = make_env(env_id, max_turns=4)
    play_until_done(env, np.random.default_rng(0))
    action = sample(env.action_space(env.agent_selection))
    with pytest.raises(InvalidActionError, match="only valid action") as err:
        env.step(action)
    assert named(err, action)
    while env.agents:
        env.step(None)  # PettingZoo's dead step: legal
    for call in (lambda: env.step(None), lambda: env.step(action), env.last):
        with pytest.raises(EnvStateError, match=r"ended .*call reset\(\)"):
            call()
    env.reset(seed=1)
    assert env.agents == env.possible_agents


@pytest.mark.parametrize("env_id", AEC)
def test_parallel_step_after_end(env_id):
    env = make_env(env_id, parallel=True, max_turns=4)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    while env.agents:
        speaker = env.unwrapped.agent_selection
        env.step({speaker: legal(env.unwrapped, speaker, rng)})
    with pytest.raises(EnvStateError, match=r"ended .*call reset\(\)"):
        env.step({a: None for a in env.possible_agents})


@pytest.mark.parametrize("maker", [make_env, gymnasium.make])
@pytest.mark.parametrize("env_id", GYM)
def test_gym_step_after_end(env_id, maker):
    env = maker(env_id, max_turns=4)
    env.reset(seed=0)
    rng, done = np.random.default_rng(0), False
    while not done:
        _, _, term, trunc, _ = env.step(legal(env.unwrapped.env, "salesman", rng))
        done = term or trunc
    action = sample(env.action_space)
    for _ in range(2):  # a second try must not fall through to another error
        with pytest.raises(EnvStateError, match=r"ended .*call reset\(\)"):
            env.step(action)
    env.reset(seed=0)
    env.step(legal(env.unwrapped.env, "salesman", rng))  # reset recovers


# ----------------------------------------------------------------------- seeds
NUMPY_SEEDS = [np.int64(7), np.int32(7), np.uint8(7), np.uint64(7), np.array(7)]
BAD_SEEDS = [7.0, "7", -1, True, np.float64(7), [7], np.array([7])]


def aec_episode(env, seed):
    """What a seeded AEC episode looks like: its episode seed, scenario and first observations."""
    env.reset(seed=seed)
    return env.episode_seed, env.scenario.id, repr([env.observe(a) for a in env.possible_agents])


@pytest.mark.parametrize("seed", NUMPY_SEEDS, ids=repr)
@pytest.mark.parametrize("env_id", AEC)
def test_numpy_integer_seeds_give_the_int_seeds_episode_aec(env_id, seed):
    env = make_env(env_id)
    assert aec_episode(env, seed) == aec_episode(env, 7)
    assert aec_episode(env, 8)[0] != aec_episode(env, 7)[0]  # the seed matters at all
    par = make_env(env_id, parallel=True)
    assert repr(par.reset(seed=seed)) == repr(par.reset(seed=7))


@pytest.mark.parametrize("seed", NUMPY_SEEDS, ids=repr)
@pytest.mark.parametrize("maker", [make_env, gymnasium.make])
@pytest.mark.parametrize("env_id", GYM)
def test_numpy_integer_seeds_give_the_int_seeds_episode_gym(env_id, maker, seed):
    env = maker(env_id)

    def episode(s):
        obs, info = env.reset(seed=s)
        step = env.step(legal(env.unwrapped.env, "salesman", np.random.default_rng(0)))
        return repr((obs, info, step))

    assert episode(seed) == episode(7)
    assert episode(8) != episode(7)


@pytest.mark.parametrize("seed", BAD_SEEDS, ids=repr)
@pytest.mark.parametrize("env_id", ALL)
def test_bad_seeds_are_config_errors_naming_the_seed(env_id, seed):
    envs_ = [make_env(env_id)]
    envs_ += [make_env(env_id, parallel=True)] if env_id in AEC else [gymnasium.make(env_id)]
    for env in envs_:
        with pytest.raises(ConfigError, match="seed must be") as err:
            env.reset(seed=seed)
        assert named(err, seed)


BAD_OPTIONS = [(3, 3), (["scenario"], ["scenario"]), ({"scenario": "x"}, "x")]


@pytest.mark.parametrize(("options", "shown"), BAD_OPTIONS, ids=repr)
@pytest.mark.parametrize("env_id", ALL)
def test_bad_reset_options_are_config_errors_naming_them(env_id, options, shown):
    env = make_env(env_id)
    with pytest.raises(ConfigError, match="option") as err:
        env.reset(seed=0, options=options)
    assert named(err, shown)


# --------------------------------------------------------------------- actions
@pytest.mark.parametrize("env_id", AEC)
def test_aec_accepts_every_action_its_space_contains(env_id):
    env, rng = lenient(env_id), np.random.default_rng(0)
    for seed in range(3):
        for form_index in range(5):
            env.reset(seed=seed)
            for _ in range(4):
                agent, turns = env.agent_selection, len(env.call.turns)
                if env.terminations[agent] or env.truncations[agent]:
                    break
                env.step(form(env.action_space(agent), rng, form_index))
                assert len(env.call.turns) == turns + 1 and env.call.turns[-1].speaker == agent


@pytest.mark.parametrize("env_id", AEC)
def test_parallel_accepts_every_action_its_spaces_contain(env_id):
    env, rng = lenient(env_id, parallel=True), np.random.default_rng(0)
    for form_index in range(5):
        env.reset(seed=form_index)
        for _ in range(4):
            if not env.agents:
                break
            speaker, turns = env.unwrapped.agent_selection, len(env.unwrapped.call.turns)
            env.step({a: form(env.action_space(a), rng, form_index) for a in env.agents})
            assert len(env.unwrapped.call.turns) == turns + 1
            assert env.unwrapped.call.turns[-1].speaker == speaker


@pytest.mark.parametrize("maker", [make_env, gymnasium.make])
@pytest.mark.parametrize("env_id", GYM)
def test_gym_accepts_every_action_its_space_contains(env_id, maker):
    env, rng = maker(env_id), np.random.default_rng(0)
    inner = env.unwrapped.env
    for form_index in range(5):
        env.reset(seed=form_index)
        for _ in range(3):
            turns = len(inner.call.turns)
            _, _, term, trunc, _ = env.step(form(env.action_space, rng, form_index))
            assert inner.call.turns[turns].speaker == "salesman"
            if term or trunc:
                break


@pytest.mark.parametrize("env_id", AEC)
def test_aec_rejects_actions_outside_the_space(env_id):
    env = make_env(env_id)
    env.reset(seed=0)
    for agent_turn in range(2):
        agent = env.agent_selection
        for bad in outside(env.action_space(agent)):
            with pytest.raises(InvalidActionError) as err:
                env.step(bad)
            assert named(err, bad) and len(env.call.turns) == agent_turn
        env.step(legal(env, agent, np.random.default_rng(0), salesman_line="Hello!"))


@pytest.mark.parametrize("env_id", AEC)
def test_parallel_rejects_bad_actions_for_the_speaker_and_the_silent_agent(env_id):
    env = make_env(env_id, parallel=True)
    env.reset(seed=0)
    speaker, silent = "salesman", "customer"
    ok = legal(env.unwrapped, speaker, np.random.default_rng(0), salesman_line="Hello!")
    cases = [{speaker: b} for b in outside(env.action_space(speaker)) if b is not None]
    cases += [{speaker: ok, silent: b} for b in outside(env.action_space(silent)) if b is not None]
    for actions in cases:
        with pytest.raises(InvalidActionError) as err:
            env.step(actions)
        assert named(err, actions.get(silent, actions[speaker]))
    for bad, value in (([ok], [ok]), ({silent: None}, speaker), ({speaker: ok, "bob": ok}, "bob")):
        with pytest.raises(InvalidActionError) as err:
            env.step(bad)
        assert named(err, value)
    assert env.unwrapped.call.turns == []


@pytest.mark.parametrize("maker", [make_env, gymnasium.make])
@pytest.mark.parametrize("env_id", GYM)
def test_gym_rejects_actions_outside_the_space(env_id, maker):
    env = maker(env_id)
    env.reset(seed=0)
    for bad in outside(env.action_space):
        with pytest.raises(InvalidActionError) as err:
            env.step(bad)
        assert named(err, bad) and env.unwrapped.env.call.turns == []


# ------------------------------------------------------------ construction
# (argument, value, error); every env id is built with each: an argument an id does not
# take is a ConfigError naming it too, so the table applies to every id.
BAD_ARGS = [
    ("max_turns", 0, ConfigError), ("max_turns", 1, ConfigError), ("max_turns", "x", ConfigError),
    ("max_turns", 2.5, ConfigError), ("max_turns", None, ConfigError), ("max_turns", True, ConfigError),
    ("max_utterance_chars", -1, ConfigError), ("max_utterance_chars", 0, ConfigError),
    ("max_utterance_chars", "x", ConfigError), ("max_utterance_chars", 2.5, ConfigError),
    ("goal", "fame", ConfigError), ("goal", None, ConfigError),
    ("personas", "nope", UnknownNameError), ("personas", 5, ConfigError), ("personas", [], ConfigError),
    ("personas", [1], ConfigError),
    ("products", "nope", UnknownNameError), ("products", [], ConfigError), ("products", ["bistro-boost"], ConfigError),
    ("products", 5, ConfigError),
    ("max_turn", 3, ConfigError), ("render_mode", "rgb", ConfigError), ("render_mode", "rgb_array", ConfigError),
    ("rewards", {"sale": 1.0}, ConfigError), ("reward_model", 3, ConfigError),
    ("illegal_action", "x", ConfigError), ("illegal_penalty", "x", ConfigError),
    ("illegal_penalty", float("nan"), ConfigError),
    ("customer", object(), ConfigError), ("customer", "nope", AISalesmanError),
]


def case_id(case):
    return f"{case[0]}={case[1]!r}"


def build_fails(build, env_id, name, value, error):
    with pytest.raises(error) as err:
        build(env_id, **{name: value})
    assert isinstance(err.value, AISalesmanError)
    message = str(err.value)
    assert name in message and repr(value)[:20] in message, message


@pytest.mark.parametrize("case", BAD_ARGS, ids=case_id)
@pytest.mark.parametrize("env_id", ALL)
def test_bad_make_env_arguments_name_the_argument_and_value(env_id, case):
    build_fails(make_env, env_id, *case)


@pytest.mark.parametrize("case", BAD_ARGS, ids=case_id)
@pytest.mark.parametrize("env_id", GYM)
def test_bad_gymnasium_make_arguments_name_the_argument_and_value(env_id, case):
    build_fails(gymnasium.make, env_id, *case)


@pytest.mark.parametrize("env_id", ALL)
def test_parallel_must_be_a_bool_and_gym_ids_have_no_parallel_view(env_id):
    build_fails(make_env, env_id, "parallel", "yes", ConfigError)
    if env_id in GYM:
        build_fails(make_env, env_id, "parallel", True, ConfigError)
    else:
        assert make_env(env_id, parallel=True).possible_agents == make_env(env_id).possible_agents


def test_unknown_and_non_string_env_ids():
    with pytest.raises(UnknownNameError, match="'aisalesman/telesale-v0'.*did you mean"):
        make_env("aisalesman/telesale-v0")
    with pytest.raises(ConfigError, match="env_id .* got 3"):
        make_env(3)


@pytest.mark.parametrize("env_id", ALL)
def test_every_valid_argument_in_the_table_is_accepted(env_id):
    """The table above is not failing for a reason unrelated to the value: good values build."""
    options = envs.get(env_id).factory.options()
    good = {"max_turns": 2, "max_utterance_chars": 1, "goal": "appointment", "personas": "test",
            "products": "bistro-boost", "render_mode": "ansi", "illegal_action": "raise", "illegal_penalty": -1,
            "customer": "persona"}
    env = make_env(env_id, **{k: v for k, v in good.items() if k in options})
    inner = getattr(env, "env", env)  # the AEC env under a Gymnasium one
    assert (inner.pool.max_turns, inner.pool.goal, inner.max_utterance_chars) == (2, "appointment", 1)
