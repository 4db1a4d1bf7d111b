"""Which known non-feature a sentence is about, learned from labelled sentences.

The nearest-phrasing rule in :mod:`.meanings` reads a non-feature only when a clause is close
to one way of saying it. Salesmen say them in far more ways than any list holds ("a flooded
kitchen is exactly the kind of thing we pay for", "nothing comes off the top when we settle"),
so a classifier per product learns the topic from the reading set's labelled claim sentences
about that product (``train`` and ``dev``, never ``test``): the classes are "none" and each
non-feature; a sentence labelled ``non_feature``, true (a denial) or false, is about the
non-feature its nearest knowledge-base phrasing names, and every other claim sentence, each
feature's pitch and name, the product's evidence and steps, and the salesman turns of the
reading set about the product are about none. Features are word 1-2-gram TF-IDF and the
sentence's embedding, with the product's names masked as "us" (so that naming the product is
not evidence of any claim). Whether the sentence asserts or denies the non-feature is then read
as for any other clause, by negation (:meth:`MeaningReader._nf_claim`): a linear model learned
from these few denials judged polarity worse than that rule (cross-fitted on train and dev it
flagged 17 more of 436 true sentences to find 9 more of 578 false ones).

Fitting takes a second or two per product once the training sentences are embedded; their
embeddings are cached per encoder and data in the user cache, like the learned reader's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from aisalesman.core.product import Product
from aisalesman.core.seeding import global_random_kept
from aisalesman.dialogue.claims.facts import name_pattern
from aisalesman.dialogue.claims.text import cues, normalise

with global_random_kept():  # scikit-learn's import chain draws from Python's global generator
    import sklearn.feature_extraction.text  # noqa: F401
    import sklearn.linear_model  # noqa: F401

__all__ = ["NONE", "NonFeatureClassifier"]

NONE = "none"
#: Inverse regularisation of the logistic regression (set on dev, fitted on train).
_C = 4.0
_MIN_DF = 2


class NonFeatureClassifier:
    """A product's non-feature topic classifier (see the module docstring).

    Args:
        product: The knowledge base (its non-features are the classes).
        encoder: The sentence encoder.
        examples: ``(text, valid, slot)`` labelled sentences about this product; slot
            ``non_feature`` marks a sentence about a non-feature (asserted or denied).
        negatives: Further sentences about the product that claim no non-feature.
    """

    def __init__(self, product: Product, encoder, examples: Sequence[tuple[str, bool, str]],
                 negatives: Sequence[str] = ()) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.encoder = encoder
        self._names = name_pattern(product)
        kb = [(n.key, t) for n in product.non_features for t in (n.claim, *n.aliases, *n.paraphrases)]
        texts = [self.prepare(t) for _, t in kb]
        labels = [k for k, _ in kb]
        others = [*(t for f in product.features for t in (f.pitch, f.name, *f.aliases)), *product.evidence,
                  *product.operational_steps, *cues()["contrast_prototypes"], *negatives]
        texts += [self.prepare(t) for t in others]
        labels += [NONE] * len(others)
        about = [self.prepare(t) for t, _, slot in examples if slot == "non_feature"]
        kb_vecs = self._embed(texts[:len(kb)])
        if about:
            nearest = np.argmax(self._embed(about) @ kb_vecs.T, axis=1)
            labels += [kb[int(i)][0] for i in nearest]
            texts += about
        rest = [self.prepare(t) for t, _, slot in examples if slot != "non_feature"]
        texts += rest
        labels += [NONE] * len(rest)
        self.words = TfidfVectorizer(ngram_range=(1, 2), min_df=_MIN_DF, sublinear_tf=True, dtype=np.float32).fit(texts)
        self.model = LogisticRegression(C=_C, max_iter=3000, class_weight="balanced").fit(
            self._features(texts, self._embed(texts)), labels)
        self.classes = [str(c) for c in self.model.classes_]

    def prepare(self, text: str) -> str:
        """Lower case, plain punctuation, the product's names as "us"."""
        return self._names.sub("us", normalise(text))

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Embeddings of training texts, from the user cache when computed before."""
        from aisalesman.dialogue.embeddings import cache_dir, load_cached_array, save_cached_array

        key = hashlib.sha256("\0".join([self.encoder.name, getattr(self.encoder, "digest", ""), *texts]).encode())
        path = cache_dir() / f"nonfeature-{self.encoder.name}-{key.hexdigest()[:20]}.npy"
        rows = load_cached_array(path, (len(texts), self.encoder.dim))
        if rows is None:
            rows = self.encoder.encode(texts)
            save_cached_array(path, rows)
        return rows

    def _features(self, texts: list[str], vecs: np.ndarray):
        from scipy.sparse import csr_matrix, hstack

        return hstack([self.words.transform(texts), csr_matrix(vecs)], format="csr")

    def proba(self, texts: list[str]) -> np.ndarray:
        """``P[i, j]``: the probability that ``texts[i]`` (already :meth:`prepare`-d) is about ``classes[j]``."""
        if not texts:
            return np.zeros((0, len(self.classes)))
        return self.model.predict_proba(self._features(texts, self.encoder.encode(texts)))
