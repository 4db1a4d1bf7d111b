"""The ``llm`` reader: JSON replies validated, repaired once, else read by the fallback and counted."""

from __future__ import annotations

import json

import pytest

from aisalesman.core.errors import ConfigError, LLMError
from aisalesman.core.llm.base import ChatRequest
from aisalesman.core.llm.scripted import ScriptedChatModel
from aisalesman.core.types import CustomerAct, ObjectionType, SalesAct
from aisalesman.data import load_product
from aisalesman.dialogue.readers.llm import LLMReader, first_json_object, need_keys
from aisalesman.dialogue.reading import CustomerReading, SalesReading, make_reader

SALES = json.dumps({"acts": ["greet", "introduce"], "answers": [], "needs": []})
CUSTOMER = json.dumps({"acts": ["raise_objection"], "objection": "price", "decision": "none", "needs": ["lower_bills"]})
HI = "Hi, this is Sam from Bistro Boost."
PRICEY = "That sounds far too expensive for us, our bills are already high."


def reader(replies=None, responder=None, **kw) -> tuple[LLMReader, ScriptedChatModel]:
    model = ScriptedChatModel(replies=replies, responder=responder)
    return LLMReader(model, fallback="lexicon", **kw), model


def test_a_valid_reply_is_used_without_the_fallback():
    r, model = reader([SALES])
    assert r.read_salesman("Good morning, I'm Sam calling from Bistro Boost?") == SalesReading.of(["greet", "introduce"])
    assert r.stats()["llm_calls"] == 1 and r.fallbacks == 0 and r.stats()["llm_repairs"] == 0
    system, user = model.last_request.messages
    assert system["role"] == "system" and "salesman" in system["content"]
    assert "Good morning, I'm Sam calling from Bistro Boost?" in user["content"] and '"acts"' in user["content"]


def test_a_customer_reply_gives_acts_objection_decision_and_needs():
    r, _ = reader([CUSTOMER])
    got = r.read_customer(PRICEY)
    assert got == CustomerReading.of([CustomerAct.RAISE_OBJECTION], ObjectionType.PRICE, ["lower_bills"])
    r2, _ = reader([json.dumps({"acts": ["reject", "show_interest"], "objection": "none", "decision": "hang up"})])
    got = r2.read_customer("Not interested. Bye.")
    assert got.decision_name == "hang_up" and CustomerAct.REJECT not in got.acts  # the decision decides


def test_prose_and_fences_around_the_json_are_skipped():
    r, _ = reader([f"Sure! Here is the {{labels}} you asked for:\n```json\n{SALES}\n```\nHope this helps."])
    assert r.read_salesman(HI).acts == (SalesAct.GREET, SalesAct.INTRODUCE)
    assert r.fallbacks == 0 and r.repairs == 0


def test_an_invalid_reply_is_repaired_once_with_the_problem_in_the_request():
    r, model = reader(["I think this is a greeting.", SALES])
    assert r.read_salesman(HI).acts == (SalesAct.GREET, SalesAct.INTRODUCE)
    assert (r.stats()["llm_calls"], r.stats()["llm_repairs"], r.stats()["llm_fallbacks"]) == (2, 1, 0)
    msgs = model.last_request.messages
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    assert msgs[2]["content"] == "I think this is a greeting."
    assert "no JSON object found" in msgs[3]["content"] and "only the JSON object" in msgs[3]["content"]
    assert "\n" not in msgs[3]["content"].splitlines()[0]


def test_twice_invalid_falls_back_and_is_counted():
    bad = json.dumps({"acts": ["dance", "juggle"]})  # unknown acts only: no known act
    r, model = reader([bad])
    lexicon = make_reader("lexicon")
    assert r.read_customer(PRICEY) == lexicon.read_customer(PRICEY)
    assert r.fallbacks == 1 and r.stats()["llm_fallbacks"] == 1 and r.stats()["llm_calls"] == 2
    assert "field acts: " in model.last_request.messages[-1]["content"]
    r.read_customer(PRICEY)  # cached: no new call, no new fallback
    assert r.stats()["llm_calls"] == 2 and r.fallbacks == 1


def test_a_failing_chat_model_falls_back_without_a_repair():
    def broken(request: ChatRequest) -> str:
        raise LLMError("server down")

    r, _ = reader(responder=broken)
    assert r.read_salesman_batch([HI, "Goodbye!"]) == make_reader("lexicon").read_salesman_batch([HI, "Goodbye!"])
    assert (r.calls, r.repairs, r.fallbacks, r.errors) == (2, 0, 2, 2)


