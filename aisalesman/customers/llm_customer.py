"""The LLM customer (DESIGN §6): an LLM role-plays the persona and returns its utterance
plus a structured decision, which we parse and validate.

Modes:

``free``
    The LLM decides (continue / accept / reject / hang up / do-not-call).
``anchored``
    The built-in hidden-state customer decides, so persuadability stays calibrated; the
    LLM only voices that decision in character. A different decision from the LLM is
    overridden (and counted in the turn's ``meta``). The hidden state hears the salesman
    through the reader the observation carries (the environment's).

Output that cannot be parsed gets up to ``max_repairs`` repair prompts; after that the
customer raises :class:`CustomerOutputError` and the runner ends the call with the
``infra_error`` reason. There is no silent default decision.
"""

from __future__ import annotations

import json
import re
import string
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aisalesman.core.errors import ConfigError, LLMError
from aisalesman.core.llm.base import ChatModel, ChatRequest, Completion, SamplingParams, run_sync
from aisalesman.core.llm.untrusted import clip
from aisalesman.core.prompts import PromptSet
from aisalesman.core.scenario import Scenario
from aisalesman.core.seeding import derive_seed
from aisalesman.core.types import CustomerAct, CustomerDecision, Role
from aisalesman.customers.base import CustomerObservation, CustomerReply
from aisalesman.customers.persona_customer import PersonaCustomer
from aisalesman.dialogue.acts import ACT_DECISION, CustomerMove

__all__ = ["CustomerOutput", "CustomerOutputError", "LLMCustomer", "parse_customer_output"]

MODES = ("free", "anchored")
#: Most characters of an unusable answer quoted back in a repair prompt.
REPAIR_QUOTE_CHARS = 2000

_GIST = {
    "greet": "greet the caller and ask what the call is about",
    "give_info": "answer their question about your business, mentioning one real need or pain point of yours",
    "show_interest": "show some interest and ask a follow-up question about the offer",
    "resolved": "say that their answer deals with your concern",
    "neutral": "give a short, non-committal answer",
    "question": "ask a question about the product or its terms",
    "hesitation": "hesitate: you are not ready to decide yet",
    "accept_sale": "agree to buy",
    "accept_appointment": "agree to a follow-up meeting",
    "reject": "politely turn the offer down and end the call",
    "hang_up": "end the call abruptly, you have had enough",
    "request_dnc": "ask them to stop calling you and take you off their list",
}
_OBJECTION_GIST = {
    "price": "the price: it seems too expensive for you",
    "no_need": "whether you need this at all",
    "trust": "whether you can trust this company and its claims",
    "timing": "the timing: now is not a good moment",
    "competitor": "that you already use something similar",
    "authority": "that you cannot decide this alone",
    "contract": "the contract terms and being locked in",
}


class CustomerOutputError(LLMError):
    """The customer model's output stayed unusable after every repair attempt."""


class CustomerOutput(BaseModel):
    """The structured answer an LLM customer must give."""

    model_config = ConfigDict(extra="ignore")
    utterance: str = Field(min_length=1)
    decision: CustomerDecision

    @field_validator("decision", mode="before")
    @classmethod
    def _normalise(cls, v: Any) -> Any:
        return re.sub(r"[\s\-]+", "_", v.strip().lower()) if isinstance(v, str) else v


def _unfence(text: str) -> str:
    """``text`` without a Markdown code fence around it.

    Not a regex: ``\\s*```$`` backtracks quadratically over a long run of spaces, and a
    model's output may be a megabyte of them.
    """
    body = text.strip()
    if body.startswith("```"):
        body = body[3:].lstrip(string.ascii_letters)  # the language tag
    if body.endswith("```"):
        body = body[:-3]
    return body.strip()


def parse_customer_output(text: str, *, max_chars: int = 600) -> CustomerOutput:
    """Parse a model's reply into :class:`CustomerOutput`; raise ValueError saying what is wrong."""
    body = _unfence(text)
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object found" + (" (the output looks cut off)" if start >= 0 else ""))
    try:
        data = json.loads(body[start:end + 1])
    except json.JSONDecodeError as err:
        raise ValueError(f"invalid JSON ({err.msg} at character {err.pos})") from err
    except RecursionError:
        raise ValueError("invalid JSON (nested too deeply)") from None
    if not isinstance(data, dict):
        raise ValueError("the JSON is not an object")
    try:
        out = CustomerOutput.model_validate(data)
    except ValidationError as err:
        e = err.errors()[0]
        field = ".".join(map(str, e["loc"])) or "object"
        raise ValueError(f"field {field}: {e['msg']}") from err
    utterance = " ".join(out.utterance.split())
    if len(utterance) > max_chars:
        raise ValueError(f"the utterance has {len(utterance)} characters, more than {max_chars}")
    return out.model_copy(update={"utterance": utterance})


