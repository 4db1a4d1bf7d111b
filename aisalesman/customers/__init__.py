"""Simulated customers: the persona bank generator and the built-in persona customer."""

from aisalesman.customers.base import Customer, CustomerObservation, CustomerReply, customers, make_customer
from aisalesman.customers.generator import generate_personas
from aisalesman.customers.persona_customer import PersonaCustomer

customers.register("llm", "aisalesman.customers.llm_customer:LLMCustomer")

__all__ = [
    "Customer",
    "CustomerObservation",
    "CustomerReply",
    "PersonaCustomer",
    "customers",
    "generate_personas",
    "make_customer",
]
