"""Numbers and durations in digits or words, found with their character spans.

The claim checker reads figures however a salesman says them: ``99``, ``1,450``, ``4.7``,
``ninety-nine``, ``a hundred and twenty-nine``, ``fourteen hundred and fifty``, ``ninety-nine
point nine``, money words (``a tenner``, ``a grand``), fractions (``half``, ``a quarter``,
``a third``) and rough amounts (``thousands``, ``tens of thousands``, which read as their
lower bound); ``two and a half`` is 2.5 and ``fourteen fifty`` 1,450. Durations (``two weeks``, ``a fortnight``, ``a full month``,
``14-day``, ``half a year``, ``a year and a half``) carry their unit so that a caller can compare them in days or in months.

Every span indexes the string it was found in; the parser is case-insensitive and never
changes the text, so spans can be cut from the caller's original string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Duration", "NumberSpan", "find_durations", "find_numbers", "parse_number"]

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
#: Words that are a number by themselves after "a"/"one" (a dozen) or as money (a tenner).
_NOUNS = {"dozen": (12.0, "cardinal"), "tenner": (10.0, "money"), "fiver": (5.0, "money"),
          "grand": (1_000.0, "money")}
_FRACTIONS = {"half": 1 / 2, "third": 1 / 3, "quarter": 1 / 4, "fifth": 1 / 5, "tenth": 1 / 10}
_ROUGH = {"hundreds": 100.0, "thousands": 1_000.0, "millions": 1_000_000.0}
_WORD_VALUES = {**_UNITS, **_TENS}
#: "one" in these compounds is not a count.
_IDIOMS = re.compile(r"\bone[- ](?:off|time|stop|to[- ]one)\b|\bno[- ]one\b|\bone (?:of|thing)\b", re.I)

_AND_A_HALF = ["and", "a", "half"]
_UNIT_NAMES = frozenset({"hour", "day", "week", "month", "year", "fortnight", "percent", "minute"})

_TOKEN = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?k?|[a-z]+", re.I)


@dataclass(frozen=True, slots=True)
class NumberSpan:
    """A number found in a text.

    ``kind`` is ``cardinal`` (digits or number words), ``fraction`` (half, a third),
    ``money`` (a tenner, a grand) or ``rough`` (thousands, tens of thousands: ``value`` is the
    lower bound).
    """

    value: float
    start: int
    end: int
    kind: str = "cardinal"


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time: ``amount`` of ``unit`` (``hour``, ``day``, ``week``, ``month`` or ``year``)."""

    amount: float
    unit: str
    start: int
    end: int

    @property
    def days(self) -> float:
        return self.amount * {"hour": 1 / 24, "day": 1, "week": 7, "month": 30, "year": 365}[self.unit]

    @property
    def months(self) -> float:
        return {"hour": self.amount / 720, "day": self.amount / 30, "week": self.amount * 7 / 30,
                "month": self.amount, "year": self.amount * 12}[self.unit]

    def text(self) -> str:
        """``14 days``, ``1 month``: the canonical spelling used in claim values."""
        n = f"{self.amount:g}"
        return f"{n} {self.unit}" + ("" if self.amount == 1 else "s")


def _digits(token: str) -> float:
    mult = 1000.0 if token.lower().endswith("k") else 1.0
    return float(token.rstrip("kK").replace(",", "")) * mult


