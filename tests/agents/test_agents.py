"""Agents: registry, conformance over every registered agent, and baseline behaviour."""

import pytest

from aisalesman.agents import agents, make_agent
from aisalesman.core.errors import ConfigError, UnknownNameError
from aisalesman.core.llm.scripted import ScriptedChatModel
from aisalesman.core.types import SalesAct
from aisalesman.data import load_product
from aisalesman.evaluation.runner import EpisodeSpec, run_episode


def _models():
    return {"salesman": ScriptedChatModel()}


def _make(name):
    """Agents that talk to an LLM get the deterministic scripted backend."""
    return make_agent(name, chat_model=ScriptedChatModel())


def _episodes(agent, personas, product, seed=0, trials=1, **kw):
    return [run_episode(EpisodeSpec(0, agent, p, product, t, seed, agent_kwargs=kw), _models())
            for p in personas for t in range(trials)]


@pytest.mark.parametrize("name", agents.names())
def test_every_registered_agent_is_deterministic_and_well_formed(name, test_personas, product):
    from aisalesman.agents import SalesAgent

    assert isinstance(_make(name), SalesAgent)
    first = _episodes(name, test_personas[:10], product, seed=3)
    again = _episodes(name, test_personas[:10], product, seed=3)
    assert [t.turns for t in first] == [t.turns for t in again]
    other = _episodes(name, test_personas[:10], product, seed=4)
    assert [t.turns for t in first] != [t.turns for t in other]
    for transcript in first:
        assert transcript.turns[0].speaker == "salesman"
        for turn in transcript.turns:
            assert isinstance(turn.text, str) and 0 < len(turn.text) <= 600


@pytest.mark.parametrize("name", agents.names())
def test_reset_clears_state(name, test_personas, product):
    from aisalesman.core.scenario import Scenario
    from aisalesman.customers import make_customer
    from aisalesman.envs import make_env

    agent = _make(name)
    env = make_env("aisalesman/telesales-v0")

    def play(persona):
        scenario = Scenario(persona, product)
        env.reset(seed=1, options={"scenario": scenario})
        agent.reset(scenario.salesman_view(), seed=11)
        customer = make_customer("persona")
        customer.reset(scenario, seed=12)
        while not env.call.done:
            if env.agent_selection == "salesman":
                env.step(agent.act(env.salesman_observation()).text)
            else:
                env.step(env.customer_action(customer))
        return [t.text for t in env.call.turns]

    fresh = play(test_personas[0])
    play(test_personas[1])
    assert play(test_personas[0]) == fresh


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
    from aisalesman.customers.understanding import read_salesman

    checked = 0
    for transcript in _episodes("adaptive", test_personas[:40], product):
        turns = transcript.turns
        for prev, turn in zip(turns, turns[1:], strict=False):
            if prev.objection is not None and turn.speaker == "salesman" and "handle_objection" in turn.acts:
                assert prev.objection in read_salesman(turn.text).answers, turn.text
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
