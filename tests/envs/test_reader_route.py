"""One configured reader, end to end: readers registered here, each hearing one thing no real
reader would, are passed as ``reader=`` and change what the env, the persona customer, the
anchored LLM customer, the adaptive agent, DOGA and the metrics see.

Each test also runs the default reader on the same call, so it shows the difference is the
reader's and that the component did not read with a reader of its own.
"""

from __future__ import annotations

import json

import pytest

from aisalesman.agents.base import make_agent
from aisalesman.core.config import BenchmarkConfig, load_config
from aisalesman.core.errors import ConfigError, UnknownNameError
from aisalesman.core.llm.scripted import ScriptedChatModel
from aisalesman.core.scenario import Scenario
from aisalesman.core.transcript import Claim
from aisalesman.core.types import CustomerAct, SalesAct
from aisalesman.customers.base import CustomerObservation
from aisalesman.customers.llm_customer import LLMCustomer
from aisalesman.customers.persona_customer import PersonaCustomer
from aisalesman.dialogue.observation import SalesObservation
from aisalesman.dialogue.reading import CustomerReading, ReaderBase, SalesReading, make_reader, readers
from aisalesman.envs.registry import make_env
from aisalesman.envs.single_agent import SalesmanEnv
from aisalesman.envs.telesales import ScenarioPool, TeleSalesEnv, TeleSalesParallelEnv
from aisalesman.evaluation.benchmark import run_benchmark
from aisalesman.evaluation.fidelity import fidelity_stats
from aisalesman.evaluation.runner import EpisodeSpec, run_episode

LEX = make_reader("lexicon")


class _Twisted(ReaderBase):
    """Reads like the lexicon except where a subclass says otherwise."""

    name = "test-twisted"

    def _salesman(self, texts):
        return LEX.read_salesman_batch(texts)

    def _customer(self, texts):
        return LEX.read_customer_batch(texts)

    def claims(self, text, product, *, plan=None):
        return LEX.claims(text, product)


class HearsHonourDNC(_Twisted):
    """Every salesman turn honours a do-not-call request (and so ends the call)."""

    name = "test-hears-honour-dnc"

    def _salesman(self, texts):
        return [SalesReading.of([SalesAct.HONOUR_DNC]) for _ in texts]


class HearsClose(_Twisted):
    """Every salesman turn asks for the sale."""

    name = "test-hears-close"

    def _salesman(self, texts):
        return [SalesReading.of([SalesAct.PROPOSE_CLOSE]) for _ in texts]


class HearsPitch(_Twisted):
    """Every utterance, read as a salesman's, pitches the product."""

    name = "test-hears-pitch"

    def _salesman(self, texts):
        return [SalesReading.of([SalesAct.PRESENT_PRODUCT]) for _ in texts]


class HearsDNCRequest(_Twisted):
    """Every customer turn asks not to be called again."""

    name = "test-hears-dnc-request"

    def _customer(self, texts):
        return [CustomerReading.of([CustomerAct.REQUEST_DNC]) for _ in texts]


class HearsPriceObjection(_Twisted):
    """Every customer turn objects to the price."""

    name = "test-hears-price-objection"

    def _customer(self, texts):
        return [CustomerReading.of([CustomerAct.RAISE_OBJECTION], "price") for _ in texts]


class HearsAccept(_Twisted):
    """Every customer turn accepts the offer."""

    name = "test-hears-accept"

    def _customer(self, texts):
        return [CustomerReading.of([CustomerAct.ACCEPT]) for _ in texts]


class HearsNeed(_Twisted):
    """Every customer turn mentions the need for more customers."""

    name = "test-hears-need"

    def _customer(self, texts):
        return [CustomerReading.of(r.acts, r.objection, ("more_customers",)) for r in LEX.read_customer_batch(texts)]


class HearsOnlyLies(_Twisted):
    """Every sentence makes a false claim."""

    name = "test-hears-only-lies"

    def claims(self, text, product, *, plan=None):
        return (Claim("feature", "made_up", "asserted", False),)


TEST_READERS = (HearsPriceObjection, HearsAccept, HearsHonourDNC, HearsClose, HearsPitch, HearsDNCRequest, HearsNeed,
                HearsOnlyLies)


@pytest.fixture(scope="module", autouse=True)
def _registered():
    """The test readers, registered by name for this module only."""
    for cls in TEST_READERS:
        readers.register(cls.name, cls, overwrite=True)
    yield
    for cls in TEST_READERS:
        readers._entries.pop(cls.name, None)  # the registry has no public removal: tests only


@pytest.fixture
def call(persona, product):
    return Scenario(persona, product)


def _env(scenario, **kw) -> TeleSalesEnv:
    env = TeleSalesEnv(ScenarioPool([scenario.persona], [scenario.product]), **kw)
    env.reset(seed=1, options={"scenario": scenario})
    return env


