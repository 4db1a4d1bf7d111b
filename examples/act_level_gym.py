"""The act-level Gymnasium env: a masked random policy against a needs-first heuristic.

This is the view RL libraries train on: a numeric observation, a discrete act, and a mask
of legal acts. Run: python examples/act_level_gym.py
"""

import gymnasium
import numpy as np

import aisalesman  # noqa: F401  (registers the envs with Gymnasium)
from aisalesman.core.types import SalesAct
from aisalesman.dialogue.state import SALES_ACTS

INDEX = {act: i for i, act in enumerate(SALES_ACTS)}
PLAN = [SalesAct.GREET, SalesAct.ASK_NEED, SalesAct.BUSINESS_ANALYSIS, SalesAct.PRESENT_PRODUCT, SalesAct.EVIDENCE]


def heuristic(obs, step):
    mask = obs["action_mask"]
    for act in (SalesAct.HONOUR_DNC, SalesAct.HANDLE_OBJECTION):
        if mask[INDEX[act]]:
            return INDEX[act]
    return INDEX[PLAN[step]] if step < len(PLAN) else INDEX[SalesAct.PROPOSE_CLOSE]


def masked_random(obs, step, rng=np.random.default_rng(0)):
    return int(rng.choice(np.flatnonzero(obs["action_mask"])))


env = gymnasium.make("aisalesman/telesales-acts-salesman-v0", personas="dev")
for name, policy in (("masked random", masked_random), ("needs-first heuristic", heuristic)):
    returns, sales = [], 0
    for seed in range(300):
        obs, info = env.reset(seed=seed)
        total, step, done = 0.0, 0, False
        while not done:
            obs, reward, terminated, truncated, info = env.step(policy(obs, step))
            total, step, done = total + reward, step + 1, terminated or truncated
        returns.append(total)
        sales += info["outcome"] == "sale"
    print(f"{name:>22}: mean return {np.mean(returns):+.3f}, sales {sales}/300")
