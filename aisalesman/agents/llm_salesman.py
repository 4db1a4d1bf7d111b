"""An LLM salesman on any :class:`ChatModel` backend (registered as ``llm``).

The system prompt (``prompts/salesman_system.md``) holds the product knowledge base, the
CRM view of the customer and the rules: state only knowledge-base facts, never exceed
the maximum discount, honour do-not-call at once, say it is an automated agent when
asked. The model's reply is the utterance; an empty reply is retried, then the call ends
with the infrastructure-error reason.
"""

from __future__ import annotations

import re

from aisalesman.agents.base import AgentTurn, SalesObservation
from aisalesman.core.errors import ConfigError, LLMError
from aisalesman.core.llm.base import ChatModel, ChatRequest, SamplingParams, run_sync
from aisalesman.core.product import Product
from aisalesman.core.prompts import PromptSet
from aisalesman.core.scenario import SalesmanView
from aisalesman.core.seeding import derive_seed
from aisalesman.core.types import Goal, Role

__all__ = ["LLMSalesman", "knowledge_base_text"]

_LABEL = re.compile(r"^\s*(?:\*\*)?(?:salesman|salesperson|agent|assistant|you)(?:\*\*)?\s*:\s*", re.IGNORECASE)


class SalesmanOutputError(LLMError):
    """The salesman model kept answering with nothing usable."""


def knowledge_base_text(product: Product) -> str:
    cur = product.currency_symbol
    lines = [f"- {product.name} by {product.company}: {product.description}."]
    for plan in product.plans:
        names = ", ".join(f.name for f in product.features if f.key in plan.features)
        lines.append(f"- Plan {plan.name}: {cur}{plan.price:g} per {plan.billing_period}; includes {names}.")
    lines += [f"- {f.name}: {f.pitch}." for f in product.features]
    t = product.terms
    contract = f"{t.contract_months}-month minimum contract" if t.contract_months else "no minimum contract"
    lines.append(f"- Terms: {contract}; {t.cancellation}; free trial {t.trial_days} days; setup fee {cur}{t.setup_fee:g}.")
    lines.append(f"- Maximum discount: {product.max_discount_pct:g}% ({product.discount_scope}).")
    lines += [f"- Evidence: {e}" for e in product.evidence]
    lines += [f"- Getting started: {s}" for s in product.operational_steps]
    if product.non_features:
        lines.append("- NOT offered (never claim these): " + "; ".join(n.claim for n in product.non_features) + ".")
    return "\n".join(lines)


class LLMSalesman:
    """A salesman played by a chat model.

    Args:
        model: Any :class:`ChatModel` (the benchmark passes the salesman backend).
        temperature, top_p, max_tokens: Sampling; the seed comes from the episode.
        max_attempts: Tries per turn before giving up on empty answers.
        prompt_dir: A folder whose template files replace the shipped ones by name.
        max_utterance_chars: Longer replies are cut at a sentence end within this length.
    """

    uses_chat_model = True  # the runner passes the role's shared backend as ``model``

    def __init__(self, model: ChatModel | None = None, *, temperature: float = 0.0, top_p: float = 1.0,
                 max_tokens: int = 160, max_attempts: int = 2, prompt_dir: str | None = None,
                 max_utterance_chars: int = 600) -> None:
        if model is None:
            raise ConfigError("agent 'llm' needs a chat model: set --salesman-backend and --salesman-model "
                              "(or salesman_llm in the config)")
        self.model = model
        self.params = SamplingParams(temperature=temperature, top_p=top_p, max_tokens=max_tokens)
        self.max_attempts = max(1, int(max_attempts))
        self.max_chars = max_utterance_chars
        self.prompts = PromptSet(__package__, prompt_dir)
        self._system = ""
        self._seed = 0
        self.usage = {"llm_calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost": 0.0}

    def reset(self, view: SalesmanView, *, seed: int) -> None:
        p, crm = view.product, view.crm
        goal = "close a sale" if view.goal == Goal.SALE else "book a follow-up appointment"
        metrics = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in crm.metrics.items())
        self._system = self.prompts.render(
            "salesman_system.md", salesman_name=view.salesman_name, company=p.company, product=p.name,
            customer_name=crm.name, business_name=crm.business_name, goal=goal, knowledge=knowledge_base_text(p),
            crm=f"- {crm.business_type} in {crm.region}, {crm.employees} employees; {metrics}",
            max_discount=f"{p.max_discount_pct:g}%", discount_scope=p.discount_scope,
        )
        self._seed = seed
        self.usage = {k: 0.0 if k == "cost" else 0 for k in self.usage}

    def messages(self, observation: SalesObservation) -> list[dict[str, str]]:
        msgs = [{"role": "system", "content": self._system}]
        for t in observation.turns:
            msgs.append({"role": "assistant" if t.speaker == Role.SALESMAN else "user", "content": t.text})
        if len(msgs) == 1:  # the salesman opens the call
            msgs.append({"role": "user", "content": "(The customer picks up the phone.)"})
        return msgs

    def _clean(self, text: str) -> str:
        line = " ".join(_LABEL.sub("", text).split()).strip().strip('"').strip()
        if len(line) > self.max_chars:
            cut = max(line.rfind(". ", 0, self.max_chars), line.rfind("? ", 0, self.max_chars))
            line = line[: cut + 1] if cut > 0 else line[: self.max_chars]
        return line

    async def aact(self, observation: SalesObservation) -> AgentTurn:
        return await self._generate(self.messages(observation), len(observation.turns))

    async def aact_guided(self, observation: SalesObservation, guidance) -> AgentTurn:
        """Act with DOGA's guidance: the intent and outlines go into a system note after the history."""
        outlines = "\n".join(f"- {o}" for o in (guidance.outline, *guidance.alternatives) if o)
        outlines = outlines or "- (none fits; use your own words)"
        note = self.prompts.render("salesman_guidance.md", intent=guidance.intent.replace("_", " "),
                                   capability=(guidance.capability or "other").replace("_", " "), outlines=outlines)
        return await self._generate([*self.messages(observation), {"role": "system", "content": note}],
                                    len(observation.turns))

    def act_guided(self, observation: SalesObservation, guidance) -> AgentTurn:
        return run_sync(self.model, self.aact_guided(observation, guidance))

    async def _generate(self, msgs: list[dict[str, str]], turn: int) -> AgentTurn:
        for attempt in range(self.max_attempts):
            p = self.params
            seed = derive_seed(self._seed, "turn", turn, "attempt", attempt)
            params = SamplingParams(p.temperature, p.top_p, p.max_tokens, (), seed)
            c = await self.model.acomplete(ChatRequest(tuple(msgs), params))
            self.usage["llm_calls"] += 1
            self.usage["prompt_tokens"] += c.prompt_tokens
            self.usage["completion_tokens"] += c.completion_tokens
            self.usage["cost"] = round(self.usage["cost"] + c.cost, 9)
            text = self._clean(c.text)
            if text:
                return AgentTurn(text, meta={"attempts": attempt + 1} if attempt else None)
        raise SalesmanOutputError(f"salesman model {self.model.name!r} gave no usable text in {self.max_attempts} attempts")

    def act(self, observation: SalesObservation) -> AgentTurn:
        return run_sync(self.model, self.aact(observation))
