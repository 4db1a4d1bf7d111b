"""Prices and discounts: amounts of money bound to a plan and judged against its price.

Prices are read with their billing period, bound to the plan named in the sentence (or the
plan under discussion), and are true at the list price or at a price off by a whole
percentage within ``max_discount_pct``; a range ("from 49 to 179 a month") is the cheapest and
the dearest plan's price. Discounts are a percentage, a fraction ("a third off", "cut in
half"), money off ("knock a tenner off", judged against the plan's price) or a waived setup
fee; months given free are a discount of 100% on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from aisalesman.core.product import Plan
from aisalesman.core.transcript import Claim
from aisalesman.dialogue.claims.facts import EPS, ProductFacts
from aisalesman.dialogue.claims.text import Amount, Sentence, cue, cues, normalise, verdict
from aisalesman.dialogue.numbers import Duration, find_durations

__all__ = ["free_months", "read_discounts", "read_prices"]


# --------------------------------------------------------------------------- discounts


def read_discounts(f: ProductFacts, s: Sentence, context: Plan | None) -> Iterator[Claim]:
    offered = list(_offers(f, s, context))
    yield from offered
    if offered:
        yield from _scope(f, s)


def _offers(f: ProductFacts, s: Sentence, context: Plan | None) -> Iterator[Claim]:
    """Each amount taken off: a percentage, a fraction, half price, money off, a waived fee."""
    low = s.low
    for n in s.percents:
        pct_end = cue("percent_after").match(low, n.end).end()
        if _is_discount(f, s, n.start, pct_end):
            s.used.append((n.start, pct_end))
            yield _pct_claim(f, n.value, s.span(n.start, pct_end))
    for n in s.numbers:
        if n.kind == "fraction" and not s.is_used(n.start, n.end) and not any(
                d.start <= n.start < d.end for d in s.durations) and (
                re.match(r"[\s-]*(?:off\b|price\b|discount|cheaper|less\b|lower\b)", low[n.end :])
                or _is_discount(f, s, n.start, n.end)):
            s.used.append((n.start, n.end))
            yield _pct_claim(f, n.value * 100, s.span(*s.clause_of(n.start)))
    m = cue("half_price").search(low)
    if m and not s.is_used(m.start(), m.end()) and not cue("early_exit").search(s.clause_text(m.start())):
        s.used.append(m.span())
        yield _pct_claim(f, 50.0, s.span(m.start(), m.end()))
    yield from _money_off_claims(f, s, context)
    m = cue("waive_setup").search(low)
    if m:
        yield _money_off(f, f.product.terms.setup_fee, None, f.bind(s, m.start(), m.end(), context),
                         s.span(m.start(), m.end()))


def _scope(f: ProductFacts, s: Sentence) -> Iterator[Claim]:
    """How long a discount lasts, against ``discount_scope`` ("off the first three months"):
    "your first six months" or "every year you stay" is a longer discount than offered."""
    p, low = f.product, s.low
    scope = find_durations(normalise(p.discount_scope))
    if not scope:
        return
    most = max(d.months for d in scope)
    expected = f"{p.max_discount_pct:g}% {p.discount_scope}"
    m = cue("unending").search(low)
    if m:
        s.used.append(m.span())
        yield verdict("discount", "discount_scope", "ongoing", False, s.span(*s.clause_of(m.start())), expected)
        return
    for d in s.free_durations():
        if cue("scope_before").search(low[max(0, d.start - 30) : d.start]) and not cue("notice_after").match(low, d.end):
            s.used.append((d.start, d.end))
            yield verdict("discount", "discount_scope", d.text(), d.months <= most + 0.5, s.span(*s.clause_of(d.start)),
                          expected)
            return


def _is_discount(f: ProductFacts, s: Sentence, start: int, end: int) -> bool:
    """Whether the figure at ``start:end`` is an amount taken off our price: a discount word
    right after it ("20% off") or before it ("a discount of 20%"), or anywhere in its clause
    when the figure is not a change in something else ("18 percent more covers") and the
    clause does not compare with what the customer pays elsewhere."""
    low = s.low
    if cue("discount_after").match(low, end) or cue("discount_before").search(low[max(0, start - 40) : start]):
        return not f.theirs(s, start)
    clause = s.clause_text(start)
    if not cue("discount_words").search(clause) or cue("comparison").search(clause) or f.theirs(s, start):
        return False
    return not re.match(r"\s*(?:of\b|more\b|higher\b|rise|increase|growth|uplift|extra\b)", low[end:])


def _money_off_claims(f: ProductFacts, s: Sentence, context: Plan | None) -> Iterator[Claim]:
    low = s.low
    for a in s.amounts:
        if s.is_used(a.start, a.end) or (not a.marked and a.value < 1) or any(
                d.start <= a.start < d.end for d in s.durations):
            continue
        off = cue("discount_after").match(low, a.tail) or cue("discount_after").match(low, a.end)
        if off and re.search(r"cheaper|less|saving", off.group()) and (
                cue("their_side").search(low) or cue("comparison").search(s.clause_text(a.start))):
            continue  # "$14 a month cheaper than what you pay now": a comparison, not a discount
        before = cue("discount_before").search(low[max(0, a.start - 40) : a.start])
        if off or (before and a.marked and not f.theirs(s, a.start)
                   and not cue("comparison").search(s.clause_text(a.start))):
            s.used.append((a.start, a.tail))
            yield _money_off(f, a.value, a.period, f.bind(s, a.start, a.tail, context),
                             s.span(a.start, (off.end() if off else a.tail)))


def _pct_claim(f: ProductFacts, pct: float, span: str) -> Claim:
    most = f.product.max_discount_pct
    return verdict("discount", "max_discount_pct", f"{round(pct, 1):g}%", pct <= most + 1e-9, span, f"{most:g}%")


def _money_off(f: ProductFacts, amount: float, period: str | None, plan: Plan | None, span: str) -> Claim:
    p = f.product
    plans = [plan] if plan is not None else list(p.plans)

    def allowance(pl: Plan) -> float:
        scale = 1.0
        if period and pl.billing_period != period and pl.billing_period in ("month", "year"):
            scale = 12.0 if period == "year" else 1 / 12
        return pl.price * scale * p.max_discount_pct / 100

    best = max(plans, key=allowance)
    ok = amount <= allowance(best) + EPS
    expected = f"{p.max_discount_pct:g}% ({f.money(allowance(best))} off {best.name})"
    return verdict("discount", best.key if plan else "max_discount_pct", f"{f.money(amount)} off", ok, span, expected)


def free_months(f: ProductFacts, d: Duration, span: str) -> Claim:
    """Months given free: a discount of 100% on them, beyond any ``max_discount_pct`` below 100."""
    p = f.product
    return verdict("discount", "max_discount_pct", f"{d.text()} free", p.max_discount_pct >= 100, span,
                   f"{p.max_discount_pct:g}% {p.discount_scope}")


# --------------------------------------------------------------------------- prices


@dataclass(frozen=True, slots=True)
class _Quote:
    """A price as said: per ``period`` (None: not said), ``rough`` ("about $40"), in an ``offer``."""

    amount: float
    period: str | None
    rough: bool
    offer: bool


def read_prices(f: ProductFacts, s: Sentence, context: Plan | None) -> Iterator[Claim]:
    low = s.low
    free = [a for a in s.amounts if not s.is_used(a.start, a.end) and not cue("percent_after").match(low, a.end)
            and not any(d.start <= a.start < d.end for d in s.durations)
            and not cue("not_price_before").search(low, max(0, a.start - 40), a.start)
            and not cue("not_price_after").match(low, a.end if a.period else a.tail)
            and not f.theirs(s, a.start) and not _setup_clause(s, a.start)]
    setup = cue("setup_words").search(low) or cue("one_off_words").search(low)
    ranged = dict(_ranges(f, s, free))
    chosen = [a for i, a in enumerate(free) if a in ranged or _is_price(
        f, s, a, free[max(0, i - 1) : i] + free[i + 1 : i + 2], context, setup=bool(setup))]
    bare = "".join(" " if any(a.period and a.end <= i < a.tail for a in s.amounts) else ch for i, ch in enumerate(low))
    periods = [k for k, pat in cues()["period_words"].items() if re.search(pat, bare, re.I)]
    shared = next((a.period for a in chosen if a.period), None)
    for a in chosen:
        said = a.period or (shared if a in ranged else None) or (periods[0] if len(periods) == 1 else None)
        value, period = _per_period(s, a, said)
        quote = _Quote(value, period, bool(cue("approximately").search(low, max(0, a.start - 20), a.start)),
                       bool(cue("discount_context").search(low)))
        plan = ranged.get(a) or f.bind(s, a.start, a.tail, context, fits=lambda pl, q=quote: _fits(f, q, pl))
        if plan is None and not (cue("price_words").search(low) or cue("cheapest_words").search(low)):
            continue  # an amount a month with nothing saying it is what we charge
        s.used.append((a.start, a.tail))
        yield from _price_claims(f, quote, plan, s.span(a.start, a.tail))


def _setup_clause(s: Sentence, pos: int) -> bool:
    """A clause about a setup fee that names no plan ("the setup fee is $99 a month"): its
    amount is the fee's, however it is said."""
    a, b = s.clause_of(pos)
    clause = s.low[a:b]
    return bool(cue("setup_words").search(clause) and cue("fee_words").search(clause)
                and not any(a <= x < b for x, _, _ in s.plans))


