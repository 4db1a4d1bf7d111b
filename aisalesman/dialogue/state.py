"""The act-level state encoder: what an act-level salesman observes, rebuilt from any transcript.

The act-level environment (``aisalesman/telesales-acts-v0``) keeps one
:class:`SalesmanActState` per call; trained policies rebuild it from text calls, and corpus
dialogues become act-level (observation, action) pairs through it, so all three see the same
vector.

Salesman vector (:data:`SALESMAN_OBS_DIM` = 47): turn fraction; the customer's last move
(one-hot over :data:`~aisalesman.dialogue.acts.CUSTOMER_MOVES`, 19); the open objection
(one-hot, 7); how often each act was used (13, count/3 capped at 1); needs mentioned,
do-not-call requested, closes/3; visible CRM features (rating/5, employees/25, log10
revenue/6, repeat rate). The legal-act mask comes from the stage machine.

**Our reconstruction**: the paper trains at the level of text; this encoding is our design.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from aisalesman.core.scenario import SalesmanView
from aisalesman.core.transcript import Turn
from aisalesman.core.types import CustomerAct, ObjectionType, Role, SalesAct
from aisalesman.dialogue.acts import CUSTOMER_MOVES, SALES_ORDER, CustomerMove
from aisalesman.dialogue.configured import env_reader
from aisalesman.dialogue.stages import default_stage_machine

if TYPE_CHECKING:
    from aisalesman.dialogue.reading import Reader

__all__ = ["SALESMAN_OBS_DIM", "SALES_ACTS", "SalesmanActState", "crm_features", "customer_move", "legal_sales_acts"]

#: The salesman's acts in action-index order.
SALES_ACTS: tuple[SalesAct, ...] = tuple(SALES_ORDER)
_ACT_INDEX = {a: i for i, a in enumerate(SALES_ACTS)}
_MOVE_INDEX = {m: i for i, m in enumerate(CUSTOMER_MOVES)}
_OBJ_INDEX = {o: i for i, o in enumerate(ObjectionType)}
_ACT_NAMES = frozenset(str(a) for a in SALES_ACTS)
SALESMAN_OBS_DIM = 1 + len(CUSTOMER_MOVES) + len(ObjectionType) + len(SALES_ACTS) + 3 + 4

# The move a customer turn's recognised acts stand for, in this precedence. It differs from
# DECISION_PRECEDENCE on purpose (a turn read as both rejecting and accepting is the move
# ``reject`` here, while the call ends in a sale): it defines the observation encoding that
# trained checkpoints and corpus-derived datasets were built with, so it must not change.
_DECISION_MOVES = ((CustomerAct.REQUEST_DNC, CustomerMove.REQUEST_DNC), (CustomerAct.HANG_UP, CustomerMove.HANG_UP),
                   (CustomerAct.REJECT, CustomerMove.REJECT), (CustomerAct.ACCEPT, CustomerMove.ACCEPT_SALE))
_OTHER_MOVES = ((CustomerAct.SHOW_INTEREST, CustomerMove.SHOW_INTEREST), (CustomerAct.GREET, CustomerMove.GREET),
                (CustomerAct.ASK_QUESTION, CustomerMove.QUESTION), (CustomerAct.GIVE_INFO, CustomerMove.GIVE_INFO))


def legal_sales_acts(*, previous: str | None, dnc_requested: bool, objection_open: bool) -> np.ndarray:
    """The salesman's legal-act mask (int8, one entry per :class:`SalesAct`) from the stage machine.

    ``previous`` is the salesman's previous intent (None on the first turn).
    """
    return default_stage_machine().mask(previous, dnc_requested=dnc_requested, objection_open=objection_open)


def crm_features(crm: Any) -> np.ndarray:
    """The visible CRM part of the salesman vector: rating/5, employees/25, log10 revenue/6, repeat rate."""
    m = crm.metrics
    revenue = m.get("monthly_revenue", 0.0)
    return np.clip(np.array([
        m.get("online_rating", 0.0) / 5.0,
        crm.employees / 25.0,
        math.log10(1.0 + revenue) / 6.0,
        m.get("repeat_rate", 0.0),
    ], dtype=np.float32), 0.0, 1.0)


def customer_move(turn: Turn) -> CustomerMove:
    """The act-level move of a customer turn: the one its simulator logged (``meta["move"]``),
    else read from its recognised acts and objection (decisions first, then an objection,
    interest, a greeting, a question, information; anything else is ``neutral``)."""
    logged = (turn.meta or {}).get("move")
    if logged in _MOVE_INDEX:
        return CustomerMove(logged)
    acts = set(turn.acts)
    for act, move in _DECISION_MOVES:
        if str(act) in acts:
            return move
    if turn.objection is not None:
        return CustomerMove.objection_move(turn.objection)
    for act, move in _OTHER_MOVES:
        if str(act) in acts:
            return move
    return CustomerMove.NEUTRAL


class SalesmanActState:
    """What the act-level salesman observes, tracked turn by turn.

    The act-level env keeps one; :meth:`from_turns` rebuilds it from any transcript (text
    calls, corpus dialogues), so a policy trained on the act-level env can act in text calls
    and corpus turns become act-level (observation, action) pairs. The needs a customer turn
    mentions are read by ``reader`` (the run's reader; the project default if None).
    """

    def __init__(self, view: SalesmanView, *, reader: str | Reader | None = None) -> None:
        self.reader = env_reader(reader)
        self.max_turns = view.max_turns
        self.static = crm_features(view.crm)
        self.last_move: CustomerMove | None = None
        self.open: ObjectionType | None = None
        self.used = np.zeros(len(SALES_ACTS), dtype=np.float32)
        self.needs: list[str] = []
        self.closes = 0
        self.previous: str | None = None
        self.dnc = False  # the customer asked not to be called again

    def salesman(self, act: int | str) -> None:
        """Count a salesman act (its index or name)."""
        idx = act if isinstance(act, int) else _ACT_INDEX[SalesAct(act)]
        self.used[idx] += 1
        self.closes += SALES_ACTS[idx] is SalesAct.PROPOSE_CLOSE
        self.previous = str(SALES_ACTS[idx])

    def customer(self, move: CustomerMove | str, text: str) -> None:
        """Record a customer move (a :class:`CustomerMove` or its value) and the needs its text mentions."""
        move = CustomerMove(move)
        self.last_move = move
        self.dnc = self.dnc or move is CustomerMove.REQUEST_DNC
        if move.objection is not None:
            self.open = move.objection
        elif move in (CustomerMove.RESOLVED, CustomerMove.SHOW_INTEREST):
            self.open = None
        for need in self.reader.read_customer(text).needs:
            if need not in self.needs:
                self.needs.append(need)

    def mask(self, dnc_requested: bool | None = None) -> np.ndarray:
        """Legal acts; ``dnc_requested`` defaults to what the tracked moves say."""
        dnc = self.dnc if dnc_requested is None else dnc_requested
        return legal_sales_acts(previous=self.previous, dnc_requested=dnc, objection_open=self.open is not None)

    def vector(self, turns: int, dnc_requested: bool | None = None) -> np.ndarray:
        dnc_requested = self.dnc if dnc_requested is None else dnc_requested
        v = np.zeros(SALESMAN_OBS_DIM, dtype=np.float32)
        v[0] = turns / self.max_turns
        o = 1
        if self.last_move is not None:
            v[o + _MOVE_INDEX[self.last_move]] = 1.0
        o += len(CUSTOMER_MOVES)
        if self.open is not None:
            v[o + _OBJ_INDEX[self.open]] = 1.0
        o += len(ObjectionType)
        v[o : o + len(SALES_ACTS)] = np.minimum(self.used / 3.0, 1.0)
        o += len(SALES_ACTS)
        v[o : o + 3] = (bool(self.needs), dnc_requested, min(self.closes / 3.0, 1.0))
        v[o + 3 :] = self.static
        return v

    def observation(self, turns: int, dnc_requested: bool | None = None) -> dict[str, np.ndarray]:
        """The salesman's act-level observation (``observation`` vector and ``action_mask``)."""
        return {"observation": self.vector(turns, dnc_requested), "action_mask": self.mask(dnc_requested)}

    def apply(self, turn: Turn) -> None:
        """Advance by one transcript turn (a salesman turn whose intent is not an act counts as none)."""
        if turn.speaker == Role.SALESMAN:
            if turn.intent in _ACT_NAMES:
                self.salesman(turn.intent)
        else:
            self.customer(customer_move(turn), turn.text)

    @classmethod
    def from_turns(cls, view: SalesmanView, turns: Sequence[Turn], *,
                   reader: str | Reader | None = None) -> SalesmanActState:
        """The state after ``turns`` (customer turns' needs read by ``reader``)."""
        state = cls(view, reader=reader)
        for turn in turns:
            state.apply(turn)
        return state
