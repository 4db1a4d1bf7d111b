"""Factual claims in salesman text, read by meaning and checked against a product.

:class:`ClaimChecker` finds what a salesman states about a product, however it is worded,
and judges each statement against the knowledge base (:class:`~aisalesman.core.product.Product`):

- figures (:mod:`.money`, :mod:`.terms`, read with :mod:`aisalesman.dialogue.numbers`, in
  digits or words): prices with their billing period bound to the plan named in the
  sentence (or the plan under discussion); discounts as a percentage, a fraction, money off
  or a waived setup fee; trial, contract, notice and cooling-off lengths; setup fees;
- terms by general cue phrases (``aisalesman/dialogue/data/claim_meanings.yaml``) with
  clause-level negation: "no minimum term", "cancel whenever you like", "leaving early costs
  nothing", "no setup fee", "you can't cancel until the year is up";
- social proof (:mod:`.evidence`): figures and superlatives matched to the evidence line
  they paraphrase;
- known non-features by meaning (:mod:`.meanings`): candidate clauses are embedded with a
  contextual sentence encoder and compared with each non-feature's claim, aliases and
  paraphrases (knowledge-base data), against the product's features and contrast phrasings;
  a clause negated unlike the phrasing it resembles denies the non-feature and is true.

Everything product-specific comes from the product file. Results are cached per (text,
plan). Reconstruction: the paper does not say how claims are recognised; this checker, its
cue phrases and its thresholds (set on the train and dev splits of the reading set) are ours.
"""

from aisalesman.dialogue.claims.checker import SLOTS, ClaimChecker, claim_checker

__all__ = ["SLOTS", "ClaimChecker", "claim_checker"]