def test_a_batch_is_one_round_of_requests_and_only_bad_replies_are_repaired():
    def by_text(request: ChatRequest) -> str:
        if len(request.messages) > 2:
            return SALES
        return SALES if "Sam" in request.messages[1]["content"] else "no idea"

    r, _ = reader(responder=by_text)
    out = r.read_salesman_batch([HI, "Shall we get you signed up today?", HI])
    assert out[0] == out[1] == out[2] == SalesReading.of(["greet", "introduce"])
    assert (r.calls, r.repairs, r.fallbacks) == (3, 1, 0)  # two distinct texts, one repair


@pytest.mark.parametrize("reply", [
    "x" * 2_000_000,
    "{" * 100_000,
    '{"acts": ' + "[" * 50_000 + "]" * 50_000 + "}",
    '{"a": ' * 5000 + "1" + "}" * 5000,
    "[1, 2, 3]",
    '{"acts": "greet", "answers": 7, "needs": {"x": 1}}',
    '{"acts": [null, 3, {"greet": 1}], "answers": ["price"]}',
    '{"acts": ["greet"], "answers": ["price"], "needs": ["world_peace"]}',
    '{"acts": ["greet"', "\x00\ufffd\ud800",
])
def test_hostile_replies_never_crash(reply):
    r, _ = reader([reply])
    s = r.read_salesman(HI)
    c = r.read_customer(PRICEY)
    assert isinstance(s, SalesReading) and isinstance(c, CustomerReading)
    assert all(isinstance(a, SalesAct) for a in s.acts) and set(s.needs) <= set(need_keys())


def test_unknown_names_are_dropped_but_an_unknown_objection_is_invalid():
    r, _ = reader(['{"acts": ["greet", "dance"], "answers": ["price"], "needs": ["world_peace", "save_time"]}'])
    assert r.read_salesman(HI) == SalesReading.of(["greet"], (), ["save_time"]) and r.repairs == 0
    r2, _ = reader(['{"acts": ["raise_objection"], "objection": "smell", "decision": "none"}', CUSTOMER])
    assert r2.read_customer(PRICEY).objection == ObjectionType.PRICE and r2.repairs == 1


def test_requests_and_readings_are_deterministic():
    seen: list[ChatRequest] = []

    def echo(request: ChatRequest) -> str:
        seen.append(request)
        acts = ["greet"] if request.params.seed % 2 else ["goodbye"]
        return json.dumps({"acts": acts})

    texts = [HI, "Thanks, goodbye.", "What is your biggest problem?"]
    a, _ = reader(responder=echo, seed=7)
    first = a.read_salesman_batch(texts)
    b, _ = reader(responder=echo, seed=7)
    second = [b.read_salesman(t) for t in reversed(texts)][::-1]  # other order, one at a time
    assert first == second
    assert sorted(map(repr, seen[:3])) == sorted(map(repr, seen[3:]))
    assert all(req.params.temperature == 0.0 for req in seen)
    c, _ = reader(responder=echo, seed=8)
    c.read_salesman_batch(texts)
    assert {r.params.seed for r in seen[6:]} != {r.params.seed for r in seen[:3]}


def test_claims_come_from_the_fallback_reader():
    r, model = reader([SALES])
    product = load_product("bistro-boost")
    text = "Starter is twenty-nine dollars a month."
    assert r.claims(text, product) == make_reader("lexicon").claims(text, product)
    assert model.stats.calls == 0


def test_first_json_object_gives_one_line_problems():
    assert first_json_object('a {b} {"acts": []} {"x": 1}') == {"acts": []}
    with pytest.raises(ValueError, match="cut off"):
        first_json_object('{"acts": ["greet"')
    with pytest.raises(ValueError, match="no JSON object"):
        first_json_object("[1]")


def test_make_reader_without_a_chat_model_says_what_is_needed():
    with pytest.raises(ConfigError, match="needs a chat model") as err:
        make_reader("llm")
    assert "--backend" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="itself"):
        LLMReader(ScriptedChatModel(), fallback="llm")


def test_every_act_is_defined_in_its_prompt():
    from aisalesman.core.prompts import PromptSet

    prompts = PromptSet("aisalesman.dialogue")
    sales = prompts.render("reader_salesman.md", text="x", problem="p", needs="n")
    customer = prompts.render("reader_customer.md", text="x", problem="p", needs="n")
    assert all(f"\n{a}: " in sales for a in SalesAct) and all(f"\n{a}: " in customer for a in CustomerAct)
    assert all(str(o) in sales and str(o) in customer for o in ObjectionType)
