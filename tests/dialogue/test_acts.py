"""The shared act tables: customer moves, decision precedence, act orders."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import yaml

from aisalesman.core.scenario import Scenario
from aisalesman.core.types import CustomerAct, CustomerDecision, ObjectionType, SalesAct
from aisalesman.customers.replies import CustomerRealiser
from aisalesman.dialogue.acts import (
    ACT_DECISION,
    CUSTOMER_MOVES,
    DECISION_PRECEDENCE,
    PRIMARY_ORDER,
    CustomerMove,
    decision_act,
    sort_customer_acts,
    sort_sales_acts,
)
from aisalesman.dialogue.lexicon import read_customer
from aisalesman.dialogue.stages import StageMachine, default_stage_machine

SHIPPED = Path(__file__).parents[2] / "aisalesman" / "dialogue" / "data" / "stage_machine.yaml"

# The act-level env's customer action indices: trained checkpoints depend on this exact order.
_RELEASED_MOVES = [
    "greet", "give_info", "show_interest", "resolved", "neutral", "question", "hesitation", "accept_sale",
    "accept_appointment", "reject", "hang_up", "request_dnc", "objection:price", "objection:no_need",
    "objection:trust", "objection:timing", "objection:competitor", "objection:authority", "objection:contract",
]


def test_move_order_and_values_are_the_released_ones() -> None:
    assert [m.value for m in CUSTOMER_MOVES] == _RELEASED_MOVES
    assert CUSTOMER_MOVES == tuple(CustomerMove)


@pytest.mark.parametrize("objection", list(ObjectionType))
def test_objection_moves_round_trip(objection: ObjectionType) -> None:
    move = CustomerMove.objection_move(objection)
    assert move.objection is objection and move.act is CustomerAct.RAISE_OBJECTION
    assert CustomerMove.objection_move(str(objection)) is move
    assert move == f"objection:{objection}"  # serialised as before


def test_other_moves_raise_no_objection() -> None:
    plain = [m for m in CustomerMove if m.objection is None]
    assert len(plain) == len(CustomerMove) - len(ObjectionType)
    assert CustomerMove.ACCEPT_SALE.act is CustomerAct.ACCEPT and CustomerMove.RESOLVED.act is CustomerAct.SHOW_INTEREST
    with pytest.raises(ValueError):
        CustomerMove.objection_move("weather")
    assert CustomerMove.lookup("hang_up") is CustomerMove.HANG_UP
    assert CustomerMove.lookup("objection:weather") is None and CustomerMove.lookup(None) is None


def test_replies_carry_plain_move_values(product, persona) -> None:
    voice = CustomerRealiser(Scenario(persona, product), random.Random(0))
    for move in (CustomerMove.OBJECTION_PRICE, "give_info"):
        reply = voice.say(move)
        assert type(reply.kind) is str and type(reply.meta["move"]) is str
        assert json.dumps(reply.meta) == json.dumps({"move": str(move)})


def test_decision_precedence() -> None:
    assert decision_act(["reject", "request_dnc"]) is CustomerAct.REQUEST_DNC
    assert decision_act((CustomerAct.REJECT, CustomerAct.ACCEPT)) is CustomerAct.ACCEPT
    assert decision_act(["hang_up", "accept"]) is CustomerAct.HANG_UP
    assert decision_act(["greet", "ask_question"]) is None
    text = "No thanks, not interested. Please don't call me again."
    assert read_customer(text).decision is decision_act(read_customer(text).acts) is CustomerAct.REQUEST_DNC
    assert {ACT_DECISION[a] for a in DECISION_PRECEDENCE} == set(CustomerDecision) - {CustomerDecision.CONTINUE}
    assert all(ACT_DECISION[a].act is a for a in DECISION_PRECEDENCE)


def test_canonical_orders_are_the_enum_orders() -> None:
    assert sort_sales_acts([SalesAct.GOODBYE, SalesAct.GREET]) == (SalesAct.GREET, SalesAct.GOODBYE)
    assert sort_customer_acts([CustomerAct.ACCEPT, CustomerAct.GREET, CustomerAct.ACCEPT]) == (
        CustomerAct.GREET, CustomerAct.ACCEPT)


def test_the_stage_machine_uses_the_shared_primary_order(tmp_path: Path) -> None:
    assert sorted(PRIMARY_ORDER) == sorted(SalesAct)
    m = default_stage_machine()
    for i, first in enumerate(PRIMARY_ORDER):
        assert m.primary([str(a) for a in PRIMARY_ORDER[i:]]) == first
    spec = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert "primary_order" not in spec  # the shipped file relies on the shared table
    spec["primary_order"] = [str(a) for a in reversed(PRIMARY_ORDER)]  # a user file may still override it
    path = tmp_path / "reversed.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    assert StageMachine.load(path).primary(["greet", "introduce"]) == "greet"
