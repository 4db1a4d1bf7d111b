"""The claim checker: every reader run over a salesman turn, results cached per text and plan."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

from aisalesman.core.product import Plan, Product
from aisalesman.core.transcript import Claim
from aisalesman.dialogue.claims.evidence import EvidenceReader
from aisalesman.dialogue.claims.facts import ProductFacts
from aisalesman.dialogue.claims.meanings import MeaningReader
from aisalesman.dialogue.claims.money import read_discounts, read_prices
from aisalesman.dialogue.claims.terms import read_cancellation, read_contracts, read_setup_fees, read_trials
from aisalesman.dialogue.claims.text import Sentence, sentences
from aisalesman.dialogue.embeddings import TextEncoder, encoder
from aisalesman.dialogue.numbers import find_numbers

__all__ = ["SLOTS", "ClaimChecker", "claim_checker"]

#: The kinds of claim the checker reports.
SLOTS = ("price", "discount", "trial", "contract", "cancellation", "setup_fee", "evidence", "non_feature", "feature")
_TERM_SLOTS = frozenset(SLOTS[:6])
_CACHE_SIZE = 8192

_Reader = Callable[[ProductFacts, Sentence, Plan | None], Iterator[Claim]]
#: Figures are read in this order; each marks the spans it read so that a later reader does
#: not read a discount's amount as a price, or a price's period as a contract.
_TERM_READERS: tuple[_Reader, ...] = (read_discounts, read_prices, read_setup_fees, read_trials, read_cancellation,
                                      read_contracts)


class ClaimChecker:
    """Finds the factual claims in salesman text and judges each against one product.

    Args:
        product: The knowledge base.
        encoder: A :class:`~aisalesman.dialogue.embeddings.TextEncoder` for non-features by
            meaning; None reads non-features and features by their names and aliases only.
        examples: Labelled claim sentences about this product, ``(text, valid, slot)``, that
            widen the phrasings of its non-features and train its non-feature classifier (see
            :class:`~aisalesman.dialogue.claims.meanings.MeaningReader`).
        negatives: Salesman turns about this product that claim no non-feature (more
            "none" examples for that classifier).
    """

    def __init__(self, product: Product, encoder: TextEncoder | None = None,
                 examples: tuple[tuple[str, bool, str], ...] = (), negatives: tuple[str, ...] = ()) -> None:
        self.product = product
        self.encoder = encoder
        self.facts = ProductFacts(product)
        self.evidence = EvidenceReader(self.facts)
        self.meanings = MeaningReader(product, encoder, examples, negatives)
        self._echo = self._echoes()
        self._cache: dict[tuple[str, str | None], tuple[Claim, ...]] = {}

    def check(self, text: str, *, plan: str | None = None) -> tuple[Claim, ...]:
        """Every claim in ``text`` with its verdict.

        Args:
            text: One salesman turn.
            plan: The key of the plan under discussion (from earlier turns): a price or an
                amount off that names no plan is read as being about it.
        """
        key = (text, plan)
        hit = self._cache.get(key)
        if hit is None:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            context = next((p for p in self.product.plans if p.key == plan), None)
            hit = self._cache[key] = self._scan(text, context)
        return hit

    def _scan(self, text: str, context: Plan | None) -> tuple[Claim, ...]:
        said = [self.facts.sentence(s, source) for s, source in sentences(text)]
        claims = self._read_terms(said, context)
        # a false term that is also a known non-feature ("no contract at all") claims both
        claims += [Claim("non_feature", self._echo[(c.kind, c.value)], "asserted", False, c.span, c.expected)
                   for c in claims if not c.valid and (c.kind, c.value) in self._echo]
        # a clause read as a term, or as an evidence figure, needs no reading by meaning
        explained = tuple(c.span for c in claims if c.kind in _TERM_SLOTS or (c.kind == "evidence" and find_numbers(c.value)))
        claims.extend(self.meanings.read(said, explained=explained))
        return tuple(dict.fromkeys(claims))

    def _read_terms(self, said: list[Sentence], context: Plan | None) -> list[Claim]:
        """Everything but features and non-features: figures and terms, sentence by sentence."""
        claims: list[Claim] = []
        for s in said:
            for reader in _TERM_READERS:
                claims.extend(reader(self.facts, s, context))
            claims.extend(self.evidence.read(s, context))
            if s.plans:  # "Starter's our entry plan. It's $49 a month."
                context = s.plans[-1][2]
        return claims

    def _echoes(self) -> dict[tuple[str, str], str]:
        """The false term claims each non-feature's own phrasings make (``no_contract``:
        "there is no contract at all" reads as a contract of 0 months)."""
        out = {}
        for n in self.product.non_features:
            for text in (n.claim, *n.aliases):
                for c in self._read_terms([Sentence(text, [])], None):
                    if not c.valid:
                        out.setdefault((c.kind, c.value), n.key)
        return out


#: The reading-set splits whose claim lines a checker learns non-feature phrasings from
#: (never ``test``).
EXAMPLE_SPLITS = ("train", "dev")


@lru_cache(maxsize=8)
def _examples(splits: tuple[str, ...]) -> dict[str, tuple[tuple[tuple[str, bool, str], ...], tuple[str, ...]]]:
    """Per product key: its labelled claim sentences and its salesman act turns in ``splits``."""
    from aisalesman.dialogue.reading_set import load_reading_set

    claims: dict[str, list[tuple[str, bool, str]]] = {}
    turns: dict[str, list[str]] = {}
    for u in load_reading_set(splits) if splits else ():
        if u.kind == "claim" and u.product:
            claims.setdefault(u.product, []).append((u.text, bool(u.valid), u.slot or "none"))
        elif u.role == "salesman" and u.product:
            turns.setdefault(u.product, []).append(u.text)
    return {k: (tuple(claims.get(k, ())), tuple(turns.get(k, ()))) for k in {*claims, *turns}}


@lru_cache(maxsize=64)
def claim_checker(product: Product, encoder_name: str | None = "minilm",
                  examples: tuple[str, ...] = EXAMPLE_SPLITS) -> ClaimChecker:
    """A shared checker per product (products are immutable and hashable).

    Args:
        product: The knowledge base.
        encoder_name: The text encoder for non-features by meaning (``minilm``, the
            contextual model, or ``static``), or None for names and aliases only.
        examples: The reading-set splits whose labelled claims about this product (by its
            key) widen its non-features' phrasings and train its non-feature classifier (with
            the splits' salesman turns about it as negatives); ``()`` for the knowledge base's
            own phrasings only.
    """
    if not encoder_name:
        return ClaimChecker(product)
    labelled, turns = _examples(tuple(examples)).get(product.key, ((), ()))
    return ClaimChecker(product, encoder(encoder_name), labelled, turns)
