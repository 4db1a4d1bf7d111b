"""The act tables every role shares: customer moves, decision precedence and act orders.

One copy of each, so that the environment, the customers, the agents and the reports cannot
disagree about which decision wins, in what order a turn's acts are listed, or which act is a
turn's intent.

- :class:`CustomerMove`: what a customer reply means at the act level (``greet``,
  ``accept_sale``, ``objection:price``, ...). The built-in customer speaks in moves, the
  act-level environment uses them as the customer's discrete actions (in
  :data:`CUSTOMER_MOVES` order, which trained checkpoints depend on), and the act-level state
  encoder observes them.
- :data:`DECISION_PRECEDENCE`: which call-ending customer act wins when a turn performs several.
- :data:`SALES_ORDER` / :data:`CUSTOMER_ORDER`: the canonical order of a turn's recognised acts
  (the enums' own order).
- :data:`PRIMARY_ORDER`: which of a salesman turn's acts is its intent (the stage machine's
  default ``primary_order``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aisalesman.core.types import CustomerAct, CustomerDecision, ObjectionType, SalesAct, StrEnum

__all__ = [
    "ACT_DECISION",
    "CUSTOMER_MOVES",
    "CUSTOMER_ORDER",
    "DECISION_PRECEDENCE",
    "PRIMARY_ORDER",
    "SALES_ORDER",
    "CustomerMove",
    "decision_act",
    "sort_customer_acts",
    "sort_sales_acts",
]

_OBJECTION_PREFIX = "objection:"


class CustomerMove(StrEnum):
    """What a customer reply means at the act level. The order is the act-level action index.

    Objection moves keep the values ``objection:<type>`` that transcripts and corpora store.
    """

    GREET = "greet"
    GIVE_INFO = "give_info"
    SHOW_INTEREST = "show_interest"
    RESOLVED = "resolved"
    NEUTRAL = "neutral"
    QUESTION = "question"
    HESITATION = "hesitation"
    ACCEPT_SALE = "accept_sale"
    ACCEPT_APPOINTMENT = "accept_appointment"
    REJECT = "reject"
    HANG_UP = "hang_up"
    REQUEST_DNC = "request_dnc"
    OBJECTION_PRICE = "objection:price"
    OBJECTION_NO_NEED = "objection:no_need"
    OBJECTION_TRUST = "objection:trust"
    OBJECTION_TIMING = "objection:timing"
    OBJECTION_COMPETITOR = "objection:competitor"
    OBJECTION_AUTHORITY = "objection:authority"
    OBJECTION_CONTRACT = "objection:contract"

    @classmethod
    def objection_move(cls, objection: ObjectionType | str) -> CustomerMove:
        """The move that raises ``objection``."""
        return cls(_OBJECTION_PREFIX + str(ObjectionType(objection)))

    @classmethod
    def lookup(cls, value: object) -> CustomerMove | None:
        """The move whose value is ``value``, or None (a customer's free-form ``kind``, say)."""
        try:
            return cls(value)
        except ValueError:
            return None

    @property
    def objection(self) -> ObjectionType | None:
        """The objection this move raises (None for every other move)."""
        value = self.value
        return ObjectionType(value[len(_OBJECTION_PREFIX):]) if value.startswith(_OBJECTION_PREFIX) else None

    @property
    def act(self) -> CustomerAct:
        """The dialogue act a reply of this move performs."""
        return CustomerAct.RAISE_OBJECTION if self.objection is not None else _MOVE_ACT[self]


_MOVE_ACT: dict[CustomerMove, CustomerAct] = {
    CustomerMove.GREET: CustomerAct.GREET,
    CustomerMove.GIVE_INFO: CustomerAct.GIVE_INFO,
    CustomerMove.SHOW_INTEREST: CustomerAct.SHOW_INTEREST,
    CustomerMove.RESOLVED: CustomerAct.SHOW_INTEREST,
    CustomerMove.NEUTRAL: CustomerAct.SMALL_TALK,
    CustomerMove.QUESTION: CustomerAct.ASK_QUESTION,
    CustomerMove.HESITATION: CustomerAct.SMALL_TALK,
    CustomerMove.ACCEPT_SALE: CustomerAct.ACCEPT,
    CustomerMove.ACCEPT_APPOINTMENT: CustomerAct.ACCEPT,
    CustomerMove.REJECT: CustomerAct.REJECT,
    CustomerMove.HANG_UP: CustomerAct.HANG_UP,
    CustomerMove.REQUEST_DNC: CustomerAct.REQUEST_DNC,
}

#: Every customer move, in a fixed order: the customer's action index in the act-level env.
CUSTOMER_MOVES: tuple[CustomerMove, ...] = tuple(CustomerMove)

#: The call-ending customer acts, highest precedence first: a turn that asks not to be
#: called again and also rejects is a do-not-call request.
DECISION_PRECEDENCE: tuple[CustomerAct, ...] = (
    CustomerAct.REQUEST_DNC,
    CustomerAct.HANG_UP,
    CustomerAct.ACCEPT,
    CustomerAct.REJECT,
)

#: The structured decision that performs each call-ending act (the inverse of
#: :attr:`CustomerDecision.act`).
ACT_DECISION: Mapping[CustomerAct, CustomerDecision] = {d.act: d for d in CustomerDecision if d.act is not None}

#: The canonical position of each act in a turn's list of acts (the enums' order).
SALES_ORDER: Mapping[SalesAct, int] = {a: i for i, a in enumerate(SalesAct)}
CUSTOMER_ORDER: Mapping[CustomerAct, int] = {a: i for i, a in enumerate(CustomerAct)}

#: When a salesman turn performs several acts, the first of them in this list is the turn's
#: intent ("greet + introduce" is an introduction). A stage-machine file may override it.
PRIMARY_ORDER: tuple[SalesAct, ...] = (
    SalesAct.HONOUR_DNC,
    SalesAct.PROPOSE_CLOSE,
    SalesAct.SCHEDULE_FOLLOW_UP,
    SalesAct.OFFER_DISCOUNT,
    SalesAct.HANDLE_OBJECTION,
    SalesAct.OPERATIONAL_GUIDANCE,
    SalesAct.EVIDENCE,
    SalesAct.PRESENT_PRODUCT,
    SalesAct.BUSINESS_ANALYSIS,
    SalesAct.ASK_NEED,
    SalesAct.INTRODUCE,
    SalesAct.GREET,
    SalesAct.GOODBYE,
)

def sort_sales_acts(acts: Iterable[SalesAct]) -> tuple[SalesAct, ...]:
    """``acts`` in canonical order."""
    return tuple(sorted(acts, key=SALES_ORDER.__getitem__))


def sort_customer_acts(acts: Iterable[CustomerAct]) -> tuple[CustomerAct, ...]:
    """``acts`` in canonical order, each once."""
    return tuple(sorted(set(acts), key=CUSTOMER_ORDER.__getitem__))


def decision_act(acts: Iterable[str]) -> CustomerAct | None:
    """The call-ending act among ``acts`` (members or their values) with the highest precedence, if any."""
    present = set(acts)
    return next((act for act in DECISION_PRECEDENCE if act in present), None)
