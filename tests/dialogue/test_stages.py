"""The stage machine: shipped rules, user files, and intents recorded on every salesman turn."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aisalesman.core.errors import DataFileError
from aisalesman.core.types import Capability, SalesAct
from aisalesman.data import load_personas, load_product
from aisalesman.dialogue.stages import StageMachine, default_stage_machine
from aisalesman.evaluation.runner import EpisodeSpec, run_episode

SHIPPED = Path(__file__).parents[2] / "aisalesman" / "dialogue" / "data" / "stage_machine.yaml"


def test_shipped_rules() -> None:
    m = default_stage_machine()
    assert m.legal(None) == ("greet", "introduce")
    assert m.legal("honour_dnc") == ()  # the call is over
    for prev in m.intents:
        assert m.legal(prev, dnc_requested=True) == ("goodbye", "honour_dnc")
        if prev == "honour_dnc":
            continue
        legal = set(m.legal(prev))
        assert legal == set(m.intents) - {"greet", "introduce", "honour_dnc", "handle_objection"}
        assert "handle_objection" in m.legal(prev, objection_open=True)
    assert m.primary(["greet", "introduce"]) == "introduce"
    assert m.primary(["operational_guidance", "propose_close"]) == "propose_close"
    assert m.primary([]) is None
    assert {m.capability(i) for i in m.intents} == {str(c) for c in Capability}
    assert m.capability("offer_discount") == "objection_handling" and m.capability("nonsense") is None
    assert m.mask("present_product").tolist() == [int(a in m.legal("present_product")) for a in m.intents]


def test_a_user_file_changes_the_transitions(tmp_path: Path) -> None:
    spec = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    spec["stages"]["opening"]["next"] = ["discovery"]  # must ask before anything else
    path = tmp_path / "strict.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    m = StageMachine.load(path)
    assert m.legal("introduce") == ("ask_need", "business_analysis")
    assert m.legal("ask_need") == default_stage_machine().legal("ask_need")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda s: s["stages"]["opening"].__setitem__("next", ["pitching"]), "stages.opening.next: unknown stage 'pitching'"),
    (lambda s: s["intents"].pop("evidence"), "intents: missing ['evidence']"),
    (lambda s: s["intents"].__setitem__("greet", "charm"), "intents.greet"),
    (lambda s: s["requires"].__setitem__("handle_objection", "moon_phase"), "requires.handle_objection"),
])
def test_bad_files_name_the_file_and_field(tmp_path: Path, edit, message: str) -> None:
    spec = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    edit(spec)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(DataFileError, match="bad.yaml") as info:
        StageMachine.load(path)
    assert message in str(info.value)


@pytest.mark.parametrize("agent", ["scripted", "adaptive", "random", "flawed"])
def test_every_salesman_turn_records_intent_and_capability(agent: str) -> None:
    m = default_stage_machine()
    persona, product = load_personas("test")[3], load_product("bistro-boost")
    t = run_episode(EpisodeSpec(0, agent, persona, product, 0, 11))
    salesman = [turn for turn in t.turns if turn.speaker == "salesman"]
    assert salesman
    for turn in salesman:
        assert turn.intent == m.primary(turn.acts) or (agent == "random" and turn.intent in m.intents)
        assert turn.capability == m.capability(turn.intent)
        d = turn.to_dict()
        assert d["intent"] == turn.intent and d["capability"] == turn.capability
    customer = [turn for turn in t.turns if turn.speaker == "customer"]
    assert customer
    assert all(turn.intent is None and "capability" not in turn.to_dict() for turn in customer)


def test_text_without_known_acts_is_recorded_as_other() -> None:
    from aisalesman.core.scenario import Scenario
    from aisalesman.core.types import Role
    from aisalesman.envs.call import SalesCall

    persona, product = load_personas("test")[0], load_product("bistro-boost")
    call = SalesCall(Scenario(persona, product))
    call.speak(Role.SALESMAN, "Hmm.")
    assert (call.turns[-1].intent, call.turns[-1].capability) == ("other", None)
    call.speak(Role.CUSTOMER, "What?")
    call.speak(Role.SALESMAN, "Hmm again.", intent=str(SalesAct.EVIDENCE))
    assert (call.turns[-1].intent, call.turns[-1].capability) == ("evidence", "product_introduction")


def test_act_env_records_the_chosen_act_and_masks_from_the_previous_intent() -> None:
    from aisalesman.dialogue.state import SALES_ACTS
    from aisalesman.envs import make_env

    env = make_env("aisalesman/telesales-acts-v0")
    env.reset(seed=3)
    env.step(SALES_ACTS.index(SalesAct.INTRODUCE))
    assert env.call.turns[-1].intent == "introduce" and env.call.turns[-1].capability == "opening"