def _read(tokens: list[re.Match[str]], i: int) -> tuple[float, str, int] | None:
    """The number starting at token ``i``: (value, kind, index after it), or None."""
    word = tokens[i].group().lower()
    if word[0].isdigit():
        value, j = _digits(word), i + 1
        if j < len(tokens) and tokens[j].group().lower() in _SCALES and value < 1000:
            value, j = value * _SCALES[tokens[j].group().lower()], j + 1
        return value, "cardinal", j
    if word in _ROUGH:
        return _ROUGH[word], "rough", i + 1
    if word == "tens" and _next_words(tokens, i, 2) == ["of", "thousands"]:
        return 10_000.0, "rough", i + 3
    if word in ("a", "one"):
        nxt = _next_words(tokens, i, 1)
        if nxt and nxt[0] in _NOUNS:
            value, kind = _NOUNS[nxt[0]]
            return value, kind, i + 2
        if nxt and nxt[0] in _FRACTIONS and word == "a":
            return _FRACTIONS[nxt[0]], "fraction", i + 2
        if nxt and nxt[0] in _SCALES:
            return _words(tokens, i + 1, lead=1.0)
        if word == "a":
            return None
    if word == "half":
        return 0.5, "fraction", i + 1
    if word in _WORD_VALUES or word in _SCALES:
        return _words(tokens, i, lead=None)
    return None


def _next_words(tokens: list[re.Match[str]], i: int, n: int) -> list[str]:
    return [t.group().lower() for t in tokens[i + 1 : i + 1 + n]]


def _fits(current: float, value: int) -> bool:
    """Whether a unit or tens word can extend ``current`` ("twenty" + "five", not "nine" + "ten")."""
    rest = current % 100
    return rest == 0 or (value < 10 and rest >= 20 and rest % 10 == 0)


def _words(tokens: list[re.Match[str]], i: int, *, lead: float | None) -> tuple[float, str, int] | None:
    """Number words from token ``i``: units, tens, scales, "and", "point" and decimal digits."""
    total, current, j, seen = 0.0, lead or 0.0, i, lead is not None

    def word_at(k: int) -> str:
        return tokens[k].group().lower() if k < len(tokens) else ""

    while j < len(tokens):
        word = word_at(j)
        if word in _WORD_VALUES and _fits(current, _WORD_VALUES[word]) and not (seen and current == 0 and total == 0):
            current += _WORD_VALUES[word]
        elif word in _SCALES and seen:
            if _SCALES[word] == 100:
                current = (current or 1) * 100
            else:
                total, current = total + (current or 1) * _SCALES[word], 0.0
        elif word == "and" and seen and word_at(j + 1) in _WORD_VALUES and _fits(current, _WORD_VALUES[word_at(j + 1)]):
            pass
        elif word == "point" and seen and word_at(j + 1) in _UNITS:
            return _decimals(tokens, j + 1, total + current)
        else:
            break
        seen, j = True, j + 1
    return (total + current, "cardinal", j) if seen else None


def _decimals(tokens: list[re.Match[str]], j: int, whole: float) -> tuple[float, str, int]:
    digits = ""
    while j < len(tokens) and tokens[j].group().lower() in _UNITS and _UNITS[tokens[j].group().lower()] < 10:
        digits += str(_UNITS[tokens[j].group().lower()])
        j += 1
    return float(f"{whole:g}.{digits}"), "cardinal", j


def _adjacent(text: str, left: re.Match[str], right: re.Match[str]) -> bool:
    """Two tokens belong to one number phrase only when separated by spaces or a hyphen."""
    return re.fullmatch(r"\s*-?\s*|\s+", text[left.end() : right.start()]) is not None


def find_numbers(text: str) -> tuple[NumberSpan, ...]:
    """Every number in ``text``, left to right, with its span."""
    blocked = [m.span() for m in _IDIOMS.finditer(text)]
    tokens = [t for t in _TOKEN.finditer(text) if not any(a <= t.start() < b for a, b in blocked)]
    out: list[NumberSpan] = []
    i = 0
    while i < len(tokens):
        # a number phrase never spans punctuation: read within a run of adjacent tokens
        run_end = i + 1
        while run_end < len(tokens) and _adjacent(text, tokens[run_end - 1], tokens[run_end]):
            run_end += 1
        hit = _read(tokens[:run_end], i)
        if hit is None:
            i += 1
            continue
        value, kind, j = hit
        if kind == "cardinal" and j < run_end and tokens[j].group().lower() == "grand":
            value, kind, j = value * 1000, "money", j + 1
        if kind == "cardinal" and j + 3 <= run_end and [t.group().lower() for t in tokens[j : j + 3]] == _AND_A_HALF:
            value, j = value + 0.5, j + 3
        value, j = _said_in_pairs(tokens[:run_end], i, j, value, kind)
        out.append(NumberSpan(value, tokens[i].start(), tokens[j - 1].end(), kind))
        i = j
    return tuple(out)


