"""Salesman agents: the protocol, the registry and the baselines.

Register your own with ``@aisalesman.agents.register("name")`` or the ``aisalesman.agents``
entry-point group, then use it by name: ``make_agent("name")`` or
``aisalesman benchmark --agents name``.
"""

from aisalesman.agents.base import AgentTurn, SalesAgent, SalesObservation, agents, make_agent, register
from aisalesman.agents.baselines import AdaptiveAgent, FlawedAgent, RandomAgent, ScriptedAgent
from aisalesman.dialogue.realiser import TemplateRealiser

agents.register("llm", "aisalesman.agents.llm_salesman:LLMSalesman")
agents.register("doga", "aisalesman.agents.doga:DOGAAgent")
# checks the checkpoint and the train extra, then imports RLlib (training sits above agents: lazy)
agents.register("rllib", "aisalesman.training.policy_agent:rllib_agent")

__all__ = [
    "AdaptiveAgent",
    "AgentTurn",
    "FlawedAgent",
    "RandomAgent",
    "SalesAgent",
    "SalesObservation",
    "ScriptedAgent",
    "TemplateRealiser",
    "agents",
    "make_agent",
    "register",
]
