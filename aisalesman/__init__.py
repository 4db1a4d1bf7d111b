"""AI-Salesman: a multi-agent simulation environment for reliable LLM-driven telemarketing.

After *AI-Salesman: Towards Reliable Large Language Model Driven Telemarketing*
(arXiv 2511.12133). Where the paper leaves details unspecified, this package says
"our reconstruction" in the docstring concerned.

Quick start::

    import aisalesman
    env = aisalesman.make_env("aisalesman/telesales-v0")
    agent = aisalesman.make_agent("adaptive")
"""

from aisalesman.agents import AgentTurn, SalesAgent, SalesObservation, make_agent, register
from aisalesman.core import AISalesmanError, Persona, Product, Scenario, derive_seed
from aisalesman.customers import Customer, PersonaCustomer, generate_personas, make_customer
from aisalesman.data import load_personas, load_product
from aisalesman.envs import RewardConfig, TeleSalesActEnv, TeleSalesEnv, make_env
from aisalesman.evaluation import run_benchmark, run_episode

__version__ = "0.1.0"

__all__ = [
    "AISalesmanError",
    "AgentTurn",
    "Customer",
    "Persona",
    "PersonaCustomer",
    "Product",
    "RewardConfig",
    "SalesAgent",
    "SalesObservation",
    "Scenario",
    "TeleSalesActEnv",
    "TeleSalesEnv",
    "__version__",
    "derive_seed",
    "generate_personas",
    "load_personas",
    "load_product",
    "make_agent",
    "make_customer",
    "make_env",
    "register",
    "run_benchmark",
    "run_episode",
]
