"""The ``lexicon`` reader: today's cue phrases (``data/lexicon.yaml``), kept for comparison.

It recognises an act only when one of its listed phrases occurs, so it reads the project's own
templates well and free text poorly; ``aisalesman reader eval --reader lexicon`` measures how
poorly. Claims are checked by the alias-based :class:`~aisalesman.dialogue.lexicon.ClaimChecker`.
"""

from __future__ import annotations

from aisalesman.core.product import Product
from aisalesman.core.transcript import Claim
from aisalesman.dialogue import lexicon
from aisalesman.dialogue.reading import CustomerReading, ReaderBase, SalesReading

__all__ = ["LexiconReader"]


class LexiconReader(ReaderBase):
    """Cue-phrase reading of both roles (regular expressions, no model)."""

    name = "lexicon"

    def _salesman(self, texts: list[str]) -> list[SalesReading]:
        out = []
        for t in texts:
            r = lexicon.read_salesman(t)
            out.append(SalesReading.of(r.acts, r.answers, lexicon.mentioned_needs(t)))
        return out

    def _customer(self, texts: list[str]) -> list[CustomerReading]:
        out = []
        for t in texts:
            r = lexicon.read_customer(t)
            out.append(CustomerReading.of(r.acts, r.objection, lexicon.mentioned_needs(t)))
        return out

    def claims(self, text: str, product: Product, *, plan: str | None = None) -> tuple[Claim, ...]:
        return lexicon.claim_checker(product).check(text)
