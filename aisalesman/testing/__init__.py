"""Helpers for testing code built on AI-Salesman: the agent conformance check, a tiny
offline causal LM and a local OpenAI-compatible stub server (with fault injection).
Nothing here reaches the network."""

from aisalesman.testing.agents import AgentCheckError, check_agent

__all__ = ["AgentCheckError", "check_agent"]
