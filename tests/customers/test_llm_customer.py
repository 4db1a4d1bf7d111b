"""The LLM customer: output parsing and repair, free and anchored modes, prompts, errors."""

import json

import pytest

from aisalesman.core.errors import ConfigError, DataFileError
from aisalesman.core.llm.scripted import ScriptedChatModel
from aisalesman.core.scenario import Scenario
from aisalesman.core.seeding import derive_seed
from aisalesman.core.types import CustomerDecision, Role
from aisalesman.customers import make_customer
from aisalesman.customers.base import CustomerObservation
from aisalesman.customers.llm_customer import CustomerOutputError, parse_customer_output
from aisalesman.envs.call import SalesCall
from aisalesman.evaluation.runner import EpisodeSpec, run_episode


def say(utterance, decision="continue"):
    return json.dumps({"utterance": utterance, "decision": decision})


@pytest.mark.parametrize("text, decision", [
    (say("Fine."), "continue"),
    ("```json\n" + say("Sure, sign me up.", "accept") + "\n```", "accept"),
    ('Here you go: {"utterance": "Bye.", "decision": "Hang up"}', "hang_up"),
    ('{"utterance": "Stop calling.", "decision": "do-not-call", "mood": "angry"}', "do_not_call"),
])
def test_parse_accepts_usable_output(text, decision):
    assert parse_customer_output(text).decision == decision