def _level(x: float) -> str:
    return "very low" if x < 0.2 else "low" if x < 0.4 else "moderate" if x < 0.6 else "high" if x < 0.8 else "very high"


def persona_card_values(scenario: Scenario) -> dict[str, Any]:
    """The placeholders of ``persona_card.md`` for a scenario."""
    p, h, prod = scenario.persona, scenario.persona.hidden, scenario.product
    b5 = h.big_five
    traits = [f"{_level(v)} {k}" for k, v in b5.model_dump().items()]
    objections = ", ".join(
        f"{_OBJECTION_GIST[str(o.type)]} ({'strong' if o.strength >= 0.7 else 'mild' if o.strength < 0.4 else 'real'})"
        for o in h.objections) or "none in particular"
    metrics = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in p.crm.metrics.items()) or "no figures to hand"
    return {
        "name": p.crm.name, "business_name": p.crm.business_name, "business_type": p.crm.business_type,
        "region": p.crm.region, "employees": p.crm.employees, "company": prod.company, "product": prod.name,
        "metrics": metrics, "needs": ", ".join(n.replace("_", " ") for n in h.needs),
        "pain_points": "; ".join(h.pain_points) or "nothing in particular", "budget": f"{h.budget:g}",
        "objections": objections, "personality": ", ".join(traits), "communication_style": h.communication_style,
        "decision_style": h.decision_style, "scepticism": _level(h.scepticism),
        "secret": f"Something you keep to yourself unless asked: {h.secret}." if h.secret else "",
        "patience": h.patience,
        "dnc_note": ", and you ask not to be called again" if h.dnc_prone else ", and you end the call",
    }


def _gist(reply: CustomerReply) -> str:
    move = CustomerMove.lookup(reply.kind)
    if move is not None and move.objection is not None:
        return f"raise your concern about {_OBJECTION_GIST[move.objection]}"
    return _GIST.get(reply.kind or "", "reply briefly")