def _ranges(f: ProductFacts, s: Sentence, free: list[Amount]) -> Iterator[tuple[Amount, Plan]]:
    """"from 49 to 179 a month", "between $45 and $129": the cheapest and the dearest plan."""
    for a, b in zip(free, free[1:], strict=False):
        opens = re.search(r"\b(?:from|between)\s+(?:just\s+|only\s+|about\s+|around\s+)?(?:[$£€]\s*)?$", s.low[: a.start])
        money = (a.marked or b.marked or a.period or b.period) and cue("range_of_ours").search(s.low)
        if opens and money and re.fullmatch(r"\s*(?:[$£€]\s*)?(?:to|and|-|up to|through)\s*(?:[$£€]\s*)?",
                                            s.low[a.tail : b.start]) and not s.plans and len(f.product.plans) > 1:
            yield a, f.cheapest
            yield b, f.dearest


def _is_price(f: ProductFacts, s: Sentence, a: Amount, neighbours: list[Amount], context: Plan | None, *,
              setup: bool) -> bool:
    """Whether an amount is quoted as a price: with a billing period ("49 a month"), for a
    plan ("99 for Growth"), after one ("Growth is just 99"), in a list of prices, or as
    money in a sentence about a plan's price."""
    low = s.low
    lead = next((m for _, b, _ in s.plans if 0 <= a.start - b <= 30
                 for m in [cue("price_lead").fullmatch(low, b, a.start)] if m), None)
    for_plan = re.match(r"\s*for\s+(?:the\s+|our\s+)?", low[a.tail :])
    ends = re.match(r"\s*(?:[.,;!?]|$|and\b|with\b|for\b|but\b|including\b|all in\b)", low[a.tail :])
    if a.period or (lead and (a.marked or ends)):
        return True
    if for_plan and any(x == a.tail + for_plan.end() for x, _, _ in s.plans):
        return True
    priced = cue("price_words").search(low) or any(b.period for b in neighbours)
    if priced and any(_listed(low, a, b) for b in neighbours):
        return True
    if a.marked and not setup and cue("price_words").search(low):
        return bool(s.plans or context or cue("it_costs").search(low, 0, a.start))
    return False


