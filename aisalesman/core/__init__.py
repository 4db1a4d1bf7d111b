"""Domain types, the registry, seeding, config schemas and errors."""

from aisalesman.core.errors import AISalesmanError, ConfigError, DataFileError, InvalidActionError, UnknownNameError
from aisalesman.core.persona import CRMView, HiddenProfile, Persona
from aisalesman.core.product import Product
from aisalesman.core.registry import Registry
from aisalesman.core.scenario import SalesmanView, Scenario
from aisalesman.core.seeding import derive_seed, make_rng
from aisalesman.core.transcript import Claim, Transcript, Turn
from aisalesman.core.types import (
    Capability,
    CustomerAct,
    Goal,
    InfoKey,
    ObjectionType,
    Outcome,
    Role,
    SalesAct,
    Segment,
    TerminationReason,
)

__all__ = [
    "AISalesmanError", "CRMView", "Capability", "Claim", "ConfigError", "CustomerAct", "DataFileError",
    "Goal", "HiddenProfile", "InfoKey", "InvalidActionError", "ObjectionType", "Outcome", "Persona",
    "Product", "Registry", "Role", "SalesAct", "SalesmanView", "Scenario", "Segment", "TerminationReason",
    "Transcript", "Turn", "UnknownNameError", "derive_seed", "make_rng",
]
