"""Helpers for testing code built on AI-Salesman: the conformance checks for agents,
customers and chat-model backends, a tiny offline causal LM and a local
OpenAI-compatible stub server (with fault injection). Nothing here reaches the network."""

from aisalesman.testing.agents import AgentCheckError, check_agent
from aisalesman.testing.chat_models import ChatModelCheckError, check_chat_model
from aisalesman.testing.customers import CustomerCheckError, check_customer

__all__ = ["AgentCheckError", "ChatModelCheckError", "CustomerCheckError", "check_agent", "check_chat_model",
           "check_customer"]
