"""The shared vocabulary: dialogue acts, objection types, outcomes, termination reasons.

One dialogue-act taxonomy covers both roles. Every enum is a ``str`` enum, so its members
serialise to their values in JSON and compare equal to them.
"""

from __future__ import annotations

from enum import Enum

__all__ = [
    "Capability",
    "CustomerAct",
    "CustomerDecision",
    "Goal",
    "InfoKey",
    "ObjectionType",
    "Outcome",
    "Role",
    "SalesAct",
    "Segment",
    "StrEnum",
    "TerminationReason",
]


class StrEnum(str, Enum):
    """A ``str`` enum whose ``str()`` is its value (``enum.StrEnum`` needs Python 3.11)."""

    def __str__(self) -> str:
        return str(self.value)


class Role(StrEnum):
    SALESMAN = "salesman"
    CUSTOMER = "customer"


class SalesAct(StrEnum):
    """What a salesman turn does. The order is the act-level action index."""

    GREET = "greet"
    INTRODUCE = "introduce"
    ASK_NEED = "ask_need"
    BUSINESS_ANALYSIS = "business_analysis"
    PRESENT_PRODUCT = "present_product"
    EVIDENCE = "evidence"
    HANDLE_OBJECTION = "handle_objection"
    OFFER_DISCOUNT = "offer_discount"
    OPERATIONAL_GUIDANCE = "operational_guidance"
    PROPOSE_CLOSE = "propose_close"
    SCHEDULE_FOLLOW_UP = "schedule_follow_up"
    GOODBYE = "goodbye"
    HONOUR_DNC = "honour_dnc"


class CustomerAct(StrEnum):
    """What a customer turn does."""

    GREET = "greet"
    ASK_QUESTION = "ask_question"
    GIVE_INFO = "give_info"
    SHOW_INTEREST = "show_interest"
    RAISE_OBJECTION = "raise_objection"
    ACCEPT = "accept"
    REJECT = "reject"
    REQUEST_DNC = "request_dnc"
    HANG_UP = "hang_up"
    SMALL_TALK = "small_talk"


class CustomerDecision(StrEnum):
    """A customer's structured decision for its turn (what LLM customers return)."""

    CONTINUE = "continue"
    ACCEPT = "accept"
    REJECT = "reject"
    HANG_UP = "hang_up"
    DO_NOT_CALL = "do_not_call"

    @property
    def act(self) -> CustomerAct | None:
        """The deciding customer act, or None for ``continue``."""
        return _DECISION_ACT[self.value]

    @classmethod
    def of_act(cls, act: CustomerAct | str) -> CustomerDecision:
        """The decision a customer act makes (``continue`` for an act that decides nothing)."""
        return next((cls(d) for d, a in _DECISION_ACT.items() if a is not None and a == act), cls.CONTINUE)


_DECISION_ACT: dict[str, CustomerAct | None] = {
    "continue": None, "accept": CustomerAct.ACCEPT, "reject": CustomerAct.REJECT,
    "hang_up": CustomerAct.HANG_UP, "do_not_call": CustomerAct.REQUEST_DNC,
}


class ObjectionType(StrEnum):
    PRICE = "price"
    NO_NEED = "no_need"
    TRUST = "trust"
    TIMING = "timing"
    COMPETITOR = "competitor"
    AUTHORITY = "authority"
    CONTRACT = "contract"


class Capability(StrEnum):
    """The six sales capabilities (our reconstruction of the paper's evaluation axes).

    Which intent exercises which is data: ``dialogue/data/stage_machine.yaml``.
    """

    OPENING = "opening"
    PRODUCT_INTRODUCTION = "product_introduction"
    BUSINESS_ANALYSIS = "business_analysis"
    OBJECTION_HANDLING = "objection_handling"
    OPERATIONAL_GUIDANCE = "operational_guidance"
    CLOSING = "closing"


class Segment(StrEnum):
    """How receptive a persona is, from hot to hostile."""

    HOT = "hot"
    WARM = "warm"
    NEUTRAL = "neutral"
    COLD = "cold"
    HOSTILE = "hostile"


class Goal(StrEnum):
    SALE = "sale"
    APPOINTMENT = "appointment"


class Outcome(StrEnum):
    SALE = "sale"
    APPOINTMENT = "appointment"
    NO_CONVERSION = "no_conversion"


class TerminationReason(StrEnum):
    """Why a call ended. ``INFRA_ERROR`` is never counted as an agent failure."""

    SALE = "sale"
    APPOINTMENT = "appointment"
    REJECTED = "rejected"
    HUNG_UP = "hung_up"
    DNC_HONOURED = "dnc_honoured"
    DNC_VIOLATED = "dnc_violated"
    SALESMAN_ENDED = "salesman_ended"
    MAX_TURNS = "max_turns"
    INFRA_ERROR = "infra_error"


class InfoKey(StrEnum):
    """Keys of the ``info`` dicts the environments return."""

    TERMINATION_REASON = "termination_reason"
    OUTCOME = "outcome"
    REWARD_COMPONENTS = "reward_components"
    TURN = "turn"
