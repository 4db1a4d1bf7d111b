"""Helpers for testing code built on AI-Salesman: a tiny offline causal LM and a local
OpenAI-compatible stub server (with fault injection). Nothing here reaches the network."""
