"""Sentences as the claim readers see them: normalised text, clauses, figures and negation.

The cue phrases every reader shares live in ``aisalesman/dialogue/data/claim_meanings.yaml``;
:func:`cue` returns one compiled, case-insensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from aisalesman.core.product import Plan
from aisalesman.core.transcript import Claim
from aisalesman.dialogue.numbers import Duration, NumberSpan, find_durations, find_numbers, parse_number

__all__ = ["Amount", "Sentence", "clauses", "cue", "cues", "negated", "normalise", "sentences", "verdict", "words"]

STOP = frozenset(
    "a an the of to in on at for by with and or but so our your their my we you they it its is are was were be "
    "been this that these those there here from as than then more most very just only also over after within "
    "before during since per last about around up out into".split()
)
#: Words of a figure itself, which say nothing about what two sentences are about.
FIGURE_WORDS = frozenset((
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred thousand "
    "million percent per cent year month week day hour").split())
_IRREGULAR = {"paid": "pay", "won": "win", "got": "get", "gave": "give", "made": "make", "kept": "keep"}


@lru_cache(maxsize=1)
def cues() -> dict[str, Any]:
    """The cue phrases of ``data/claim_meanings.yaml``, regular expressions compiled."""
    text = resources.files("aisalesman.dialogue").joinpath("data/claim_meanings.yaml").read_text("utf-8")
    return {k: re.compile(v, re.I) if isinstance(v, str) else v for k, v in yaml.safe_load(text).items()}


def cue(name: str) -> re.Pattern[str]:
    return cues()[name]


def normalise(text: str) -> str:
    """Lower case with typographic quotes and dashes made plain, same length as ``text``."""
    return text.lower().translate(str.maketrans("’‘“”—–", "''\"\",,"))


def words(text: str) -> set[str]:
    """Content words, crudely stemmed (plural and -ed/-ing endings dropped)."""
    out = set()
    for w in re.findall(r"[a-z][a-z']+", text.lower()):
        w = _IRREGULAR.get(w, w)
        if w not in STOP:
            w = w.removesuffix("'s")
            out.add(re.sub(r"(?:ies|es|s|ed|ing)$", "", w) or w)
    return out


def inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def verdict(kind: str, key: str, value: str, ok: bool, span: str, expected: str) -> Claim:
    """A checked claim; ``expected`` (the contradicted fact) is kept only when it is false."""
    return Claim(kind, key, value, ok, span, "" if ok else expected)


@dataclass(frozen=True, slots=True)
class Amount:
    """A number that may be money: where it is, whether a currency marks it, its period."""

    value: float
    start: int
    end: int
    marked: bool
    period: str | None
    tail: int  # end of the amount with its currency word and period
    every: float = 1.0  # "$1,450 every six months": the period is six months


class Sentence:
    """One sentence: normalised text, clauses, numbers, durations, amounts and plan mentions.

    ``used`` collects the spans a reader has already read, so that a later reader does not
    read the same figure as another slot.
    """

    def __init__(self, text: str, plans: list[tuple[int, int, Plan]], *, said: str | None = None) -> None:
        self.text = text
        self.said = said or text
        self.low = normalise(text)
        self.plans = plans
        in_plan = [(a, b) for a, b, _ in plans]
        self.numbers = tuple(n for n in find_numbers(self.low) if not inside(n.start, in_plan))
        durations = tuple(d for d in find_durations(self.low) if not inside(d.start, in_plan))
        self.clauses = clauses(self.low)
        self.used: list[tuple[int, int]] = []
        self.amounts = tuple(self._amount(n) for n in self.numbers if n.kind in ("cardinal", "money"))
        # "$49 a month": the period of an amount is never a trial or a contract length
        self.durations = tuple(d for d in durations if not any(a.period and a.end <= d.start < a.tail
                                                               for a in self.amounts))
        self.percents = tuple(n for n in self.numbers if cue("percent_after").match(self.low, n.end))

    def _amount(self, n: NumberSpan) -> Amount:
        low, end = self.low, n.end
        marked = n.kind == "money" or bool(cue("currency_before").search(low, max(0, n.start - 3), n.start))
        after = cue("currency_after").match(low, end)
        if after:
            marked, end = True, after.end()
        period, every = None, 1.0
        m = cue("period_after").match(low, end)
        if m:
            unit = m.group("unit") or m.group("adverb") or m.group("units")
            period = "year" if unit.startswith(("y", "ann")) else "month"
            every = float(parse_number(m.group("count")) or 1.0) if m.group("count") else 1.0
            end = m.end()
        return Amount(n.value, n.start, n.end, marked, period, end, every)

    def clause_of(self, pos: int) -> tuple[int, int]:
        return next(((a, b) for a, b in self.clauses if a <= pos < b), (0, len(self.low)))

    def clause_text(self, pos: int) -> str:
        a, b = self.clause_of(pos)
        return self.low[a:b]

    def is_used(self, start: int, end: int) -> bool:
        return any(a < end and start < b for a, b in self.used)

    def span(self, start: int, end: int) -> str:
        """The text at ``start:end``, or the whole of what was said when that was reworded."""
        out = self.text[start:end].strip(" ,.;:")
        return out if out in self.said else self.said.strip(" ,.;:")

    def free_durations(self) -> list[Duration]:
        return [d for d in self.durations if not self.is_used(d.start, d.end)]

    @property
    def question(self) -> bool:
        return self.text.rstrip().endswith("?")


#: A clause ends at punctuation (not the comma of "1,450"), where a conjunction starts a new
#: subject ("we don't deliver food | and we don't supply tills"), or where a subordinate
#: condition starts ("you can cancel | if you're not happy"), so that a negation in one clause
#: does not reach into the next.
_CONDITION = r"(?:if|unless|as long as|provided|in case)\b"
_SUBJECT = r"(?:we|you|i|they|it|there|that|this|he|she|your|our)\b"
_CLAUSE_END = re.compile(r"[:;()](?!\s*(?:\S+\s*){1,3}$)|,(?!\d{3})"  # not "Setup fee: none."
                         rf"|\s(?=(?:and|but|so)\s+{_SUBJECT})|\s(?=(?:and|but|so|or|even)\s+{_CONDITION})"
                         rf"|(?<!\band)(?<!\bbut)(?<!\bso)(?<!\bor)(?<!\beven)\s(?={_CONDITION})")


def clauses(low: str) -> tuple[tuple[int, int], ...]:
    cuts = [0, *(m.start() for m in _CLAUSE_END.finditer(low)), len(low)]
    return tuple((a, b) for a, b in zip(cuts, cuts[1:], strict=False) if low[a:b].strip(" ,:;()"))


_NO = re.compile(r"(?:sorry,?\s*|i'm afraid,?\s*|i wish,?\s*)*(?:no|nope|not at all|not really|afraid not|none|never)\b\W*$",
                 re.I)
#: A question put to the customer, which is not one the speaker goes on to answer.
_ASKING = re.compile(r"\W*(?:can|could|do|does|did|is|are|was|were|would|will|have|has|had|how|what|who|where|when|why|"
                     r"which|shall|should|may|might|any|anything|right|ok|okay|so|and|but)\b", re.I)
_YES = re.compile(r"(?:yes|yep|yeah|absolutely|of course|definitely|certainly|sure|indeed)\b\W*$", re.I)


def sentences(text: str) -> list[tuple[str, str]]:
    """The sentences of ``text``, each as (the text to read, the text it was said as).

    A short question the speaker answers at once is read with its answer as one statement:
    "Setup fee? Zero." reads as "Setup fee Zero.", "Contract-free? No." as "Not contract-free.",
    "Flood cover? Yes." as "Flood cover.".
    """
    parts = [s.strip() for s in re.split(r"(?<=[.!?;])\s+", text.strip()) if s.strip()]
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(parts):
        s = said = parts[i]
        if s.endswith("?") and len(s.split()) <= 6 and i + 1 < len(parts) and not _ASKING.match(s):
            question, answer = s[:-1].strip(), parts[i + 1]
            said = f"{s} {answer}"
            if _NO.match(answer):
                s = f"Not {question[:1].lower()}{question[1:]}."
            elif _YES.match(answer):
                s = f"{question}."
            else:
                s = f"{question} {answer}"
            i += 1
        out.append((s, said))
        i += 1
    return out


def is_condition(clause: str) -> bool:
    """A clause that states a condition ("if you cancel early") rather than asserting anything."""
    return cue("condition").match(clause) is not None


def negated(clause: str, *, neutral: tuple[str, ...] = ("zero_cost",)) -> bool:
    """Whether ``clause`` is negated: an odd number of negators once the ``neutral`` cue
    phrases ("no charge", "at no cost") have been blanked out."""
    for name in (*neutral, "pseudo_negation"):
        clause = cue(name).sub(" ", clause)
    found = list(cue("negators").finditer(clause))
    # "no flood cover and no vehicle cover" negates twice over, not back again
    count = sum(1 for i, m in enumerate(found)
                if i == 0 or not re.search(r"\b(?:and|or|nor)\s+$", clause[found[i - 1].end() : m.start()]))
    return count % 2 == 1
