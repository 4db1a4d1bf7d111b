"""Agents: registry, conformance over every registered agent, and baseline behaviour."""

import re

import pytest

from aisalesman.agents import AgentTurn, agents, make_agent
from aisalesman.core.errors import ConfigError, UnknownNameError
from aisalesman.core.llm.scripted import ScriptedChatModel
from aisalesman.core.types import SalesAct
from aisalesman.data import load_product
from aisalesman.evaluation.runner import EpisodeSpec, run_episode
from aisalesman.testing import AgentCheckError, check_agent


def _models():
    return {"salesman": ScriptedChatModel()}


def _make(name):
    """Agents that talk to an LLM get the deterministic scripted backend."""
    return make_agent(name, chat_model=ScriptedChatModel())


def _episodes(agent, personas, product, seed=0, trials=1, **kw):
    return [run_episode(EpisodeSpec(0, agent, p, product, t, seed, agent_kwargs=kw), _models())
            for p in personas for t in range(trials)]


def _named(name: str, request) -> str:
    """Agents that need an argument get one: ``rllib`` an (untrained) saved module."""
    return f"rllib:{request.getfixturevalue('rllib_checkpoint')}" if name == "rllib" else name


@pytest.mark.parametrize("name", agents.names())
def test_every_registered_agent_passes_the_conformance_check(name, request):
    check_agent(_named(name, request), chat_model=ScriptedChatModel())


@pytest.mark.parametrize("name", agents.names())
def test_agents_react_to_the_seed(name, test_personas, product, request):
    name = _named(name, request)
    first = _episodes(name, test_personas[:10], product, seed=3)
    other = _episodes(name, test_personas[:10], product, seed=4)
    assert [t.turns for t in first] != [t.turns for t in other]


class _Base:
    def __init__(self):
        self.turn = 0

    def reset(self, view, *, seed):
        self.turn = 0

    def act(self, observation):
        self.turn += 1
        return AgentTurn("Hello, this is Sam. Goodbye!" if self.turn > 2 else f"Line {self.turn}.")


class _GlobalRandom(_Base):
    def act(self, observation):
        import random

        return AgentTurn(random.choice(["Hello there.", "Hi there."]))


class _Empty(_Base):
    def act(self, observation):
        return AgentTurn("  ")


class _Sticky(_Base):
    def reset(self, view, *, seed):
        pass  # forgets to clear the turn counter


class _WrongActs(_Base):
    def act(self, observation):
        return AgentTurn("Hello.", acts=("greet",))


@pytest.mark.parametrize("cls, problem", [
    (_GlobalRandom, "not deterministic"), (_Empty, "empty"), (_Sticky, "reset() does not clear state"),
    (_WrongActs, "SalesAct members"),
])
def test_conformance_check_catches_broken_agents(cls, problem):
    agents.register("broken-for-test", cls, overwrite=True)
    try:
        with pytest.raises(AgentCheckError, match=re.escape(problem)):
            check_agent("broken-for-test")
    finally:
        agents._entries.pop("broken-for-test", None)


def test_conformance_check_catches_global_rng_use():
    class SeededGlobal(_Base):
        def reset(self, view, *, seed):
            import random

            self.turn = 0
            random.seed(seed)  # deterministic, but touches the global generator

    agents.register("global-seed-for-test", SeededGlobal, overwrite=True)
    try:
        with pytest.raises(AgentCheckError, match="global random state"):
            check_agent("global-seed-for-test")
    finally:
        agents._entries.pop("global-seed-for-test", None)


def test_unknown_agent_and_bad_arguments():
    with pytest.raises(UnknownNameError, match="did you mean 'adaptive'"):
        make_agent("adaptiv")
    with pytest.raises(ConfigError, match="does not accept"):
        make_agent("scripted", colour="blue")
    with pytest.raises(ConfigError, match="false_claim_prob"):
        make_agent("random", false_claim_prob=2.0)


def test_adaptive_honours_do_not_call_and_scripted_does_not(test_personas, product):
    reasons = {}
    for name in ("adaptive", "scripted"):
        reasons[name] = {t.termination_reason for t in _episodes(name, test_personas, product, trials=2)}
    assert "dnc_honoured" in reasons["adaptive"] and "dnc_violated" not in reasons["adaptive"]
    assert "dnc_violated" in reasons["scripted"]


def test_adaptive_answers_the_objection_actually_raised(test_personas, product):
    from aisalesman.dialogue.configured import env_reader

    reader = env_reader()  # what the env and the customer hear
    checked = 0
    for transcript in _episodes("adaptive", test_personas[:40], product):
        turns = transcript.turns
        for prev, turn in zip(turns, turns[1:], strict=False):
            if prev.objection is not None and turn.speaker == "salesman" and "handle_objection" in turn.acts:
                assert prev.objection in reader.read_salesman(turn.text).answers, turn.text
                checked += 1
    assert checked >= 10


def test_random_agent_sometimes_makes_false_claims(test_personas, product):
    transcripts = _episodes("random", test_personas[:40], product, trials=2)
    assert sum(t.stats["false_claims"] for t in transcripts) > 0
    assert sum(t.stats["false_claims"] for t in _episodes("adaptive", test_personas[:40], product)) == 0


def test_agents_work_on_every_product(test_personas):
    for key in ("linkpro-fibre", "shieldplus-insurance"):
        product = load_product(key)
        for transcript in _episodes("adaptive", test_personas[:5], product):
            assert SalesAct.GREET in transcript.turns[0].acts
