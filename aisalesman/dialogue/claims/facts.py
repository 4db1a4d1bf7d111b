"""What the claim readers know about one product, read once from its knowledge base.

:class:`ProductFacts` holds the product with the facts derived from its free text (the
cancellation terms, read with the same cue phrases as a salesman's sentences) and binds an
amount in a sentence to the plan it is about.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from aisalesman.core.product import Plan, Product
from aisalesman.dialogue.claims.text import Sentence, cue, normalise
from aisalesman.dialogue.numbers import find_durations

__all__ = ["CancellationTerms", "ProductFacts", "name_pattern"]

EPS = 0.005


@dataclass(frozen=True)
class CancellationTerms:
    """The cancellation facts of a product, read from ``terms`` with the checker's own cues."""

    anytime: bool
    notice_days: float | None
    lock_months: float | None
    exit_cost: str | None  # free, remaining, fixed
    refund: bool | None
    cooling_days: float | None

    @classmethod
    def read(cls, product: Product) -> CancellationTerms:
        t = product.terms
        low = normalise(t.cancellation)
        notice = lock = cooling = None
        for d in find_durations(low):
            if cue("notice_after").match(low, d.end):
                notice = d.days
            elif cue("cooling_off_words").match(low, d.end + 1) or cue("cooling_off_words").match(low, d.end):
                cooling = d.days
            elif cue("lock_after").search(low[: d.start]):
                lock = d.months
        remaining = bool(cue("exit_remaining").search(low))
        return cls(
            anytime=t.cancel_anytime,
            notice_days=notice if notice is not None else 0.0 if t.cancel_anytime else None,
            lock_months=lock if lock is not None else 0.0 if t.cancel_anytime else None,
            exit_cost="remaining" if remaining else "free" if t.cancel_anytime else None,
            refund=True if cue("refund_words").search(low) else None,
            cooling_days=cooling,
        )


def name_pattern(product: Product) -> re.Pattern[str]:
    """The product's and company's names and first words, lower case, the longest first
    ("harbour mutual" before "harbour")."""
    names = {product.company, product.company.split()[0], product.name, product.name.split()[0]}
    return re.compile("|".join(rf"\b{re.escape(n.lower())}\b" for n in sorted(names, key=lambda n: (-len(n), n))))


class ProductFacts:
    """One product as the readers use it: its terms, plan mentions, names and money format."""

    def __init__(self, product: Product) -> None:
        self.product = product
        self.terms = CancellationTerms.read(product)
        self._plan_patterns = self._plan_mentions(product)
        self.names = name_pattern(product)

    @staticmethod
    def _plan_mentions(product: Product) -> list[tuple[re.Pattern[str], Plan]]:
        """Full plan names (any case) and each plan's own capitalised name words."""
        words = {p.key: set(re.findall(r"[A-Za-z][\w-]*", p.name)) for p in product.plans}
        out = []
        for p in product.plans:
            others = set().union(*(w for k, w in words.items() if k != p.key))
            own = [w for w in words[p.key] if w not in others and w[0].isupper()]
            out.append((re.compile(rf"\b{re.escape(p.name)}\b(?!-)", re.I), p))
            out += [(re.compile(rf"\b{re.escape(w)}\b(?!-)"), p) for w in own]
        return out

    def find_plans(self, text: str) -> list[tuple[int, int, Plan]]:
        found: list[tuple[int, int, Plan]] = []
        for pattern, plan in self._plan_patterns:
            for m in pattern.finditer(text):
                if not any(a <= m.start() < b for a, b, _ in found):
                    found.append((m.start(), m.end(), plan))
        return sorted(found, key=lambda f: f[0])

    def sentence(self, text: str, said: str | None = None) -> Sentence:
        return Sentence(text, self.find_plans(text), said=said)

    def bind(self, s: Sentence, start: int, end: int, context: Plan | None,
             fits: Callable[[Plan], bool] | None = None) -> Plan | None:
        """The plan an amount at ``start:end`` is about: the one named right after it ("99 for
        Growth") or right before it ("Growth at 99"); failing those, one named in the sentence
        that ``fits`` the amount, else the nearest; with none named, the cheapest for "plans
        start from", else ``context``."""
        after = re.match(r"\s*(?:for|on|with)\s+(?:the\s+|our\s+)?", s.low[end:])
        if after:
            hit = next((p for a, _, p in s.plans if a == end + after.end()), None)
            if hit:
                return hit
        if s.plans:
            before = [(start - b, p) for a, b, p in s.plans if b <= start]
            if before and min(before, key=lambda x: x[0])[0] <= 30:
                return min(before, key=lambda x: x[0])[1]
            fitting = [p for _, _, p in s.plans if fits is not None and fits(p)]
            if fitting:
                return fitting[0]
            return min(s.plans, key=lambda x: abs(x[0] - start))[2]
        if cue("cheapest_words").search(s.low):
            return self.cheapest
        if cue("dearest_words").search(s.low):
            return self.dearest
        return context

    @property
    def cheapest(self) -> Plan:
        return min(self.product.plans, key=lambda p: p.price)

    @property
    def dearest(self) -> Plan:
        return max(self.product.plans, key=lambda p: p.price)

    def theirs(self, s: Sentence, pos: int) -> bool:
        """Whether the clause at ``pos`` is about the customer's side (what they pay now, their
        provider, their turnover) rather than ours: a plan of ours named in it makes it ours."""
        a, b = s.clause_of(pos)
        if not cue("their_side").search(s.low[a:b]):
            return False
        return not (any(a <= x < b for x, _, _ in s.plans) or cue("with_us").search(s.low[a:b]))

    def money(self, amount: float) -> str:
        return self.product.price_text(round(amount, 2))

    def plan_price(self, plan: Plan) -> str:
        return f"{self.money(plan.price)}/{plan.billing_period}"