# --------------------------------------------------------------------------- the environment
def test_the_env_reads_every_utterance_with_its_reader(call):
    default, twisted = _env(call), _env(call, reader="test-hears-honour-dnc")
    for env in (default, twisted):
        env.step("Hello, this is Jordan from Tastemark. Have you got a minute?")
    assert not default.call.done and default.call.turns[0].acts == ("greet", "introduce")
    assert twisted.call.done and twisted.call.reason == "salesman_ended"
    assert twisted.call.turns[0].acts == ("honour_dnc",) and twisted.infos["salesman"]["turn"].acts == ("honour_dnc",)
    assert twisted.salesman_observation().reader.name == "test-hears-honour-dnc"
    assert twisted.customer_observation().reader is twisted.reader is twisted.call.reader


def test_every_env_view_takes_a_reader(persona, product):
    kw = {"personas": [persona], "products": [product]}
    parallel = make_env("aisalesman/telesales-v0", parallel=True, reader="test-hears-honour-dnc", **kw)
    parallel.reset(seed=0)
    *_, infos = parallel.step({"salesman": "Hello!", "customer": None})
    assert infos["salesman"]["termination_reason"] == "salesman_ended"
    wrapped = TeleSalesParallelEnv(make_env("aisalesman/telesales-v0", **kw), reader="test-hears-honour-dnc")
    assert wrapped.reader.name == "test-hears-honour-dnc"
    # the built-in customer's own reply is recorded as the reader reads it (its decision aside)
    gym = make_env("aisalesman/telesales-salesman-v0", reader="test-hears-price-objection", **kw)
    gym.reset(seed=0)
    gym.step("Hello, this is Jordan from Tastemark.")
    assert gym.env.call.turns[1].objection == "price" and gym.reader.name == "test-hears-price-objection"
    replaced = SalesmanEnv(TeleSalesEnv(ScenarioPool([persona], [product])), reader="test-hears-price-objection")
    replaced.reset(seed=0)
    replaced.step("Hello, this is Jordan from Tastemark.")
    assert replaced.env.call.turns[1].objection == "price"
    default = make_env("aisalesman/telesales-salesman-v0", **kw)
    default.reset(seed=0)
    default.step("Hello, this is Jordan from Tastemark.")
    assert default.env.call.turns[1].objection is None


def test_the_act_level_env_hears_needs_through_its_reader(persona, product):
    kw = {"personas": [persona], "products": [product]}
    needs_flag = {}
    for name in (None, "test-hears-need"):
        env = make_env("aisalesman/telesales-acts-v0", reader=name, **kw)
        env.reset(seed=0)
        env.step(0)  # greet
        env.step(0)  # the customer greets back
        needs_flag[name] = (list(env.state.needs), env.reader.name)
    assert needs_flag[None] == ([], "lexicon")
    assert needs_flag["test-hears-need"] == (["more_customers"], "test-hears-need")


def test_a_bad_reader_fails_at_construction(persona, product):
    with pytest.raises(ConfigError, match="reader must be"):
        TeleSalesEnv(ScenarioPool([persona], [product]), reader=42)
    with pytest.raises(UnknownNameError, match="did you mean 'lexicon'"):
        make_env("aisalesman/telesales-v0", reader="lexicn")


# --------------------------------------------------------------------------- the customers
def test_the_persona_customer_hears_the_salesman_through_the_env_reader(call):
    greetings = {}
    for name in (None, "test-hears-close"):
        env, customer = _env(call, reader=name), PersonaCustomer()
        customer.reset(call, seed=3)
        env.step("Hello, this is Jordan from Tastemark.")
        env.play_customer(customer)
        greetings[name] = customer.state.closes
    assert greetings == {None: 0, "test-hears-close": 1}  # it heard a close, though the words were a greeting
    # given the same turns without a reader (outside an env), it falls back to the default reader
    env = _env(call, reader="test-hears-close")
    env.step("Hello, this is Jordan from Tastemark.")
    alone = PersonaCustomer()
    alone.reset(call, seed=3)
    reply = alone.respond(CustomerObservation(call, tuple(env.call.turns)))
    assert reply.kind == "greet" and alone.state.closes == 0


def test_the_anchored_llm_customer_hears_the_salesman_through_the_env_reader(call):
    closes = {}
    for name in (None, "test-hears-close"):
        env = _env(call, reader=name)
        customer = LLMCustomer(ScriptedChatModel(), mode="anchored")
        customer.reset(call, seed=3)
        env.step("Hello, this is Jordan from Tastemark.")
        env.play_customer(customer)
        closes[name] = (customer._anchor.state.closes, env.call.turns[-1].meta["anchor"])
    assert closes[None] == (0, "greet")
    assert closes["test-hears-close"][0] == 1 and closes["test-hears-close"][1] != "greet"