class LLMCustomer:
    """A persona voiced (``anchored``) or played outright (``free``) by a chat model.

    Args:
        model: Any :class:`ChatModel` (the benchmark passes the customer backend).
        mode: ``free`` or ``anchored``.
        temperature, top_p, max_tokens: Sampling; the seed comes from the episode.
        max_repairs: Repair prompts after an unparseable answer before giving up.
        prompt_dir: A folder whose template files replace the shipped ones by name.
        max_utterance_chars: Longest utterance accepted from the model.
    """

    uses_chat_model = True  # the runner passes the role's shared backend as ``model``

    def __init__(self, model: ChatModel | None = None, *, mode: str = "anchored", temperature: float = 0.0,
                 top_p: float = 1.0, max_tokens: int = 256, max_repairs: int = 2,
                 prompt_dir: str | None = None, max_utterance_chars: int = 600) -> None:
        if model is None:
            raise ConfigError("customer 'llm' needs a chat model: set --customer-backend and --customer-model "
                              "(or customer_llm in the config)")
        if mode not in MODES:
            raise ConfigError(f"customer_mode must be one of {list(MODES)}, got {mode!r}")
        if isinstance(max_repairs, bool) or not isinstance(max_repairs, int) or max_repairs < 0:
            raise ConfigError(f"max_repairs must be a non-negative integer, got {max_repairs!r}")
        self.model = model
        self.mode = mode
        self.params = SamplingParams(temperature=temperature, top_p=top_p, max_tokens=max_tokens)
        self.max_repairs = max_repairs
        self.max_chars = max_utterance_chars
        self.prompts = PromptSet(__package__, prompt_dir)
        self._anchor = PersonaCustomer() if mode == "anchored" else None
        self._scenario: Scenario | None = None
        self._seed = 0
        self.usage = {"llm_calls": 0, "repairs": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost": 0.0,
                      "anchor_overrides": 0}

    def reset(self, scenario: Scenario, *, seed: int) -> None:
        self._scenario = scenario
        self._seed = seed
        self._card = self.prompts.render("persona_card.md", **persona_card_values(scenario))
        self.usage = {k: 0.0 if k == "cost" else 0 for k in self.usage}
        if self._anchor is not None:
            self._anchor.reset(scenario, seed=derive_seed(seed, "anchor"))

    # ------------------------------------------------------------ prompting
    def messages(self, observation: CustomerObservation, anchor: CustomerReply | None) -> list[dict[str, str]]:
        """The chat the model sees: the persona card and rules, then the call so far."""
        system = self._card
        if anchor is None:
            system += self.prompts.render("free_rules.md")
        else:
            decision = ACT_DECISION.get(anchor.act, CustomerDecision.CONTINUE)
            system += self.prompts.render("anchored_rules.md", decision=str(decision), gist=_gist(anchor))
        system += self.prompts.render("output_format.md")
        msgs = [{"role": "system", "content": system}]
        for t in observation.turns:
            if t.speaker == Role.SALESMAN:
                msgs.append({"role": "user", "content": t.text})
            else:
                said = {"utterance": t.text, "decision": t.meta.get("decision", "continue")}
                msgs.append({"role": "assistant", "content": json.dumps(said, ensure_ascii=False)})
        return msgs

    def _anchor_reply(self, observation: CustomerObservation) -> CustomerReply | None:
        return self._anchor.respond(observation) if self._anchor is not None else None

    def _request(self, msgs: list[dict[str, str]], turn: int, attempt: int) -> ChatRequest:
        p = self.params
        seed = derive_seed(self._seed, "turn", turn, "attempt", attempt)
        return ChatRequest(tuple(msgs), SamplingParams(p.temperature, p.top_p, p.max_tokens, (), seed))

    def _count(self, c: Completion) -> None:
        self.usage["llm_calls"] += 1
        self.usage["prompt_tokens"] += c.prompt_tokens
        self.usage["completion_tokens"] += c.completion_tokens
        self.usage["cost"] = round(self.usage["cost"] + c.cost, 9)

    def _finish(self, out: CustomerOutput, anchor: CustomerReply | None, attempts: int) -> CustomerReply:
        decision = out.decision
        meta: dict[str, Any] = {"attempts": attempts}
        if anchor is not None:
            wanted = ACT_DECISION.get(anchor.act, CustomerDecision.CONTINUE)
            meta["anchor"] = anchor.kind
            if decision != wanted:
                meta["llm_decision"] = str(decision)
                self.usage["anchor_overrides"] += 1
                decision = wanted
        act = decision.act or (anchor.act if anchor is not None else CustomerAct.SMALL_TALK)
        return CustomerReply(out.utterance, act, anchor.objection if anchor is not None else None,
                             kind=anchor.kind if anchor is not None else None, meta=meta, decision=decision)

    def _repair(self, msgs: list[dict[str, str]], bad: str, problem: str) -> list[dict[str, str]]:
        # Only the start of a bad answer is quoted back: a model that rambled for a megabyte
        # must not have it sent to the server again with every repair.
        return [*msgs, {"role": "assistant", "content": clip(bad, REPAIR_QUOTE_CHARS)},
                {"role": "user", "content": self.prompts.render("repair.md", problem=problem)}]

    # ----------------------------------------------------------- responding
    def advance(self, observation: CustomerObservation) -> None:
        """Account for a reply the customer already gave elsewhere, without calling the model.

        ``serve`` uses this to rebuild a call from the client's history: the anchored
        hidden state takes the salesman's turn as if it had replied (a ``continue``).
        """
        if self._scenario is None:
            raise RuntimeError("LLMCustomer.advance called before reset")
        self._anchor_reply(observation)

    async def arespond(self, observation: CustomerObservation) -> CustomerReply:
        if self._scenario is None:
            raise RuntimeError("LLMCustomer.arespond called before reset")
        anchor = self._anchor_reply(observation)
        msgs = self.messages(observation, anchor)
        turn = len(observation.turns)
        problem = ""
        for attempt in range(self.max_repairs + 1):
            completion = await self.model.acomplete(self._request(msgs, turn, attempt))
            self._count(completion)
            try:
                return self._finish(parse_customer_output(completion.text, max_chars=self.max_chars), anchor, attempt + 1)
            except ValueError as err:
                problem = str(err)
                if attempt < self.max_repairs:
                    self.usage["repairs"] += 1
                    msgs = self._repair(msgs, completion.text, problem)
        raise CustomerOutputError(f"customer output unusable after {self.max_repairs + 1} attempts: {problem}")

    def respond(self, observation: CustomerObservation) -> CustomerReply:
        return run_sync(self.model, self.arespond(observation))
