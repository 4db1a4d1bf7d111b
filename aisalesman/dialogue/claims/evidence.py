"""Social proof: figures and superlatives about us, matched to the evidence line they restate.

Each evidence line of the knowledge base is read into figures (a count, a percentage, a
change, a rating, a duration, a streak) and the words naming what each counts. A sentence
about us is matched to the line it paraphrases and each of its figures judged against the
line's figure of the same kind (an inflated count, a different percentage, a true
percentage of the wrong thing); a superlative or universal word ("the biggest", "every
claim") that no evidence line makes is false.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from aisalesman.core.product import Plan
from aisalesman.core.transcript import Claim
from aisalesman.dialogue.claims.facts import EPS, ProductFacts
from aisalesman.dialogue.claims.text import FIGURE_WORDS, STOP, Sentence, cue, cues, normalise, verdict, words

__all__ = ["EvidenceReader"]


@dataclass(frozen=True, slots=True)
class _Figure:
    """A figure in a social-proof statement: its kind, value, bound and the thing it counts."""

    kind: str  # count, percent, change, rating, duration, streak
    value: float
    bound: str  # over, about, exact, all ("all claims": 100 percent)
    head: frozenset[str]
    start: int
    end: int


def _head(low: str, pos: int, skip: frozenset[str] = frozenset()) -> frozenset[str]:
    """The content words naming what a figure counts: up to two after ``pos``, before the
    first function word that follows them ("more *covers* after", "of our *business lines*")."""
    head: list[str] = []
    for w in re.findall(r"[a-z][a-z'-]+", low[pos : pos + 60]):
        if w in STOP or w in skip:
            if head:
                break
            continue
        head.append(w)
        if len(head) == 2:
            break
    return frozenset(words(" ".join(head)))


#: "all claims", "every single claim": a figure of 100 percent when the noun is what the evidence counts.
_UNIVERSAL = re.compile(r"\b(?:all|every(?: single)?)\s+(?:of\s+(?:our|the|your)\s+)?"
                        r"(?!hundred|thousand|one\b|two\b|ten\b)((?:[a-z]+ ?){1,3})")
#: What a percentage of "the time" or "cases" counts: whatever its evidence line counts.
_GENERIC = frozenset({"time", "case", "occasion"})
#: Kinds of figure that, said of us where no evidence line gives one of that kind, are unsupported.
_UNSUPPORTED = frozenset({"percent", "rating", "streak", "change"})
_CHANGE = frozenset({"rise", "increase", "growth", "uplift", "boost", "jump", "percent", "per", "cent", "more"})


def _figures(s: Sentence, heads: tuple[frozenset[str], ...] = (), *, ours: bool = True) -> list[_Figure]:
    """The social-proof figures of a sentence not already read as another slot; ``heads``
    (what the evidence counts) turn "all claims" into 100 percent of them; a rating counts
    only in a sentence about us (``ours``)."""
    low, out = s.low, []
    for n in s.numbers:
        if n.kind == "fraction" and not s.is_used(n.start, n.end) and (
                cue("change_before").search(low, max(0, n.start - 25), n.start) or re.match(r"\s+more\b", low[n.end :])):
            out.append(_Figure("change", n.value * 100, "exact", _head(low, n.end, _CHANGE), n.start, n.end))
            continue  # "covers go up by a third"
        if s.is_used(n.start, n.end) or n.kind == "fraction":
            continue
        before = low[max(0, n.start - 24) : n.start]
        if re.search(r"\bfrom\s+(?:about\s+|around\s+)?$|\bout of\s+$|/$", before) or (
                re.search(r"\bto\s+$", before) and re.search(r"\bfrom\b", before)):
            continue  # a rating's scale, or "from 3.9 to 4.6 stars": one case's change
        bound = ("over" if n.kind == "rough" or cue("more_than").search(before) or low.startswith(("-plus", "+"), n.end)
                 else "about" if cue("about").search(before) else "exact")
        pct = cue("percent_after").match(low, n.end)
        rating = cue("rating_after").match(low, n.end) or (
            n.value <= 10 and cue("rating_before").search(low, max(0, n.start - 40), n.start))
        if pct:
            rest = low[pct.end() : pct.end() + 30]
            kind = "change" if re.match(r"\s*(?:more|rise|increase|growth|uplift|boost|higher|extra)", rest) else "percent"
            out.append(_Figure(kind, n.value, bound, _head(low, pct.end(), _CHANGE), n.start, pct.end()))
        elif rating and ours:
            out.append(_Figure("rating", n.value, bound, frozenset(), n.start, max(n.end, rating.end())))
        elif cue("streak_after").match(low, n.end):
            out.append(_Figure("streak", n.value, bound, frozenset(), n.start, n.end))
        elif not rating and not any(d.start <= n.start < d.end for d in s.durations) and not re.match(r"-(?!plus)", low[n.end :]):
            head = _head(low, n.end)
            if head and n.value >= 2 and float(n.value).is_integer():
                out.append(_Figure("count", n.value, bound, head, n.start, n.end))
    for d in s.free_durations():
        if re.search(r"(?:within|after|in|inside)\s+(?:just\s+|only\s+)?(?:the\s+)?(?:very\s+)?(?:first\s+)?$",
                     low[max(0, d.start - 30) : d.start]):
            out.append(_Figure("duration", d.days, "exact", frozenset(), d.start, d.end))
    for m in _UNIVERSAL.finditer(low):
        named = words(m.group(1))
        if any(h and h <= named for h in heads):  # "all claims are paid": 100 percent of them
            out.append(_Figure("percent", 100.0, "all", frozenset(named), m.start(), m.end()))
    for word, pct in cues()["multipliers"].items():
        for m in re.finditer(rf"\b{word}\b", low):
            out.append(_Figure("change", float(pct), "exact", _head(low, m.end(), frozenset({"their", "your"})),
                               m.start(), m.end()))
    return out


class EvidenceReader:
    """Judges social-proof sentences against one product's evidence lines."""

    def __init__(self, facts: ProductFacts) -> None:
        self.facts = facts
        self.lines = [(line, _figures(Sentence(line, [])), words(line)) for line in facts.product.evidence]
        # what the evidence counts ("restaurants", "claims") also marks a social-proof sentence
        self.heads = tuple(f.head for _, figs, _ in self.lines for f in figs if f.head)
        self.head_words = frozenset().union(*self.heads)
        self.said = " ".join(normalise(line) for line in facts.product.evidence)
        self._pitches = tuple(normalise(f.pitch) for f in facts.product.features)
        self.kinds = frozenset(g.kind for _, figs, _ in self.lines for g in figs)  # kinds of figure the evidence gives

    def read(self, s: Sentence, context: Plan | None) -> Iterator[Claim]:
        """Each figure against the evidence line its clause restates, and any superlative or
        universal word that line does not make."""
        matched = self._line(s)
        if matched is None:
            yield from self._superlative(s)
            return
        index, figures = matched
        primary = any(f.kind != "duration" and any(g.kind == f.kind for g in self.lines[index][1]) for f in figures)
        for f in figures:
            i = self._clause_line(s, f.start, index, f.kind)
            line, line_figures, line_words = self.lines[i]
            restated = self._about_line(s, f.start, [], line_words)
            kin = [g for g in line_figures if g.kind == f.kind]
            same = [g for g in kin if f.kind not in ("count", "percent") or (f.head & g.head and f.bound != "all")
                    or restated or (f.kind == "percent" and len(kin) == 1 and f.bound != "all"
                                    and f.head <= _GENERIC and sum(h.kind == f.kind for h in figures) == 1)]
            if not same and f.kind in _UNSUPPORTED and f.kind not in self.kinds and self._ours(s):
                # "95 percent of our restaurants renew": a statistic about us that no evidence line gives
                yield verdict("evidence", f"evidence:{i}", s.span(f.start, f.end), False, s.span(*s.clause_of(f.start)),
                              "; ".join(self.facts.product.evidence))
                continue
            if not same or (f.kind == "duration" and not primary and not restated):
                continue  # a figure about something the evidence does not count
            g = min(same, key=lambda g: abs(g.value - f.value))
            # "212 restaurants last month": a count over a time, which may be below the total
            flow = bool(cue("time_window").search(s.clause_text(f.start)))
            yield verdict("evidence", f"evidence:{i}", s.span(f.start, f.end), self._figure_ok(f, g, flow=flow),
                          s.span(*s.clause_of(f.start)), line)
        inflated = self._inflated(s, figures, index)
        absolute = self._absolute(s)
        if absolute and not inflated and not figures:
            inflated = index, absolute.group().strip()
        line_words = self.lines[index][2]
        if inflated:
            i, word = inflated
            yield verdict("evidence", f"evidence:{i}", word, False, s.span(0, len(s.low)), self.lines[i][0])
        elif not figures and len(words(s.low) & line_words) >= 3:
            yield verdict("evidence", f"evidence:{index}", "stated", True, s.span(0, len(s.low)), self.lines[index][0])
        else:
            yield from self._superlative(s)

    def _clause_line(self, s: Sentence, pos: int, index: int, kind: str | None = None) -> int:
        """The evidence line the clause at ``pos`` restates: the sentence's line unless another
        line (with a figure of ``kind``) shares more of the clause's words."""
        said = words(s.clause_text(pos)) - FIGURE_WORDS

        def score(i: int) -> tuple[int, int]:
            _, figs, line_words = self.lines[i]
            return len(said & line_words), int(kind is None or any(g.kind == kind for g in figs))

        best = max(range(len(self.lines)), key=lambda i: (score(i)[1], score(i)[0], i == index))
        return best if score(best) > score(index) and score(best)[0] >= 2 else index

    def _inflated(self, s: Sentence, figures: list[_Figure], index: int) -> tuple[int, str] | None:
        """The first word widening the claim beyond the line its clause restates ("every",
        "never", "national"), with that line."""
        plain = [f for f in figures if f.bound != "all"]  # "all claims" is judged as a figure
        for w in cues()["inflation_words"]:
            for m in re.finditer(rf"(?<![\w-]){w}(?![\w-])", s.low):
                i = self._clause_line(s, m.start(), index)
                line, _, line_words = self.lines[i]
                if (not re.search(rf"\b{w}\b", normalise(line)) and self._about_line(s, m.start(), plain, line_words)
                        and not any(f.start <= m.start() < f.end for f in figures)
                        and not self._pitched(s.clause_text(m.start()), w)):
                    return i, m.group()
        return None

    def _pitched(self, clause: str, word: str) -> bool:
        """Whether ``clause`` restates a feature's pitch that itself says ``word`` ("our review
        management answers every review within a day": the feature, not an inflated figure)."""
        said = words(clause)
        return any(re.search(rf"\b{word}\b", low) and len(said & words(low)) >= 3 for low in self._pitches)

    def _ours(self, s: Sentence) -> bool:
        return bool(cue("about_us").search(s.low) or self.facts.names.search(s.low))

    def _line(self, s: Sentence) -> tuple[int, list[_Figure]] | None:
        """The evidence line a social-proof sentence about us restates, and the sentence's figures."""
        low, said = s.low, words(s.low)
        if not (cue("evidence_words").search(low) or said & self.head_words):
            return None
        if cue("hypothetical").search(low) or cue("anecdote").search(low) or self.facts.theirs(s, 0):
            return None  # "would bring in", "a taqueria in Austin told us": not the aggregate
        if not (self._ours(s) or said & self.head_words) or (not self._ours(s) and cue("customer_subject").match(low)):
            return None  # "you never pay towards a claim": about the customer, not social proof
        figures = _figures(s, self.heads, ours=self._ours(s))
        score, index = max((len(said & w) + 2 * any(f.kind == g.kind for f in figures for g in figs), i)
                           for i, (_, figs, w) in enumerate(self.lines))
        return (index, figures) if score >= 2 or self._absolute(s) else None

    def _absolute(self, s: Sentence) -> re.Match[str] | None:
        """"Our lines have never gone down": what the evidence counts, said to always or never
        do something."""
        if not self._ours(s):
            return None
        for m in re.finditer(r"[a-z]+", s.low):
            if words(m.group()) & self.head_words:
                hit = cue("absolute").match(s.low, m.end())
                if hit:
                    return hit
        return None

    def _superlative(self, s: Sentence) -> Iterator[Claim]:
        """"We're the biggest insurer in the country": a ranking no evidence line makes."""
        m = cue("superlative_claim").search(s.low)
        if m is None or cue("hypothetical").search(s.low) or s.question:
            return
        if not (self._ours(s) and not self.facts.theirs(s, m.start())):
            return
        said = re.sub(r"\s+", " ", m.group("word"))
        if re.search(rf"\b{re.escape(said)}\b", self.said):
            return
        index = max(range(len(self.lines)), key=lambda i: len(words(s.low) & self.lines[i][2]))
        yield verdict("evidence", f"evidence:{index}", m.group(), False, s.span(*s.clause_of(m.start())),
                      "; ".join(self.facts.product.evidence))

    @staticmethod
    def _about_line(s: Sentence, pos: int, figures: list[_Figure], line_words: set[str]) -> bool:
        """Whether the clause at ``pos`` restates the evidence line: a figure or two of its words."""
        a, b = s.clause_of(pos)
        shared = (words(s.low[a:b]) & line_words) - FIGURE_WORDS
        return any(a <= f.start < b for f in figures) or len(shared) >= 2

    @staticmethod
    def _figure_ok(f: _Figure, g: _Figure, *, flow: bool = False) -> bool:
        if f.kind == "change" and f.head and g.head and not (f.head & g.head):
            return False  # a true figure about the wrong thing
        if f.kind == "count" and g.bound == "over":
            # "over 20,000" is true of over 25,000; "around 2,500" or "4,000" is not
            if f.bound == "over" or flow:
                return f.value <= g.value + EPS
            return g.value * 0.5 <= f.value <= (g.value + EPS if f.bound == "exact" else g.value * 1.1)
        if f.kind == "duration":
            return abs(f.value - g.value) < 0.5
        return abs(f.value - g.value) < 1e-6 * max(1.0, g.value) and (f.bound != "over" or g.bound == "over")