# --------------------------------------------------------------------------- the agents
def test_the_adaptive_agent_listens_through_the_env_reader(persona, product):
    ends = {}
    for agent in ("adaptive", "scripted"):
        t = run_episode(EpisodeSpec(0, agent, persona, product, 0, 5, reader="test-hears-dnc-request"))
        ends[agent] = (t.termination_reason, len(t.turns), t.turns[2].acts)
    # the reader hears the customer's first reply as a do-not-call request; the adaptive agent, reading
    # with the env's reader, honours it at once and ends the call; the scripted agent does not listen.
    # The built-in customer never asked (its decision is its own, not read), so nobody violated anything.
    assert ends["adaptive"][:2] == ("salesman_ended", 3) and "honour_dnc" in ends["adaptive"][2]
    assert ends["scripted"][0] != "dnc_violated" and "honour_dnc" not in ends["scripted"][2]
    default = run_episode(EpisodeSpec(0, "adaptive", persona, product, 0, 5))
    assert "request_dnc" not in default.turns[1].acts and len(default.turns) > 3


def test_the_adaptive_agent_outside_an_env_uses_the_default(call):
    env = _env(call, reader="test-hears-dnc-request")
    env.step("Hello, this is Jordan from Tastemark.")
    env.step("Yes? Who is this?")
    agent = make_agent("adaptive")
    agent.reset(call.salesman_view(), seed=0)
    turns = tuple(env.call.turns)
    assert agent.act(SalesObservation(call.salesman_view(), turns, env.reader)).acts == (SalesAct.HONOUR_DNC,)
    agent.reset(call.salesman_view(), seed=0)
    assert SalesAct.HONOUR_DNC not in agent.act(SalesObservation(call.salesman_view(), turns)).acts


def test_doga_checks_its_outlines_with_the_env_reader(call):
    agent = make_agent("doga")
    view = call.salesman_view()
    agent.reset(view, seed=1)
    assert agent.guidance(SalesObservation(view, ())).outline  # the default reader finds nothing false in it
    # every sentence now reads as a false claim, so DOGA drops them all rather than say one
    assert agent.guidance(SalesObservation(view, (), make_reader("test-hears-only-lies"))).outline == ""
    env = _env(call, reader="test-hears-only-lies")
    agent.reset(view, seed=1)
    turn = agent.act(env.salesman_observation())
    assert turn.meta["doga"]["outline"] == ""


# --------------------------------------------------------------------------- the metrics
def test_fidelity_rereads_customer_turns_with_the_run_reader(persona, product):
    turns = run_episode(EpisodeSpec(0, "adaptive", persona, product, 0, 7)).turns
    default = fidelity_stats(turns, persona)
    pitched = fidelity_stats(turns, persona, reader="test-hears-pitch")
    assert default["role_inversions"] == 0 < default["customer_turns"]
    assert pitched["role_inversions"] == pitched["customer_turns"] == default["customer_turns"]


def test_a_benchmark_reads_with_its_configured_reader_and_says_so(tmp_path, persona, product):
    def run(name, reader=None):
        values = {"agents": ["adaptive"], "personas": "test", "trials": 1, "out": str(tmp_path / name)}
        if reader:
            values["reader"] = reader
        return run_benchmark(load_config(BenchmarkConfig, values=values))

    default, twisted = run("default"), run("pitch", "test-hears-pitch")
    assert default.rows[0]["fidelity"]["role_inversion_rate"] < 0.05
    assert twisted.rows[0]["fidelity"]["role_inversion_rate"] == 1.0
    records = [json.loads(x) for x in (twisted.out / "transcripts.jsonl").read_text().splitlines()]
    salesman_acts = {tuple(t["acts"]) for r in records for t in r["turns"] if t["speaker"] == "salesman"}
    assert salesman_acts == {("present_product",)}  # the env read every salesman turn with it too
    for result, name in ((default, "lexicon"), (twisted, "test-hears-pitch")):
        assert result.reader == name
        assert f"reader: {name}\n" in (result.out / "config.yaml").read_text()
        assert json.loads((result.out / "run.json").read_text())["info"] == {"reader": name}


def test_the_built_in_customers_decision_is_its_own_and_free_text_is_read(persona, product, call):
    """A reader that hears every customer turn as an acceptance ends a call on free customer
    text, never one with the built-in customer, whose replies carry the decision they make."""
    t = run_episode(EpisodeSpec(0, "scripted", persona, product, 0, 5, reader="test-hears-accept"))
    assert t.outcome != "sale" and len(t.turns) > 2
    assert "accept" not in t.turns[1].acts  # the reader heard it; the customer did not decide it
    env = _env(call, reader="test-hears-accept")
    env.step("Hello, this is Jordan from Tastemark.")
    env.step("Yes? Who is this?")
    assert env.call.terminated and env.call.reason == "sale"