@pytest.mark.parametrize("text, problem", [
    ("I think I'll pass.", "no JSON object"),
    ('{"utterance": "Well, I', "no JSON object"),
    ('{"utterance": "x", "decision": "maybe"}', "field decision"),
    ('{"decision": "accept"}', "field utterance"),
    ('{"utterance": "", "decision": "accept"}', "field utterance"),
    ('["utterance", "accept"]', "no JSON object"),
    ('{"utterance": "a", "decision": "accept",}', "invalid JSON"),
])
def test_parse_rejects_unusable_output_saying_why(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_customer_output(text)
    with pytest.raises(ValueError, match="characters"):
        parse_customer_output(say("x" * 700))


def _customer(replies=None, responder=None, **kw):
    model = ScriptedChatModel(replies=replies, responder=responder)
    return make_customer("llm", model=model, **kw), model


def _respond(customer, scenario, salesman_text="Hello, this is Jordan from Tastemark."):
    call = SalesCall(scenario)
    call.speak(Role.SALESMAN, salesman_text)
    return customer.respond(CustomerObservation(scenario, tuple(call.turns)))


def test_unparseable_output_is_repaired(scenario):
    seen = []

    def responder(request):
        seen.append(request.messages)
        return "no json here" if len(seen) == 1 else say("Who is this?")

    customer, model = _customer(responder=responder, mode="free")
    customer.reset(scenario, seed=1)
    reply = _respond(customer, scenario)
    assert reply.text == "Who is this?" and reply.decision == CustomerDecision.CONTINUE
    assert customer.usage["repairs"] == 1 and customer.usage["llm_calls"] == 2
    repair = seen[1]
    assert repair[-2] == {"role": "assistant", "content": "no json here"}
    assert "could not be used: no JSON object" in repair[-1]["content"]


def test_output_still_unusable_after_repairs_raises(scenario):
    customer, model = _customer(replies=["garbage"], mode="free", max_repairs=2)
    customer.reset(scenario, seed=1)
    with pytest.raises(CustomerOutputError, match="after 3 attempts: no JSON object"):
        _respond(customer, scenario)
    assert model.stats.calls == 3


def test_unusable_output_ends_the_episode_with_an_infra_error(test_personas, product):
    spec = EpisodeSpec(0, "scripted", test_personas[0], product, 0, 0, customer="llm",
                       customer_kwargs={"mode": "free", "max_repairs": 1})
    t = run_episode(spec, {"customer": ScriptedChatModel(replies=["not json"])})
    assert t.termination_reason == "infra_error" and t.outcome == "no_conversion"
    assert "customer output unusable after 2 attempts" in t.stats["infra_error"]
    assert len(t.turns) == 1 and t.reward_components["outcome"] == 0.0


def test_free_mode_decision_is_authoritative_over_the_text(test_personas, product):
    spec = EpisodeSpec(0, "scripted", test_personas[0], product, 0, 0, customer="llm", customer_kwargs={"mode": "free"})
    t = run_episode(spec, {"customer": ScriptedChatModel(replies=[say("No thanks, goodbye.", "accept")])})
    assert t.termination_reason == "sale" and t.turns[1].meta["decision"] == "accept"
    t = run_episode(spec, {"customer": ScriptedChatModel(replies=[say("Yes, sign me up!", "continue")])})
    assert t.termination_reason != "sale"


def test_anchored_mode_follows_the_hidden_state_model(test_personas, product):
    """Whatever the LLM says it decides, the anchored decision is the built-in customer's."""
    lines = ["Hello, this is Jordan from Tastemark about BistroBoost.", "What is the biggest challenge in your business?",
             "Our Growth plan is $99 a month with targeted promotions.", "Shall we get you started on the Growth plan today?",
             "Shall we get you started on the Growth plan today?"]
    for persona in test_personas[:12]:
        scenario = Scenario(persona, product)
        customer, _ = _customer(replies=[say("Absolutely, sign me up!", "accept")], mode="anchored")
        customer.reset(scenario, seed=5)
        builtin = make_customer("persona")
        builtin.reset(scenario, seed=derive_seed(5, "anchor"))
        call = SalesCall(scenario)
        for line in lines:
            if call.done:
                break
            call.speak(Role.SALESMAN, line)
            obs = CustomerObservation(scenario, tuple(call.turns))
            want = builtin.respond(obs)
            got = customer.respond(obs)
            assert got.act == want.act and got.kind == want.kind
            call.speak(Role.CUSTOMER, got.text, decision=got.decision, meta=got.meta)
            if got.decision != CustomerDecision.ACCEPT:
                assert got.meta["llm_decision"] == "accept"
        assert customer.usage["anchor_overrides"] >= 1


def test_prompt_holds_the_persona_and_the_call(scenario):
    customer, model = _customer(replies=[say("ok")], mode="free")
    customer.reset(scenario, seed=1)
    call = SalesCall(scenario)
    call.speak(Role.SALESMAN, "Hello there.")
    call.speak(Role.CUSTOMER, "Who is it?", decision=CustomerDecision.CONTINUE)
    call.speak(Role.SALESMAN, "It's Jordan.")
    msgs = customer.messages(CustomerObservation(scenario, tuple(call.turns)), None)
    system = msgs[0]["content"]
    crm = scenario.persona.crm
    assert crm.name in system and crm.business_type in system and str(crm.employees) in system
    assert '"decision"' in system and "you never sell anything" in system
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    assert json.loads(msgs[2]["content"]) == {"utterance": "Who is it?", "decision": "continue"}


def test_prompt_dir_overrides_templates_and_bad_templates_name_the_file(scenario, tmp_path):
    (tmp_path / "output_format.md").write_text("\nANSWER AS JSON PLEASE with \"decision\"\n")
    customer, _ = _customer(replies=[say("ok")], mode="free", prompt_dir=str(tmp_path))
    customer.reset(scenario, seed=1)
    assert "ANSWER AS JSON PLEASE" in customer.messages(CustomerObservation(scenario, ()), None)[0]["content"]
    (tmp_path / "persona_card.md").write_text("You are $nickname.")
    customer, _ = _customer(replies=[say("ok")], mode="free", prompt_dir=str(tmp_path))
    with pytest.raises(DataFileError, match=r"persona_card.md: placeholder \$nickname"):
        customer.reset(scenario, seed=1)


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="needs a chat model"):
        make_customer("llm")
    with pytest.raises(ConfigError, match="customer_mode"):
        make_customer("llm", model=ScriptedChatModel(), mode="wild")


def test_a_megabyte_of_bad_output_is_not_quoted_back_in_full(scenario):
    asked = []

    def responder(request):
        asked.append(request.messages)
        return "{" + "x" * 1_000_000 if len(asked) == 1 else say("Who is this?")

    customer, _ = _customer(responder=responder, mode="free")
    customer.reset(scenario, seed=1)
    assert _respond(customer, scenario).text == "Who is this?"
    first, repair = (sum(len(m["content"]) for m in msgs) for msgs in asked)
    assert repair - first < 3_000  # the quote is clipped to 2,000 characters plus a note and the repair prompt
    assert asked[1][-2]["content"].endswith("[... 998001 more characters cut]")


@pytest.mark.timeout(60)  # the old parser took hours; fail rather than hang
def test_pathological_output_is_rejected_quickly_not_parsed_for_hours():
    # r"\s*```$" backtracked quadratically over long runs of spaces; deep nesting overflowed json
    with pytest.raises(ValueError, match="no JSON object"):
        parse_customer_output("a" + " " * 300_000 + "a")
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_customer_output('{"utterance": ' + "[" * 100_000 + "]" * 100_000 + "}")
