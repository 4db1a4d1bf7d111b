import numpy as np
import pytest

from aisalesman.core.errors import InvalidActionError
from aisalesman.core.types import SalesAct
from aisalesman.dialogue.acts import CUSTOMER_MOVES
from aisalesman.dialogue.state import SALES_ACTS
from aisalesman.envs import make_env

A = {a: i for i, a in enumerate(SALES_ACTS)}
M = {m: i for i, m in enumerate(CUSTOMER_MOVES)}


def legal(env, agent):
    return {SALES_ACTS[i] if agent == "salesman" else CUSTOMER_MOVES[i]
            for i in np.flatnonzero(env.observe(agent)["action_mask"])}


def test_stage_machine_masks():
    env = make_env("aisalesman/telesales-acts-v0")
    env.reset(seed=0)
    assert legal(env, "salesman") == {SalesAct.GREET, SalesAct.INTRODUCE}
    env.step(A[SalesAct.GREET])
    assert "accept_sale" not in legal(env, "customer")
    env.step(M["request_dnc"])
    assert legal(env, "salesman") == {SalesAct.HONOUR_DNC, SalesAct.GOODBYE}
    env.step(A[SalesAct.HONOUR_DNC])
    assert env.infos["salesman"]["termination_reason"] == "dnc_honoured"


def test_objection_opens_handling_and_close_opens_accept():
    env = make_env("aisalesman/telesales-acts-v0")
    env.reset(seed=0)
    env.step(A[SalesAct.GREET])
    env.step(M["greet"])
    assert SalesAct.HANDLE_OBJECTION not in legal(env, "salesman")
    env.step(A[SalesAct.PROPOSE_CLOSE])
    assert "accept_sale" in legal(env, "customer")
    env.step(M["objection:price"])
    assert SalesAct.HANDLE_OBJECTION in legal(env, "salesman")
    env.step(A[SalesAct.HANDLE_OBJECTION])
    assert "price" in env.call.turns[-1].text.lower() or "cost" in env.call.turns[-1].text.lower()


def test_illegal_actions_raise_or_are_penalised():
    env = make_env("aisalesman/telesales-acts-v0")
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="not legal now"):
        env.step(A[SalesAct.PROPOSE_CLOSE])
    with pytest.raises(InvalidActionError, match="outside"):
        env.step(99)
    with pytest.raises(InvalidActionError, match="integer"):
        env.step("greet")
    soft = make_env("aisalesman/telesales-acts-v0", illegal_action="penalise", illegal_penalty=-0.5)
    soft.reset(seed=0)
    soft.step(A[SalesAct.PROPOSE_CLOSE])
    assert soft.call.components["illegal_action"] == pytest.approx(-0.5)


def test_observations_are_in_bounds_through_whole_episodes():
    env = make_env("aisalesman/telesales-acts-salesman-v0")
    rng = np.random.default_rng(0)
    for seed in range(20):
        obs, _ = env.reset(seed=seed)
        done = False
        while not done:
            assert env.observation_space.contains(obs)
            action = int(rng.choice(np.flatnonzero(obs["action_mask"])))
            obs, reward, term, trunc, info = env.step(action)
            done = term or trunc
        assert info["termination_reason"]


def test_embedded_persona_customer_rewards_a_sensible_policy_over_closing_at_once():
    """Strategy matters at the act level too: a needs-first policy earns more than rushing."""
    env = make_env("aisalesman/telesales-acts-salesman-v0", personas="test")
    plan = [SalesAct.GREET, SalesAct.ASK_NEED, SalesAct.BUSINESS_ANALYSIS, SalesAct.PRESENT_PRODUCT, SalesAct.EVIDENCE]

    def run(sensible):
        total = 0.0
        for seed in range(150):
            obs, _ = env.reset(seed=seed)
            step, done = 0, False
            while not done:
                mask = obs["action_mask"]
                if mask[A[SalesAct.HONOUR_DNC]]:
                    act = SalesAct.HONOUR_DNC
                elif mask[A[SalesAct.HANDLE_OBJECTION]]:
                    act = SalesAct.HANDLE_OBJECTION
                elif sensible and step < len(plan):
                    act = plan[step]
                elif step == 0:
                    act = SalesAct.GREET
                else:
                    act = SalesAct.PROPOSE_CLOSE
                step += 1
                obs, r, term, trunc, _ = env.step(A[act])
                total += r
                done = term or trunc
        return total

    assert run(sensible=True) > run(sensible=False)
