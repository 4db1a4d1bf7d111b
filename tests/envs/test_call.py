"""The rules of a call: termination, rewards, invalid actions."""

import pytest

from aisalesman.core.errors import ConfigError, InvalidActionError
from aisalesman.core.scenario import Scenario
from aisalesman.core.types import Role
from aisalesman.envs import RewardConfig, make_env
from aisalesman.envs.call import SalesCall

S, C = Role.SALESMAN, Role.CUSTOMER


def play(scenario, lines, **kw):
    call = SalesCall(scenario, **kw)
    for i, text in enumerate(lines):
        call.speak(S if i % 2 == 0 else C, text)
    return call


@pytest.mark.parametrize(
    "lines, reason, outcome, reward",
    [
        (["Shall I sign you up for the Growth plan today?", "Okay, sign me up."], "sale", "sale", 1.0),
        (["Could I call you back on Thursday to go through it properly?", "Okay, call me back then."],
         "appointment", "appointment", 0.4),
        (["Hello!", "No thanks, not interested."], "rejected", "no_conversion", 0.0),
        (["Hello!", "I'm hanging up now."], "hung_up", "no_conversion", -0.1),
        (["Hello!", "Stop calling me.", "Understood, I'll take you off our list right away. Goodbye."],
         "dnc_honoured", "no_conversion", 0.0),
        (["Hello!", "Stop calling me.", "Shall I sign you up for the Growth plan today?"],
         "dnc_violated", "no_conversion", -1.0),
        (["Thank you for your time. Goodbye!"], "salesman_ended", "no_conversion", 0.0),
    ],
)
def test_termination_reasons_and_outcome_rewards(scenario, lines, reason, outcome, reward):
    call = play(scenario, lines)
    assert call.terminated and not call.truncated
    assert (str(call.reason), str(call.outcome)) == (reason, outcome)
    assert sum(call.components.values()) == pytest.approx(reward)


def test_max_turns_truncates(persona, product):
    call = play(Scenario(persona, product, max_turns=4), ["Hi there.", "Okay.", "Right.", "Mm-hm."])
    assert call.truncated and not call.terminated and str(call.reason) == "max_turns"


def test_false_claims_are_penalised_per_claim_and_logged_separately(scenario):
    call = play(scenario, ["We give you 50% off and we deliver your orders with our own drivers."],
                rewards=RewardConfig(false_claim=-0.25))
    assert call.components["false_claims"] == pytest.approx(-0.5)
    assert [c.valid for c in call.turns[0].claims] == [False, False]


def test_invalid_actions_get_clear_errors(scenario):
    call = SalesCall(scenario, max_utterance_chars=20)
    with pytest.raises(InvalidActionError, match="must be a str"):
        call.speak(S, 42)
    with pytest.raises(InvalidActionError, match="more than max_utterance_chars=20"):
        call.speak(S, "x" * 21)
    with pytest.raises(InvalidActionError, match="salesman's turn, not the customer's"):
        call.speak(C, "hello")
    call.speak(S, "Goodbye!")
    with pytest.raises(InvalidActionError, match="call has ended"):
        call.speak(C, "wait")


def test_aec_env_rejects_actions_after_the_end_and_accepts_unicode():
    env = make_env("aisalesman/telesales-v0")
    env.reset(seed=1)
    env.step("你好，我是来自 Tastemark 的 Jordan — ¿cómo está? 😀")
    assert env.call.turns[-1].text.startswith("你好")
    env.step("I'm hanging up now.")
    assert env.terminations["salesman"] and env.infos["salesman"]["termination_reason"] == "hung_up"
    with pytest.raises(InvalidActionError, match="only valid action"):
        env.step("hello?")
    for _ in env.agent_iter():
        env.step(None)
    assert env.agents == []


def test_reward_components_reach_info_and_cumulative_rewards():
    env = make_env("aisalesman/telesales-v0", rewards=RewardConfig(sale=2.0))
    env.reset(seed=0)
    env.step("Shall I sign you up for the Growth plan today?")
    env.step("Alright, let's do it.")
    assert env._cumulative_rewards["salesman"] == pytest.approx(2.0)
    assert env.infos["customer"]["reward_components"]["outcome"] == pytest.approx(2.0)
    assert env.infos["salesman"]["outcome"] == "sale"


def test_parallel_view_ignores_the_silent_agent():
    env = make_env("aisalesman/telesales-v0", parallel=True)
    obs, _ = env.reset(seed=2)
    assert obs["salesman"]["to_speak"] == 1 and obs["customer"]["to_speak"] == 0
    obs, *_ = env.step({"salesman": "Hello there.", "customer": "this is ignored"})
    assert obs["customer"]["to_speak"] == 1
    assert "this is ignored" not in obs["customer"]["transcript"]


def test_bad_reward_config_is_rejected():
    with pytest.raises(ConfigError, match="sale"):
        RewardConfig(sale="lots")  # type: ignore[arg-type]


def test_observations_show_each_role_only_its_view():
    env = make_env("aisalesman/telesales-v0")
    env.reset(seed=5)
    salesman, customer = env.observe("salesman")["view"], env.observe("customer")["view"]
    assert "purchase_threshold" in customer and "purchase_threshold" not in salesman
    assert "max_discount_pct" in salesman


def test_a_reward_model_adds_per_turn_shaping_to_its_own_component(scenario):
    class AskingPays:
        def score(self, turn, call):
            return 0.1 if "ask_need" in turn.acts else 0.0

    call = play(scenario, ["May I ask what's your biggest challenge right now?", "Honestly, we need more customers.",
                           "Could you tell me how business is going?", "Okay."], reward_model=AskingPays())
    assert call.components["shaping"] == pytest.approx(0.2)
    env = make_env("aisalesman/telesales-v0", reward_model=AskingPays())
    env.reset(seed=0)
    env.step("May I ask what's your biggest challenge right now?")
    assert env.rewards["salesman"] == pytest.approx(0.1)


def test_an_infrastructure_error_ends_the_call_without_reward(scenario):
    call = play(scenario, ["Hello!"])
    call.end_with_infra_error("customer backend failed after 3 retries")
    assert call.done and str(call.reason) == "infra_error" and str(call.outcome) == "no_conversion"
    assert sum(call.components.values()) == 0.0 and "retries" in call.infra_detail
    with pytest.raises(InvalidActionError, match="call has ended"):
        call.speak(C, "Hello?")
