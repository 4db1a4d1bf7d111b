"""Reading utterances by cue phrases: dialogue acts, objections, needs, and claims checked against a product.

Recognition is rule-based (cue phrases from ``data/lexicon.yaml``) and cached per text, so
the environment, the built-in customer and the rule-based agents read an utterance the same
way at the cost of one dictionary lookup after the first. Acts are listed in the canonical
orders of :mod:`aisalesman.dialogue.acts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from aisalesman.core.product import Product
from aisalesman.core.transcript import Claim
from aisalesman.core.types import CustomerAct, ObjectionType, SalesAct
from aisalesman.dialogue.acts import decision_act, sort_customer_acts, sort_sales_acts

__all__ = [
    "ClaimChecker",
    "claim_checker",
    "CustomerReading",
    "SalesReading",
    "mentioned_needs",
    "read_customer",
    "read_salesman",
]


def _compile(phrases: list[str]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    return re.compile("|".join(f"(?:\\b{p})" for p in phrases), re.IGNORECASE)


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, dict[str, re.Pattern[str] | None]]:
    raw = yaml.safe_load(resources.files(__package__).joinpath("data/lexicon.yaml").read_text("utf-8"))
    return {section: {k: _compile(v) for k, v in entries.items()} for section, entries in raw.items()}


@dataclass(frozen=True, slots=True)
class SalesReading:
    acts: tuple[SalesAct, ...]
    answers: frozenset[ObjectionType]


@dataclass(frozen=True, slots=True)
class CustomerReading:
    acts: tuple[CustomerAct, ...]
    objection: ObjectionType | None

    @property
    def decision(self) -> CustomerAct | None:
        """The call-ending act with the highest precedence, if any."""
        return decision_act(self.acts)


@lru_cache(maxsize=16384)
def read_salesman(text: str) -> SalesReading:
    """The acts in a salesman utterance and the objection types it answers."""
    lex = _lexicon()
    acts = tuple(SalesAct(k) for k, pat in lex["salesman_acts"].items() if pat and pat.search(text))
    answers: frozenset[ObjectionType] = frozenset()
    if SalesAct.HANDLE_OBJECTION in acts:
        answers = frozenset(
            ObjectionType(k) for k, pat in lex["objection_answers"].items() if pat and pat.search(text)
        )
    return SalesReading(sort_sales_acts(acts), answers)


@lru_cache(maxsize=16384)
def read_customer(text: str) -> CustomerReading:
    """The acts in a customer utterance and the objection it raises, if any."""
    lex = _lexicon()
    objection = next(
        (ObjectionType(k) for k, pat in lex["customer_objections"].items() if pat and pat.search(text)),
        None,
    )
    acts = [CustomerAct(k) for k, pat in lex["customer_acts"].items() if pat and pat.search(text)]
    if objection is not None:
        acts.append(CustomerAct.RAISE_OBJECTION)
    if not acts:
        acts.append(CustomerAct.SMALL_TALK)
    return CustomerReading(sort_customer_acts(acts), objection)


@lru_cache(maxsize=16384)
def mentioned_needs(text: str) -> tuple[str, ...]:
    """Persona need keys a customer utterance mentions."""
    return tuple(k for k, pat in _lexicon()["needs"].items() if pat and pat.search(text))


_NEGATION = re.compile(r"\b(not|no|never|don't|doesn't|isn't|aren't|won't|cannot|can't)\b[^.?!]{0,30}$", re.I)
_NUM = r"(\d[\d,]*(?:\.\d{1,2})?)"


def _keyed_alternation(aliases: dict[str, tuple[str, ...]]) -> tuple[re.Pattern[str], dict[str, str]] | None:
    """One regex for many keys: group ``gN`` matches an alias of the N-th key."""
    if not aliases:
        return None
    groups = {f"g{i}": key for i, key in enumerate(aliases)}
    body = "|".join(
        f"(?P<g{i}>" + "|".join(rf"\b{re.escape(a)}" for a in alts) + ")" for i, alts in enumerate(aliases.values())
    )
    return re.compile(body, re.IGNORECASE), groups


@lru_cache(maxsize=64)
def claim_checker(product: Product) -> ClaimChecker:
    """A shared checker per product (products are immutable and hashable)."""
    return ClaimChecker(product)


class ClaimChecker:
    """Finds factual claims in salesman text and checks each against one product.

    Recognised claims: prices with a billing period, setup fees, percentage discounts,
    trial lengths, contract terms, cancellation, features (true) and known non-features
    (false unless negated, e.g. "we do *not* deliver your orders").
    """

    def __init__(self, product: Product) -> None:
        self.product = product
        sym = re.escape(product.currency_symbol)
        self._price = re.compile(sym + r"\s?" + _NUM + r"\s*(?:(?:a|per|/)\s*(month|year)|(monthly|annually|yearly))", re.I)
        self._setup = re.compile(r"(?:setup|set-up|installation) fee (?:of |is )?" + sym + r"\s?" + _NUM, re.I)
        self._no_setup = re.compile(r"\b(no|free) (setup|set-up|installation)( fee)?\b", re.I)
        self._discount = re.compile(r"(\d+(?:\.\d+)?)\s?(?:%|percent) off", re.I)
        self._trial = re.compile(r"(\d+)[- ]day (?:free )?trial|\b(free trial)\b", re.I)
        self._contract = re.compile(r"(\d+)[- ]month (?:contract|minimum term|commitment)", re.I)
        self._cancel_anytime = re.compile(r"\b(cancel (?:at )?any ?time|no contract|no commitment)\b", re.I)
        self._features = _keyed_alternation({f.key: f.aliases or (f.name,) for f in product.features})
        self._non_features = _keyed_alternation({n.key: (n.claim, *n.aliases) for n in product.non_features})
        periods = {"month": set(), "year": set()}
        for plan in product.plans:
            if plan.billing_period in periods:
                for pct in range(int(product.max_discount_pct) + 1):
                    periods[plan.billing_period].add(round(plan.price * (1 - pct / 100), 2))
        self._prices_by_period = periods
        self._cache: dict[str, tuple[Claim, ...]] = {}

    def check(self, text: str) -> tuple[Claim, ...]:
        """All claims in ``text`` with their verdicts (cached per text)."""
        hit = self._cache.get(text)
        if hit is None:
            hit = self._cache[text] = tuple(self._scan(text))
            if len(self._cache) > 8192:
                self._cache.clear()
        return hit

    def _scan(self, text: str):
        p, terms = self.product, self.product.terms
        lower = text.lower()
        has_money = p.currency_symbol in text
        for m in self._price.finditer(text) if has_money else ():
            amount = round(float(m.group(1).replace(",", "")), 2)
            period = (m.group(2) or {"monthly": "month"}.get((m.group(3) or "").lower(), "year")).lower()
            yield Claim("price", period, p.price_text(amount), amount in self._prices_by_period.get(period, ()))
        for m in self._setup.finditer(text) if has_money else ():
            amount = float(m.group(1).replace(",", ""))
            yield Claim("setup_fee", "setup_fee", p.price_text(amount), abs(amount - terms.setup_fee) < 0.005)
        if ("set" in lower or "installation" in lower) and self._no_setup.search(text):
            yield Claim("setup_fee", "setup_fee", "none", terms.setup_fee == 0)
        for m in self._discount.finditer(text) if " off" in lower else ():
            pct = float(m.group(1))
            yield Claim("discount", "max_discount_pct", f"{pct:g}%", pct <= p.max_discount_pct)
        for m in self._trial.finditer(text) if "trial" in lower else ():
            if m.group(1):
                yield Claim("trial", "trial_days", m.group(1), int(m.group(1)) == terms.trial_days)
            elif not self._negated(text, m.start()):
                yield Claim("trial", "trial_days", "yes", terms.trial_days > 0)
        for m in self._contract.finditer(text) if "month" in lower else ():
            yield Claim("contract", "contract_months", m.group(1), int(m.group(1)) == terms.contract_months)
        for m in self._cancel_anytime.finditer(text) if ("cancel" in lower or "no co" in lower) else ():
            if not self._negated(text, m.start()):
                ok = terms.cancel_anytime or terms.contract_months == 0
                yield Claim("cancellation", "cancel_anytime", m.group(1).lower(), ok)
        seen: set[str] = set()
        for m in self._features[0].finditer(text) if self._features else ():
            key = self._features[1][m.lastgroup]
            if key not in seen:
                seen.add(key)
                yield Claim("feature", key, "mentioned", True)
        for m in self._non_features[0].finditer(text) if self._non_features else ():
            key = self._non_features[1][m.lastgroup]
            if key not in seen and not self._negated(text, m.start()):
                seen.add(key)
                yield Claim("non_feature", key, "asserted", False)

    @staticmethod
    def _negated(text: str, start: int) -> bool:
        return bool(_NEGATION.search(text[max(0, start - 40) : start]))
