"""The terms of a product: setup fee, free trial, minimum term and cancellation.

Each reader finds where a sentence talks about its term by cue phrases
(``data/claim_meanings.yaml``), reads the figure (a fee, a length of time) or the polarity
("no setup fee", "you can't cancel in the first six months") of the clause, and judges it
against :class:`~aisalesman.core.product.Terms` and the cancellation facts read from the
product's own cancellation text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from aisalesman.core.product import Plan
from aisalesman.core.transcript import Claim
from aisalesman.dialogue.claims.facts import EPS, ProductFacts
from aisalesman.dialogue.claims.money import free_months
from aisalesman.dialogue.claims.text import Sentence, cue, negated, verdict
from aisalesman.dialogue.numbers import Duration

__all__ = ["read_cancellation", "read_contracts", "read_setup_fees", "read_trials"]

_Make = Callable[..., Claim]

# --------------------------------------------------------------------------- setup fees


def read_setup_fees(f: ProductFacts, s: Sentence, context: Plan | None) -> Iterator[Claim]:
    fee, low = f.product.terms.setup_fee, s.low
    if not (cue("setup_words").search(low) or cue("one_off_words").search(low)):
        return
    expected = f.money(fee)
    priced: set[tuple[int, int]] = set()
    for a in s.amounts:
        if s.is_used(a.start, a.end) or not a.marked or not _setup_amount(s, a.start):
            continue
        s.used.append((a.start, a.tail))
        priced.add(s.clause_of(a.start))
        # a fee paid once is never a monthly charge
        said, ok = f.money(a.value), abs(a.value - fee) < EPS and not a.period
        yield verdict("setup_fee", "setup_fee", f"{said}/{a.period}" if a.period else said, ok, s.span(a.start, a.tail),
                      expected)
    for a, b in s.clauses:
        clause = low[a:b]
        setup = cue("setup_words").search(clause)
        if not setup or (a, b) in priced or cue("trial_words").search(clause) or cue("waive_setup").search(clause):
            continue
        if cue("zero_cost").search(clause):
            charged = negated(clause)
        elif cue("fee_words").search(clause) and not s.question:
            charged = not negated(clause)  # "there's a setup fee", "setup fee: none"
        else:
            continue
        ok = (fee > 0) if charged else fee < EPS
        yield verdict("setup_fee", "setup_fee", "charged" if charged else "none", ok, s.span(a, b), expected)


def _setup_amount(s: Sentence, pos: int) -> bool:
    """Whether the amount at ``pos`` is a setup fee: named in a clause about setting up, or a
    one-off fee, or a charge in a sentence about setting up or paying once."""
    clause = s.clause_text(pos)
    if cue("setup_words").search(clause):
        return True
    fee = cue("fee_words").search(clause)
    return bool(fee and (cue("one_off_words").search(clause) or cue("setup_words").search(s.low)
                         or cue("one_off_words").search(s.low)))


# --------------------------------------------------------------------------- trials


def read_trials(f: ProductFacts, s: Sentence, context: Plan | None) -> Iterator[Claim]:
    days = f.product.terms.trial_days
    expected = f"{days} days" if days else "no free trial"

    def claim(value: str, ok: bool, a: int, b: int) -> Claim:
        return verdict("trial", "trial_days", value, ok, s.span(a, b), expected)

    for i, (a, b) in enumerate(s.clauses):
        clause = s.low[a:b]
        durations = _trial_durations(s, a, b)
        free_time = (durations and cue("zero_cost").search(clause) and not cue("setup_words").search(clause)
                     and not cue("leave_words").search(clause) and not cue("discount_words").search(clause))
        # free time given "so you can see whether it works" is a trial, in whichever clause that is said
        trial = (cue("trial_words").search(clause) or (cue("zero_cost").search(s.low) and cue("trial_weak").search(clause))
                 or (free_time and (cue("trial_words").search(s.low) or cue("trial_weak").search(s.low))))
        if not (trial or free_time) or (cue("cooling_off_words").search(clause) and not trial):
            continue
        if trial and not free_time and not durations and not cue("trial_noun").search(clause):
            continue  # "try the new menu": a verb of trying with no free time or trial offered
        if cue("wish").search(clause):  # "I'd love to offer a trial, but we don't have one"
            after = s.low[b : s.clauses[i + 1][1]] if i + 1 < len(s.clauses) else ""
            if negated(after):
                yield claim("none", days == 0, a, b)
            continue
        if negated(clause):
            yield claim("none", days == 0, a, b)
            continue
        if not durations and trial and cue("trial_noun").search(clause) and i + 1 < len(s.clauses):
            # "the trial is there so you can judge, and it's 8 weeks long": a length said of it later
            rest = (b, s.clauses[min(i + 2, len(s.clauses) - 1)][1])
            durations = [d for d in _trial_durations(s, *rest) if re.match(r"\s+long\b", s.low[d.end :])
                         or cue("length_lead").search(s.low, max(0, d.start - 20), d.start)][:1]
        if durations:
            d = min(durations, key=lambda d: abs(d.start - a - (trial.start() if trial else 0)))
            s.used.append((d.start, d.end))
            beyond = cue("beyond_trial").search(s.low)
            if free_time and d.unit in ("month", "year") and (not trial or beyond) and (
                    beyond or abs(d.days - days) >= 0.5):
                # "your first two months free": a discount, and (unless it comes on top of the
                # trial) a trial longer than the one offered
                yield free_months(f, d, s.span(a, b))
                if not beyond:
                    yield claim(d.text(), False, a, b)
                continue
            yield claim(d.text(), abs(d.days - days) < 0.5, a, b)
        elif cue("trial_noun").search(clause) or cue("zero_cost").search(clause):
            yield claim("yes", days > 0, a, b)


def _trial_durations(s: Sentence, a: int, b: int) -> list[Duration]:
    """The free durations in ``s.low[a:b]`` that are not a notice or cooling-off period."""
    return [d for d in s.free_durations() if a <= d.start < b and not cue("notice_after").match(s.low, d.end)
            and not cue("cooling_off_words").search(s.low, d.end, d.end + 30)
            and not cue("notice_before").search(s.low, max(0, d.start - 30), d.start)]


# --------------------------------------------------------------------------- contracts


def read_contracts(f: ProductFacts, s: Sentence, context: Plan | None) -> Iterator[Claim]:
    months, low = f.product.terms.contract_months, s.low
    expected = f"{months} months" if months else "no minimum term"

    def claim(value: str, ok: bool, start: int, end: int) -> Claim:
        return verdict("contract", "contract_months", value, ok, s.span(start, end), expected)

    for name in ("no_term", "no_tie_in"):
        m = cue(name).search(low)
        if m is None or f.theirs(s, m.start()) or re.search(r"\b(?:then|after(?:wards| that)?|thereafter)\s+(?:\w+\s+){0,2}$",
                                                              low[max(0, m.start() - 30) : m.start()]):
            continue  # "six months, then it rolls monthly": what follows the term
        beyond = cue("term_beyond").match(low, m.end())
        after = beyond and next((d for d in s.durations if d.start == beyond.end()), None)
        if after:  # "no lock-in beyond six months"
            s.used.append((after.start, after.end))
            yield claim(f"{after.months:g} months", abs(after.months - months) < 0.5, m.start(), after.end)
            return
        # "I'd never say it's commitment-free" binds; "no paperwork and no commitment" lists
        before = low[s.clause_of(m.start())[0] : m.start()]
        bound = negated(before) and not re.search(r"\b(?:and|or|nor)\s*$", before)
        # free to leave is also true of a term that can be cancelled at any time
        free = months == 0 or (name == "no_tie_in" and f.terms.anytime)
        yield claim("a minimum term" if bound else "0 months", not free if bound else free, *s.clause_of(m.start()))
        return
    yield from _term_lengths(f, s, claim)


def _term_lengths(f: ProductFacts, s: Sentence, claim: _Make) -> Iterator[Claim]:
    """"a two-year policy", "the minimum term is six months", "an annual policy"."""
    months, low = f.product.terms.contract_months, s.low
    found = cue("contract_words").search(low)
    free = [d for d in s.free_durations() if not f.theirs(s, d.start)
            and not low.startswith(("first", "the first"), d.start)]
    direct = [d for d in free if cue("term_after").match(low, d.end)]
    if found and not cue("trial_words").search(low):  # "policies are three years long"
        direct += [d for d in free if re.match(r"\s+(?:long|in length)\b", low[d.end :])]
    near = [] if found is None else sorted(
        (d for d in free if not cue("duration_not_term_after").match(low, d.end)
         and not cue("discount_words").search(s.clause_text(d.start))
         and not cue("duration_not_term_before").search(low[: d.start])),
        key=lambda d: abs(d.start - found.start()))
    for d in (direct or near)[:1]:
        s.used.append((d.start, d.end))
        yield claim(f"{d.months:g} months", abs(d.months - months) < 0.5, *s.clause_of(d.start))
        return
    m = cue("annual_term").search(low)
    if m:
        yield claim("12 months", months == 12, m.start(), m.end())


# --------------------------------------------------------------------------- cancellation


def read_cancellation(f: ProductFacts, s: Sentence, context: Plan | None) -> Iterator[Claim]:
    t, low = f.terms, s.low
    expected = f.product.terms.cancellation

    def claim(key: str, value: str, ok: bool, start: int, end: int) -> Claim:
        return verdict("cancellation", key, value, ok, s.span(start, end), expected)

    leave = cue("leave_words").search(low)
    if leave and f.theirs(s, leave.start()):
        return  # "you don't cancel your old policy until the new one's live"
    yield from _cancel_periods(f, s, leave, claim)
    free = cue("no_tie_in").search(low)
    if free and t.lock_months is not None and not any(cue("lock_after").search(low[: d.start]) for d in s.durations):
        # "you're never stuck": free to leave from the start
        yield claim("lock", "0 months", t.lock_months == 0, free.start(), free.end())
    m = cue("no_notice").search(low)
    if m and t.notice_days is not None:
        yield claim("notice", "none", t.notice_days == 0, m.start(), m.end())
    if not leave:
        return
    yield from _when_to_leave(f, s, leave, claim)
    yield from _exit_costs(f, s, claim)


def _when_to_leave(f: ProductFacts, s: Sentence, leave: re.Match[str], claim: _Make) -> Iterator[Claim]:
    """Leaving at any time, from the start, or not until a lock-in is over."""
    t, low = f.terms, s.low
    any_time = cue("anytime_words").search(low)
    at = s.clause_of(leave.start())[0]
    if any_time and cue("after_lock").search(low[: any_time.start()]) and t.lock_months:
        any_time = None  # "after six months it's thirty days' notice whenever you like"
    if any_time:
        start, end = min(any_time.start(), leave.start()), max(any_time.end(), leave.end())
        denied = negated(low[s.clause_of(start)[0] : end], neutral=("zero_cost", "exit_free"))
        yield claim("cancel_anytime", "not any time" if denied else "any time", denied != t.anytime, start, end)
    m = cue("from_start_words").search(low)
    if m and t.lock_months is not None and not negated(low[at : leave.end()]):
        yield claim("lock", "0 months", t.lock_months == 0, m.start(), m.end())
    m = cue("only_at_end").search(low)
    if m and t.lock_months is not None:
        yield claim("lock", "until the end", t.lock_months > 0 and not t.anytime, m.start(), m.end())
    until = cue("lock_until").search(low, leave.end())
    if until and not any_time and t.lock_months is not None and negated(low[at : leave.end()]) \
            and not any(d.start >= until.start() for d in s.durations):
        yield claim("lock", "locked in", t.lock_months > 0, leave.start(), until.end())


def _cancel_periods(f: ProductFacts, s: Sentence, leave: re.Match[str] | None, claim: _Make) -> Iterator[Claim]:
    """Notice, cooling-off and lock-in lengths."""
    t, low = f.terms, s.low
    for d in s.free_durations():
        before = low[max(0, d.start - 40) : d.start]
        if (cue("notice_after").match(low, d.end) or cue("notice_before").search(low, max(0, d.start - 30), d.start)) \
                and t.notice_days is not None:
            s.used.append((d.start, d.end))
            yield claim("notice", f"{d.days:g} days", abs(d.days - t.notice_days) <= 1, d.start, d.end + 8)
        elif cue("cooling_off_words").search(low, d.end, d.end + 30) or cue("cooling_off_words").search(
                low, max(0, d.start - 30), d.start):
            if t.cooling_days is not None:
                s.used.append((d.start, d.end))
                yield claim("cooling_off", f"{d.days:g} days", abs(d.days - t.cooling_days) <= 1, d.start, d.end)
        elif not (leave or "notice" in low or cue("lock_words").search(low)) or t.lock_months is None or cue(
                "discount_words").search(s.clause_text(d.start)):
            continue
        elif cue("lock_after").search(before) or (leave and cue("lock_until").search(before)) or (
                cue("lock_words").search(s.clause_text(d.start)) and re.search(r"\bfor\s+(?:the\s+)?(?:\w+\s+)?$", before)):
            s.used.append((d.start, d.end))
            yield claim("lock", f"{d.months:g} months", abs(d.months - t.lock_months) < 0.5, d.start, d.end)
        elif cue("lock_within").search(before) and leave:
            s.used.append((d.start, d.end))
            if negated(low[s.clause_of(leave.start())[0] : leave.end()]):  # "you can't cancel in the first ..."
                yield claim("lock", f"{d.months:g} months", abs(d.months - t.lock_months) < 0.5, d.start, d.end)
            else:  # "you can cancel during the first six months"
                yield claim("lock", "0 months", t.lock_months == 0, leave.start(), d.end)


def _exit_costs(f: ProductFacts, s: Sentence, claim: _Make) -> Iterator[Claim]:
    """What leaving early costs (nothing, the rest of the term, a fixed sum) and refunds."""
    t, low = f.terms, s.low
    early = cue("early_exit").search(low)
    if not early:
        return
    for name, kind in (("exit_remaining", "remaining"), ("exit_fixed", "fixed"), ("exit_free", "free")):
        m = cue(name).search(low)
        if m and t.exit_cost is not None:
            if kind == "remaining" and cue("part_of").search(low, max(0, m.start() - 25), m.start()):
                kind = "part of the remaining"  # "half the remaining rental"
            yield claim("exit_cost", kind, kind == t.exit_cost, min(early.start(), m.start()), max(early.end(), m.end()))
            break
    else:
        fee = next((a for a in s.amounts if a.marked and not s.is_used(a.start, a.end)
                    and not cue("not_price_after").match(low, a.tail) and cue("leave_words").search(low)
                    and cue("fee_words").search(s.clause_text(a.start))), None)
        part = next((d for d in s.free_durations() if d.unit == "month" and cue("pay_words").search(low)
                     and not cue("notice_after").match(low, d.end)), None)
        if fee and t.exit_cost is not None:  # "a $50 fee if you cancel"
            yield claim("exit_cost", f.money(fee.value), t.exit_cost == "fixed", fee.start, fee.tail)
        elif part and t.exit_cost is not None:  # "you pay two months' rental"
            yield claim("exit_cost", "fixed", t.exit_cost == "fixed", part.start, part.end)
    yield from _refunds(f, s, claim)


def _refunds(f: ProductFacts, s: Sentence, claim: _Make) -> Iterator[Claim]:
    t, low = f.terms, s.low
    if t.refund is None:
        return
    kept = cue("no_refund").search(low)
    m = cue("refund_words").search(low)
    if kept and not negated(s.clause_text(kept.start())):
        yield claim("refund", "no refund", not t.refund, *s.clause_of(kept.start()))
    elif m:
        given = not negated(low[s.clause_of(m.start())[0] : m.end()])
        yield claim("refund", "refund" if given else "no refund", given == t.refund, *s.clause_of(m.start()))
