"""Sales-call environments: PettingZoo (text and act level) and Gymnasium single-agent views."""

from aisalesman.envs.act_level import TeleSalesActEnv
from aisalesman.envs.call import RewardConfig, RewardModel, SalesCall
from aisalesman.envs.registry import EnvSpec, envs, make_env
from aisalesman.envs.single_agent import SalesmanEnv
from aisalesman.envs.spaces import UnicodeText
from aisalesman.envs.telesales import ScenarioPool, TeleSalesEnv, TeleSalesParallelEnv

__all__ = [
    "EnvSpec",
    "RewardConfig",
    "RewardModel",
    "SalesCall",
    "SalesmanEnv",
    "ScenarioPool",
    "TeleSalesActEnv",
    "TeleSalesEnv",
    "TeleSalesParallelEnv",
    "UnicodeText",
    "envs",
    "make_env",
]