def _said_in_pairs(tokens: list[re.Match[str]], i: int, j: int, value: float, kind: str) -> tuple[float, int]:
    """"fourteen fifty" is 1,450 and "four-eighty" 480: a unit, a teen or a round ten followed
    by a two-digit word number, said as hundreds ("sixty-seven fifteen" is not read so)."""
    lead = value < 20 or value % 10 == 0
    if kind != "cardinal" or tokens[i].group()[0].isdigit() or not 1 <= value <= 99 or not lead or j >= len(tokens):
        return value, j
    nxt = _read(tokens, j) if not tokens[j].group()[0].isdigit() else None
    least = 20 if value < 10 else 10  # "nine ten" is two numbers
    if nxt is None or nxt[1] != "cardinal" or not least <= nxt[0] <= 99 or not float(nxt[0]).is_integer():
        return value, j
    if nxt[2] < len(tokens) and tokens[nxt[2]].group().lower().rstrip("s") in _UNIT_NAMES:
        return value, j  # "two twelve-month terms"
    return value * 100 + nxt[0], nxt[2]


def parse_number(text: str) -> float | None:
    """The value of ``text`` when the whole of it is one number, else None."""
    found = find_numbers(text)
    if len(found) != 1 or text[: found[0].start].strip() or text[found[0].end :].strip(" .-"):
        return None
    return found[0].value


_UNIT_WORDS = {f"{unit}{plural}": unit for unit in ("hour", "day", "week", "month", "year", "fortnight")
               for plural in ("", "s")}
_UNIT_AFTER = re.compile(r"(?:\s*-\s*|\s+)(?:full\s+|whole\s+|calendar\s+|working\s+|business\s+|more\s+)?"
                         r"(hours?|days?|weeks?|months?|years?|fortnights?)\b", re.I)
_BARE_UNIT = re.compile(
    r"\bhalf[- ](?:a[- ])?year\b"
    r"|\b(?:an?|one|first|the\s+first)\s+(?:full\s+|whole\s+|calendar\s+|single\s+)?"
    r"(?P<unit>hour|day|week|month|year|fortnight)\b(?P<half>\s+and\s+a\s+half\b)?"
    r"|\b(?P<fortnight>fortnight)\b", re.I)


def find_durations(text: str) -> tuple[Duration, ...]:
    """Every length of time in ``text``: ``two weeks``, ``14-day``, ``a full month``, ``half a year``."""
    out: list[Duration] = []
    for num in find_numbers(text):
        m = _UNIT_AFTER.match(text, num.end)
        if m is None or num.kind == "money":
            continue
        out.append(_duration(num.value, m.group(1), num.start, m.end()))
    for m in _BARE_UNIT.finditer(text):
        if any(d.start <= m.start() < d.end for d in out):
            continue
        unit = m.group("unit") or m.group("fortnight")
        if unit is None:
            out.append(Duration(6.0, "month", m.start(), m.end()))
        else:
            out.append(_duration(1.5 if m.group("half") else 1.0, unit, m.start(), m.end()))
    return tuple(sorted(out, key=lambda d: d.start))


def _duration(amount: float, unit_word: str, start: int, end: int) -> Duration:
    unit = _UNIT_WORDS[unit_word.lower()]
    if unit == "fortnight":
        return Duration(amount * 14, "day", start, end)
    return Duration(amount, unit, start, end)
