"""DOGA: composable by name, legal intents, filled outlines, no invented facts, guidance reaching the LLM."""

from __future__ import annotations

import pytest

from aisalesman.agents import make_agent
from aisalesman.agents.base import AgentTurn, SalesObservation
from aisalesman.agents.baselines import ScriptedAgent
from aisalesman.agents.doga import DOGAAgent
from aisalesman.core.errors import ConfigError, UnknownNameError
from aisalesman.core.llm.scripted import ScriptedChatModel
from aisalesman.core.types import Role
from aisalesman.data import load_personas, load_product, load_products
from aisalesman.dialogue.stages import default_stage_machine
from aisalesman.evaluation.runner import EpisodeSpec, run_episode


def test_composite_names() -> None:
    agent = make_agent("doga:scripted")
    assert isinstance(agent, DOGAAgent) and isinstance(agent.inner, ScriptedAgent)
    assert make_agent("doga").inner_name == "scripted"
    assert make_agent("doga:adaptive", inner_config={"max_closes": 2}).inner.max_closes == 2
    with pytest.raises(UnknownNameError, match="nosuch"):
        make_agent("doga:nosuch")
    with pytest.raises(ConfigError, match="itself"):
        make_agent("doga:doga")
    with pytest.raises(ConfigError, match="top_k"):
        make_agent("doga:scripted", top_k=0)
    from aisalesman.agents import agents
    assert not agents.uses_chat_model("doga:scripted") and agents.uses_chat_model("doga:llm")


def test_the_shipped_library_is_used_without_fitting_a_model(monkeypatch) -> None:
    from aisalesman.agents import doga, intents

    def no_fitting(*args, **kwargs):
        raise AssertionError("the shipped library was fitted on load (is it a version-1 file?)")

    monkeypatch.setattr(intents.TfidfIntentClassifier, "fit", no_fitting)
    monkeypatch.setattr(intents.NextIntentModel, "fit", no_fitting)
    doga._cached.cache_clear()
    t = run_episode(EpisodeSpec(0, "doga:scripted", load_personas("test")[0], load_product("bistro-boost"), 0, 3))
    moves = [turn.meta["doga"]["intent"] for turn in t.turns if turn.speaker == Role.SALESMAN]
    assert len(moves) > 2 and moves[0] in default_stage_machine().legal(None)
    assert doga.load_library().intent_classifier.classify("Shall I sign you up today?").intent == "propose_close"


@pytest.mark.parametrize("inner", ["scripted", "adaptive"])
def test_turns_are_legal_filled_truthful_and_recorded(inner: str) -> None:
    m = default_stage_machine()
    personas, products = load_personas("test")[:12], load_products("all")
    turns = 0
    for i, persona in enumerate(personas):
        t = run_episode(EpisodeSpec(i, f"doga:{inner}", persona, products[i % len(products)], 0, 100 + i))
        previous, last_customer = None, None
        for turn in t.turns:
            if turn.speaker == Role.CUSTOMER:
                last_customer = turn
                continue
            dnc = any("request_dnc" in x.acts for x in t.turns[:turn.index] if x.speaker == Role.CUSTOMER)
            objection = last_customer is not None and last_customer.objection is not None
            assert turn.intent in m.legal(previous, dnc_requested=dnc, objection_open=objection)
            assert turn.capability == m.capability(turn.intent)
            doga = turn.meta["doga"]
            assert doga["intent"] == turn.intent and doga["capability"] == turn.capability
            assert doga["outline"] and turn.text == doga["outline"] and doga["entries"]
            assert "{" not in turn.text and turn.text.strip()
            assert not turn.false_claims
            previous = turn.intent
            turns += 1
    assert turns > 40


def test_dnc_is_honoured_at_once() -> None:
    from aisalesman.core.scenario import Scenario
    from aisalesman.core.transcript import Turn

    agent = make_agent("doga:scripted")
    persona, product = load_personas("test")[0], load_product("bistro-boost")
    view = Scenario(persona, product).salesman_view()
    agent.reset(view, seed=1)
    turns = (Turn(0, Role.SALESMAN, "Hello!", ("greet",), intent="greet"),
             Turn(1, Role.CUSTOMER, "Take me off your list, do not call again.", ("request_dnc",)))
    move = agent.act(SalesObservation(view, turns))
    assert move.intent in ("honour_dnc", "goodbye")


def test_guidance_reaches_the_llm_salesman() -> None:
    seen = []

    def responder(request):
        seen.append(request.messages)
        return "Thanks for picking up! I'm an automated assistant from the team."

    persona, product = load_personas("test")[2], load_product("bistro-boost")
    model = ScriptedChatModel(responder=responder)
    t = run_episode(EpisodeSpec(0, "doga:llm", persona, product, 0, 9, max_turns=6), {"salesman": model})
    # the episode's inner LLM salesman was given this model and asked it once for each of its lines
    salesman_turns = [turn for turn in t.turns if turn.speaker == Role.SALESMAN]
    assert salesman_turns and len(seen) == model.stats.calls == len(salesman_turns)
    notes = [msgs[-1]["content"] for msgs in seen]
    assert all("Guidance for your next line" in n for n in notes)
    first = t.turns[0]
    assert first.meta["doga"]["intent"] in ("greet", "introduce")
    assert f"Intent: {first.meta['doga']['intent']}" in notes[0]
    assert first.meta["doga"]["outline"] in notes[0]


class _Plain:
    """A plug-in style agent that knows nothing of guidance."""

    def reset(self, view, *, seed):
        pass

    def act(self, observation):
        return AgentTurn("Plain words.")


def test_agents_without_guidance_hooks_speak_the_outline() -> None:
    from aisalesman.agents import agents

    agents.register("plain-for-test", _Plain, overwrite=True)
    t = run_episode(EpisodeSpec(0, "doga:plain-for-test", load_personas("test")[1], load_product("bistro-boost"), 0, 4))
    first = t.turns[0]
    assert first.text == first.meta["doga"]["outline"] != "Plain words."


def test_an_unrecognised_turn_does_not_send_the_call_back_to_its_opening() -> None:
    from aisalesman.core.scenario import Scenario
    from aisalesman.core.transcript import Turn

    agent = make_agent("doga:scripted")
    view = Scenario(load_personas("test")[0], load_product("bistro-boost")).salesman_view()
    agent.reset(view, seed=2)
    turns = (Turn(0, Role.SALESMAN, "Hello, this is Sam.", ("introduce",), intent="introduce"),
             Turn(1, Role.CUSTOMER, "Go on.", ("small_talk",)),
             Turn(2, Role.SALESMAN, "Hmm.", (), intent="other"),
             Turn(3, Role.CUSTOMER, "Yes?", ("small_talk",)))
    move = agent.act(SalesObservation(view, turns))
    assert move.intent in default_stage_machine().legal("introduce")
    assert move.intent not in ("greet", "introduce")
