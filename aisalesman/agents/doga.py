"""DOGA, the Dynamic Outline-Guided Agent: a wrapper giving any salesman turn-by-turn guidance.

Each turn DOGA

1. works out where the call stands: the salesman's previous intent, the customer's last
   utterance, whether an objection is open and whether do-not-call was requested;
2. chooses the turn's intent among those the stage machine allows, with the library's
   next-intent model (trained on the moves of calls weighted by their success);
3. retrieves the top ``top_k`` scripts for that intent, ranked by similarity to the
   customer's last utterance times posterior success;
4. fills each outline's placeholders from the CRM view and the knowledge base, dropping
   every sentence it cannot fill and every sentence whose claim the knowledge base
   contradicts, as the observation's reader (the environment's) reads it (nothing is invented);
5. hands the inner agent a :class:`Guidance`: agents with ``act_guided`` / ``aact_guided``
   (the template baselines realise the intent with the outline, the LLM salesman gets it in
   its prompt) follow it; any other agent acts as usual and DOGA speaks the outline
   instead when it has one;
6. records the intent, capability, entry ids and outline in the turn (``meta["doga"]``).

Registered as ``doga``; the inner agent is named after a colon (``doga:scripted``,
``doga:llm``) or passed as ``inner``. The library is the shipped one (mined from a synthetic
train-split corpus) unless ``library`` names a file from ``aisalesman build-library``.

**Our reconstruction.** The paper names DOGA's parts (a script library mined from
high-converting calls; intent classification constrained by a stage machine; retrieval of the
best scripts; placeholders filled from the customer profile; the outline injected into the
response model's prompt) but its text, formulas and prompts were not available. Everything
concrete here is our choice: the stage machine's intents and transitions, choosing the next
intent with a success-weighted logistic model, ranking by similarity times posterior success,
dropping unfillable or contradicted sentences, and speaking the outline for agents that cannot
take guidance.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from aisalesman.agents.base import AgentTurn, SalesObservation, agents
from aisalesman.agents.library import ScriptLibrary, fill_outline
from aisalesman.core.errors import ConfigError, DataFileError
from aisalesman.core.registry import Registry
from aisalesman.core.scenario import SalesmanView
from aisalesman.core.seeding import derive_seed
from aisalesman.core.types import CustomerAct, Role
from aisalesman.dialogue.configured import env_reader
from aisalesman.dialogue.realiser import TemplateRealiser
from aisalesman.dialogue.state import SALES_ACTS

__all__ = ["DOGAAgent", "Guidance", "default_library_path", "intent_policies", "load_library"]

#: Loaders of trained act-level policies for ``intent_policy``, as lazy ``"module:attr"``
#: targets: the training stack sits above the agents, so it is imported only when asked for.
intent_policies: Registry[Any] = Registry("intent policy")
intent_policies.register("rllib", "aisalesman.training.policy_agent:ActPolicy")


@dataclass(frozen=True)
class Guidance:
    """What DOGA tells the inner agent for one turn."""

    intent: str
    capability: str | None
    outline: str
    alternatives: tuple[str, ...] = ()
    entries: tuple[str, ...] = ()
    confidence: float = 0.0


def default_library_path() -> Path:
    return Path(str(resources.files("aisalesman.agents").joinpath("data/script_library.json")))


@lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int, size: int) -> ScriptLibrary:
    return ScriptLibrary.load(path)


def load_library(path: str | Path | None = None) -> ScriptLibrary:
    """A library file (the shipped one by default), loaded once per process and file version."""
    p = Path(path) if path is not None else default_library_path()
    if not p.is_file():
        raise DataFileError(p, "no such file")
    st = p.stat()
    return _cached(str(p.resolve()), st.st_mtime_ns, st.st_size)


def _uses_model(inner: str = "scripted", **_: Any) -> bool:
    return agents.uses_chat_model(inner)


class DOGAAgent:
    """The DOGA wrapper (see the module docstring).

    Args:
        inner: The wrapped agent's registered name.
        library: A script library file; the shipped library if None.
        top_k: Scripts retrieved per turn.
        inner_config: Constructor arguments for the inner agent.
        intent_policy: A checkpoint from ``aisalesman train``: the trained act-level policy
            chooses each turn's intent instead of the library's next-intent model.
        model: The salesman's chat model, passed on to an inner agent that uses one.
        **inner_kwargs: Further inner-agent arguments (the benchmark passes LLM sampling here).
    """

    name_argument = "inner"
    uses_chat_model = staticmethod(_uses_model)

    def __init__(self, inner: str = "scripted", *, library: str | None = None, top_k: int = 3,
                 inner_config: dict[str, Any] | None = None, intent_policy: str | None = None, model: Any = None,
                 **inner_kwargs: Any) -> None:
        if inner.split(":", 1)[0] == "doga":
            raise ConfigError("doga cannot wrap itself")
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise ConfigError(f"top_k must be a positive integer, got {top_k!r}")
        self.inner_name = inner
        self.inner = agents.create(inner, chat_model=model, **{**(inner_config or {}), **inner_kwargs})
        self.library = load_library(library)
        self.machine = self.library.machine
        self.top_k = top_k
        self.intent_policy = None
        if intent_policy:
            self.intent_policy = intent_policies.get("rllib")(intent_policy)
        self.library.next_intent_model  # fit now, not on the first turn  # noqa: B018

    def reset(self, view: SalesmanView, *, seed: int) -> None:
        self.view = view
        self.inner.reset(view, seed=seed)
        self.rng = random.Random(derive_seed(seed, "doga"))
        self.realiser = TemplateRealiser(view, self.rng)

    # ------------------------------------------------------------ guidance
    def guidance(self, observation: SalesObservation) -> Guidance:
        """This turn's intent and filled outline; outline sentences are checked by the observation's reader."""
        reader, product = env_reader(observation.reader), self.view.product

        def truthful(sentence: str) -> bool:
            return all(c.valid for c in reader.claims(sentence, product))

        turns = observation.turns
        # the last intent the machine knows (a turn read as ``other`` does not reset the call to its start)
        previous = next((t.intent for t in reversed(turns)
                         if t.speaker == Role.SALESMAN and t.intent in self.machine.intents), None)
        last = observation.last_customer_turn
        context = last.text if last is not None else ""
        objection_open = last is not None and last.objection is not None
        dnc = any(CustomerAct.REQUEST_DNC in t.acts for t in turns if t.speaker == Role.CUSTOMER)
        legal = self.machine.legal(previous, dnc_requested=dnc, objection_open=objection_open)
        if self.intent_policy is not None:
            intent, confidence = self._policy_intent(turns, legal, reader)
        else:
            choice = self.library.next_intent_model.predict(previous, context, objection_open=objection_open,
                                                            legal=legal)
            intent, confidence = choice.intent, choice.confidence
        fields_of = getattr(self.inner, "guidance_fields", None)
        fields = fields_of() if fields_of is not None else self.realiser.fields()
        filled = []
        for entry, _ in self.library.retrieve(intent, context, self.top_k):
            text = fill_outline(entry.outline, fields, keep=truthful)
            if text:
                filled.append((entry.id, text))
        return Guidance(intent, self.machine.capability(intent), filled[0][1] if filled else "",
                        tuple(t for _, t in filled[1:]), tuple(i for i, _ in filled), round(confidence, 4))

    def _policy_intent(self, turns, legal, reader) -> tuple[str, float]:
        """The trained policy's most likely act among the intents legal now."""
        p = self.intent_policy.probabilities(self.view, turns, reader=reader)
        legal = set(legal)
        allowed = [i for i, a in enumerate(SALES_ACTS) if str(a) in legal]
        best = max(allowed, key=lambda i: p[i])
        return str(SALES_ACTS[best]), float(p[best])

    def _record(self, turn: AgentTurn, g: Guidance) -> AgentTurn:
        doga = {"intent": g.intent, "capability": g.capability, "entries": list(g.entries), "outline": g.outline,
                "confidence": g.confidence}
        return AgentTurn(turn.text, turn.acts, g.intent, {**(turn.meta or {}), "doga": doga})

    def _unguided(self, turn: AgentTurn, g: Guidance) -> AgentTurn:
        return AgentTurn(g.outline, (), g.intent, turn.meta) if g.outline else turn

    def act(self, observation: SalesObservation) -> AgentTurn:
        g = self.guidance(observation)
        guided = getattr(self.inner, "act_guided", None)
        turn = guided(observation, g) if guided is not None else self._unguided(self.inner.act(observation), g)
        return self._record(turn, g)

    async def aact(self, observation: SalesObservation) -> AgentTurn:
        g = self.guidance(observation)
        guided = getattr(self.inner, "aact_guided", None)
        if guided is not None:
            return self._record(await guided(observation, g), g)
        if getattr(self.inner, "act_guided", None) is not None:
            return self._record(self.inner.act_guided(observation, g), g)
        inner_aact = getattr(self.inner, "aact", None)
        turn = await inner_aact(observation) if inner_aact is not None else self.inner.act(observation)
        return self._record(self._unguided(turn, g), g)