def _per_period(s: Sentence, a: Amount, period: str | None) -> tuple[float, str | None]:
    """"$237.60 for your first three months" is $79.20 a month."""
    if a.period:
        return a.value / a.every, period
    m = re.match(r"\s*(?:in total\s+)?for\s+(?:the|your)\s+(?:first\s+)?", s.low[a.tail :])
    span = m and next((d for d in s.durations if d.start == a.tail + m.end()), None)
    if not span:  # "over the full 24 months, Fibre 300 comes to $1,080"
        a0 = s.clause_of(a.start)[0]
        span = next((d for d in s.durations if a0 <= d.start < a.start and re.search(
            r"\b(?:over|across|for)\s+(?:the\s+|your\s+)?(?:full\s+|whole\s+|entire\s+)?$", s.low[a0 : d.start])), None)
    if span and span.unit in ("month", "year") and span.amount > 0:
        return a.value / span.amount, span.unit
    return a.value, period


def _listed(low: str, a: Amount, b: Amount) -> bool:
    """Whether two amounts stand in one list ("45, 79 or 129")."""
    first, second = (a, b) if a.start < b.start else (b, a)
    gap = low[first.tail : second.start]
    return re.fullmatch(r"\s*(?:,|,?\s*or|,?\s*and)\s*(?:[$£€]\s*)?|\s*for\s+[\w -]{1,30}?,\s*(?:or\s+)?", gap) is not None


def _in_period(quote: _Quote, plan: Plan) -> float | None:
    """The plan's price in the quote's period ($40 a month for a $480 annual premium)."""
    if not quote.period or plan.billing_period == quote.period:
        return plan.price
    if plan.billing_period not in ("month", "year"):
        return None
    return plan.price / 12 if plan.billing_period == "year" else plan.price * 12


def _fits(f: ProductFacts, quote: _Quote, plan: Plan) -> bool:
    """A list price, a price off by a whole percentage within the maximum, or (in an offer)
    any price between the list price and the deepest discount."""
    price = _in_period(quote, plan)
    if price is None:
        return False
    slack = max(1.0, 0.02 * price) if quote.rough else EPS
    most = f.product.max_discount_pct
    if quote.offer:
        return price * (1 - most / 100) - slack <= quote.amount <= price + slack
    return any(abs(quote.amount - round(price * (1 - k / 100), 2)) <= slack for k in range(int(most) + 1))


def _price_claims(f: ProductFacts, quote: _Quote, plan: Plan | None, span: str) -> Iterator[Claim]:
    """A quoted price; in an offer, a price below the deepest discount is also an over-large
    discount ("Pro at $120 a month for the first three months")."""
    p = f.product
    value = f.money(quote.amount) + (f"/{quote.period}" if quote.period else "")
    if plan is None:
        ok = any(_fits(f, quote, pl) for pl in p.plans)
        yield verdict("price", "price", value, ok, span, ", ".join(map(f.plan_price, p.plans)))
        return
    ok = _fits(f, quote, plan)
    yield verdict("price", plan.key, value, ok, span, f.plan_price(plan))
    price = _in_period(quote, plan)
    if not ok and quote.offer and price and quote.amount < price:
        pct = round(100 * (1 - quote.amount / price), 1)
        yield Claim("discount", plan.key, f"{pct:g}% off", False, span, f"{p.max_discount_pct:g}%")
