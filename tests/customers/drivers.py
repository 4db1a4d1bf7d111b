"""Feeding salesman text to a persona customer turn by turn (shared by the customer tests)."""

from __future__ import annotations

import random

from aisalesman.core.scenario import Scenario
from aisalesman.core.transcript import Turn
from aisalesman.core.types import Role
from aisalesman.customers.base import CustomerObservation
from aisalesman.customers.persona_customer import PersonaCustomer
from aisalesman.dialogue.configured import env_reader
from aisalesman.dialogue.realiser import TemplateRealiser

__all__ = ["Driver", "with_hidden"]


class Driver:
    """Feeds salesman text to a fresh persona customer (reading with the default reader) and returns its replies.

    ``fx`` replaces the customer's effect table (to test one rule in isolation).
    """

    def __init__(self, persona, product, *, fx=None, seed=0):
        self.scenario = Scenario(persona, product)
        self.customer = PersonaCustomer()
        if fx is not None:
            self.customer._fx = fx
        self.customer.reset(self.scenario, seed=seed)
        self.reader = env_reader()  # the default, as in an env built without one
        self.realiser = TemplateRealiser(self.scenario.salesman_view(), random.Random(seed))
        self.turns: list[Turn] = []

    def say(self, text):
        claims = self.reader.claims(text, self.scenario.product)
        self.turns.append(Turn(len(self.turns), Role.SALESMAN, text, claims=claims))
        reply = self.customer.respond(CustomerObservation(self.scenario, tuple(self.turns), self.reader))
        self.turns.append(Turn(len(self.turns), Role.CUSTOMER, reply.text, objection=reply.objection))
        return reply

    def act(self, *acts, **kw):
        return self.say(self.realiser.realise(acts, **kw))

    @property
    def state(self):
        return self.customer.state


def with_hidden(persona, **hidden):
    """A validated copy of ``persona`` with some hidden fields changed."""
    data = persona.model_dump(mode="json")
    data["hidden"].update(hidden)
    return type(persona).model_validate(data)
