"""Features and known non-features, read by phrasing and by meaning.

A clause that contains a feature's or non-feature's name or alias (as a phrase, or as all of
its content words in any order) mentions it outright. The other clauses that might assert
something are embedded in one batch per text: not a question, a condition, small talk,
sympathy ("I understand not wanting to be locked in") or a wish, and not already explained by
a feature's alias or by another reader's claim (a price, a trial). A sentence whose meaning
may be spread over clauses, or that states a condition and what we provide for it ("if the
shop floods, you're covered"), is embedded whole as well. Each is compared with every
phrasing the knowledge base gives: each non-feature's claim, aliases and paraphrases, each
feature's pitch, name and aliases, product-independent contrast phrasings (a price, a trial,
small talk) and the product's own true statements. A clause reads as a non-feature when its
nearest phrasing is one of that non-feature's, close enough and ahead of every other meaning
by a margin.

Polarity comes from the nearest phrasing: a clause negated where the phrasing is not ("we
don't deliver"), or the other way round ("there is an excess" against "you never pay an
excess"), denies the non-feature and is true; so does a clause saying that something is
provided elsewhere ("you'd need separate motor insurance"). A non-feature about something
costing nothing (one whose claim or aliases say so: "free roaming", "zero excess") is read by
what the clause says it costs: "at no extra cost" and "you won't pay a cent" assert it, "isn't
free" and "costs extra" deny it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from aisalesman.core.product import Product
from aisalesman.core.transcript import Claim
from aisalesman.dialogue.claims.facts import name_pattern
from aisalesman.dialogue.claims.learned import NONE, NonFeatureClassifier
from aisalesman.dialogue.claims.text import Sentence, clauses, cue, cues, is_condition, negated, normalise, words
from aisalesman.dialogue.claims.text import sentences as split_sentences
from aisalesman.dialogue.embeddings import TextEncoder

__all__ = ["MeaningReader"]

#: Per encoder: a non-feature is read in a clause at least this similar to one of its
#: phrasings whose similarity beats every other meaning's by the margin (cosine; set on the
#: train and dev splits). A feature needs ``_FEATURE_MIN``.
_THRESHOLDS = {"static": (0.65, 0.1), "minilm": (0.5, 0.05)}
_FEATURE_MIN = {"static": 0.62, "minilm": 0.6}
#: A labelled example's clause becomes a phrasing of the non-feature it is nearest to when at
#: least this similar to one of that non-feature's knowledge-base phrasings.
_EXAMPLE_MIN = 0.35
#: The learned classifier (:mod:`.learned`) reads a non-feature in a sentence at least this
#: likely to be about it (set on dev, fitted on train).
_TOPIC_MIN = 0.5
#: ... and vetoes a non-feature the nearest phrasings read in a sentence less likely than this
#: to be about it.
_TOPIC_VETO = 0.25


@dataclass(frozen=True, slots=True)
class _Phrasing:
    """One way of saying a meaning, with the polarity it is said with."""

    kind: str  # non_feature, feature, contrast
    key: str
    text: str
    negated: bool


def _cost_sign(text: str) -> bool:
    """Negated XOR saying something costs nothing: "roaming is free", "there is no excess"
    and "you never pay an excess" are all True; "roaming costs extra" is False."""
    low = normalise(text)
    return negated(low) != bool(cue("zero_cost").search(low))


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A clause (or a whole sentence) to read by meaning."""

    text: str
    span: str
    sentence: int
    whole: bool
    asserted: str = ""  # of a whole sentence: its clauses less any condition


class MeaningReader:
    """Reads features and non-features for one product.

    Args:
        product: The knowledge base.
        encoder: The sentence encoder for reading by meaning; None reads names and aliases only.
        examples: Labelled claim sentences about this product, ``(text, valid, slot)`` (the
            reading set's ``train`` and ``dev`` lines): the clause of each false non-feature
            claim that says it becomes one more phrasing of the non-feature it is nearest to
            (see :meth:`table`).
    """

    def __init__(self, product: Product, encoder: TextEncoder | None,
                 examples: tuple[tuple[str, bool, str], ...] = (), negatives: tuple[str, ...] = ()) -> None:
        self.product = product
        self.encoder = encoder
        self.labelled = examples
        self.negatives = negatives
        self.examples = tuple(e for e in examples if not e[1] and e[2] == "non_feature")
        self._classifier: NonFeatureClassifier | None = None
        self.phrasings = self._phrasings(product)
        self._aliases = self._alias_patterns(product)
        self._claims = {n.key: n.claim for n in product.non_features}
        # per non-feature about cost: the sign (negated XOR costs nothing) its claim is made with
        self._cost_sign = {n.key: _cost_sign(n.claim) for n in product.non_features
                           if any(cue("zero_cost").search(normalise(t)) for t in (n.claim, *n.aliases))}
        self._kinds = np.array([p.kind for p in self.phrasings])
        self._keys = np.array([f"{p.kind}:{p.key}" for p in self.phrasings])
        self._table: np.ndarray | None = None
        name = getattr(encoder, "name", "minilm")
        self._least, self._margin = _THRESHOLDS.get(name, _THRESHOLDS["minilm"])
        self._feature_min = _FEATURE_MIN.get(name, _FEATURE_MIN["minilm"])

    @staticmethod
    def _phrasings(p: Product) -> list[_Phrasing]:
        def phrasing(kind: str, key: str, text: str, polar: str | None = None) -> _Phrasing:
            return _Phrasing(kind, key, text, negated(normalise(polar or text)))

        # an alias is a name ("zero excess"), said with the polarity of its non-feature's claim
        rows = [phrasing("non_feature", n.key, t, n.claim if t in n.aliases else None)
                for n in p.non_features for t in (n.claim, *n.aliases, *n.paraphrases)]
        rows += [phrasing("feature", f.key, t) for f in p.features for t in (f.pitch, f.name, *f.aliases)]
        rows += [phrasing("contrast", "", t) for t in (*cues()["contrast_prototypes"], *p.evidence,
                                                       *p.operational_steps, p.terms.cancellation, p.description,
                                                       p.category, *(pl.name for pl in p.plans))]
        return rows

    @staticmethod
    def _alias_patterns(product: Product) -> list[tuple[str, str, re.Pattern[str], frozenset[str]]]:
        """Each feature / non-feature name as a phrase and as a bag of content words.

        A name of two or more content words also matches when all of them occur in a clause
        in any order ("new till hardware that we install at no charge" for "free till"),
        "free" being any way of saying something costs nothing.
        """
        out = []
        names = [("feature", f.key, a) for f in product.features for a in (f.name, *f.aliases)]
        names += [("non_feature", n.key, a) for n in product.non_features for a in (n.claim, *n.aliases)]
        for kind, key, text in names:
            bag = frozenset(words(cue("negators").sub(" ", text.lower())))
            out.append((kind, key, re.compile(rf"\b{re.escape(text.lower())}\b"), bag if len(bag) >= 2 else frozenset()))
        return out

    def alias_hits(self, clause: str) -> list[tuple[str, str]]:
        said = words(clause) | ({"free"} if cue("zero_cost").search(clause) else set())
        return [(kind, key) for kind, key, pattern, bag in self._aliases if pattern.search(clause) or (bag and bag <= said)]

    def table(self) -> np.ndarray:
        """Embeddings of every phrasing, computed on first use (with the examples' phrasings)."""
        if self._table is None:
            assert self.encoder is not None
            self._table = self.encoder.encode([p.text for p in self.phrasings])
            if self.examples:
                self._learn_examples()
            if self.labelled and self.product.non_features:
                self._classifier = NonFeatureClassifier(self.product, self.encoder, self.labelled, self.negatives)
        return self._table

    def _learn_examples(self) -> None:
        """Each false non-feature example's clause nearest to a non-feature's phrasings, added
        as a phrasing of that non-feature (said with the clause's own polarity), when it is at
        least ``_EXAMPLE_MIN`` similar: the knowledge base's few paraphrases, widened by the
        ways people were seen to say it. An example for another product's non-features (a
        product file edited since the reading set was labelled) matches none and is dropped."""
        assert self._table is not None and self.encoder is not None
        mine = np.flatnonzero(self._kinds == "non_feature")
        if not len(mine):
            return
        pieces: list[tuple[int, str]] = []
        # "... comes gratis with bistroboost": the product's name would make every clause naming it
        # look like this non-feature, so an example's names become "us"
        naming = name_pattern(self.product)
        for i, (text, _, _) in enumerate(self.examples):
            for said, _ in split_sentences(text):
                low = naming.sub("us", normalise(said))
                pieces += [(i, low[a:b].strip(" ,.;:!?")) for a, b in clauses(low)]
                pieces.append((i, low.strip(" ,.;:!?")))
        pieces = [(i, t) for i, t in pieces if len(words(t)) >= 2]
        if not pieces:
            return
        vecs = self.encoder.encode([t for _, t in pieces])
        sims = vecs @ self._table[mine].T
        best: dict[int, tuple[float, int, int]] = {}
        for j, (i, _) in enumerate(pieces):
            k = int(np.argmax(sims[j]))
            if sims[j, k] >= _EXAMPLE_MIN and sims[j, k] > best.get(i, (-1.0, 0, 0))[0]:
                best[i] = (float(sims[j, k]), j, k)
        added = [(j, self.phrasings[mine[k]].key) for _, j, k in best.values()]
        self.phrasings = self.phrasings + [_Phrasing("non_feature", key, pieces[j][1], negated(pieces[j][1]))
                                           for j, key in added]
        self._table = np.vstack([self._table, vecs[[j for j, _ in added]]]) if added else self._table
        self._kinds = np.array([p.kind for p in self.phrasings])
        self._keys = np.array([f"{p.kind}:{p.key}" for p in self.phrasings])

    def read(self, sentences: list[Sentence], *, explained: tuple[str, ...] = ()) -> Iterator[Claim]:
        """Features and non-features: by phrasing, then by embedding (one batch per text).

        Args:
            sentences: The text's sentences.
            explained: The spans of the claims other readers found (a price, a trial): a
                clause that is one of them is not read by meaning.
        """
        seen: set[tuple[str, str]] = set()
        pending: list[_Candidate] = []
        done = tuple(normalise(e) for e in explained)
        for n, s in enumerate(sentences):
            yield from self._by_name(n, s, seen, pending, done)
        topics = self._topics(sentences) if self.encoder is not None and self.labelled else {}
        if pending:
            for claim, n in self._by_meaning(pending, seen):
                if not self._vetoed(claim, topics.get(n)):
                    yield claim
        if topics:
            yield from self._by_classifier(sentences, topics, seen)

    def _topics(self, sentences: list[Sentence]) -> dict[int, np.ndarray]:
        """Per statement (not a question), the learned classifier's probabilities over its
        classes; empty without a classifier. One batch per text, shared by the veto and the
        classifier's own readings."""
        self.table()
        clf = self._classifier
        said = [n for n, s in enumerate(sentences) if not s.question]
        if clf is None or not said:
            return {}
        return dict(zip(said, clf.proba([clf.prepare(sentences[n].low) for n in said]), strict=True))

    def _vetoed(self, claim: Claim, topic: np.ndarray | None) -> bool:
        """A non-feature read by meaning in a sentence the learned classifier finds less than
        ``_TOPIC_VETO`` likely to be about it: the phrasings learned from examples are many, and
        some lie near ordinary talk ("you're free to go" near "a free till")."""
        if claim.kind != "non_feature" or topic is None:
            return False
        return float(topic[self._classifier.classes.index(claim.key)]) < _TOPIC_VETO

    def _by_name(self, n: int, s: Sentence, seen: set[tuple[str, str]], pending: list[_Candidate],
                 done: tuple[str, ...]) -> Iterator[Claim]:
        """The names and aliases said in sentence ``n``; its clauses left to read by meaning
        are added to ``pending`` (with the whole sentence, when its meaning may be spread)."""
        conditions = [(a, b) for a, b in s.clauses if is_condition(s.low[a:b])]
        # a condition is not asserted; a sentence it opens is, as a whole, only when its main
        # clause says we provide for it ("if your van is damaged, we cover it"), whether or not
        # a comma ends the condition ("if the shop floods you're covered")
        main = [cue("consequence").search(s.low, a + (len(s.low[a:b]) // 3 if (a, b) in conditions else 0), b)
                for a, b in s.clauses]
        provided = bool(conditions) and any(main)
        asserted = "".join(s.low[m.start() : b] if m and (a, b) in conditions else "" if (a, b) in conditions
                           else s.low[a:b] for (a, b), m in zip(s.clauses, main, strict=True))
        mine = 1 if provided else -99 if conditions and conditions[0][0] == 0 else 0
        for a, b in s.clauses:
            clause = s.low[a:b]
            if (a, b) in conditions:
                continue
            hits = self.alias_hits(clause)
            for kind, key in hits:
                if (kind, key) not in seen:
                    seen.add((kind, key))
                    yield self._alias_claim(kind, key, clause, s.span(a, b))
            bare = clause.strip(" ,.;:!?")
            if (self.encoder is not None and not s.question and self._candidate(clause, hits)
                    and not any(e and (e in bare or bare in e) for e in done)):
                pending.append(_Candidate(clause, s.span(a, b), n, False))
                mine += 1
        if self.encoder is not None and not s.question and (mine >= 2 or provided):
            pending.append(_Candidate(s.low, s.span(0, len(s.low)), n, True, asserted))

    def _candidate(self, clause: str, hits: list[tuple[str, str]]) -> bool:
        """A clause that may assert a non-feature: long enough, not small talk, naming no
        non-feature outright, and saying more than the name of a feature it mentions."""
        if any(kind == "non_feature" for kind, _ in hits) or any(
                cue(name).search(clause) for name in ("small_talk", "sympathy", "wish")):
            return False
        rest = clause
        for kind, key, pattern, bag in self._aliases:
            if (kind, key) in hits:
                rest = pattern.sub(" ", rest)
                rest = " ".join(w for w in rest.split() if not (words(w) & bag))
        return len(words(rest)) >= (3 if hits else 2)

    def _by_meaning(self, pending: list[_Candidate], seen: set[tuple[str, str]]) -> Iterator[tuple[Claim, int]]:
        """Each candidate's nearest meaning, when close enough and clear of every other (with its sentence's index)."""
        assert self.encoder is not None
        sims = self.encoder.encode([c.text for c in pending]) @ self.table().T
        for c, row in zip(pending, sims, strict=True):
            for kind in ("non_feature", "feature"):
                mine = np.flatnonzero(self._kinds == kind)
                if not len(mine):
                    continue
                best = int(mine[np.argmax(row[mine])])
                rival = float(np.max(row[self._keys != self._keys[best]], initial=0.0))
                p = self.phrasings[best]
                need = self._least if kind == "non_feature" else self._feature_min
                if (p.kind, p.key) in seen or row[best] < need or row[best] - rival < self._margin:
                    continue
                seen.add((p.kind, p.key))
                if kind == "feature":
                    yield Claim("feature", p.key, "mentioned", True, c.span), c.sentence
                elif c.whole:
                    yield self._whole_claim(c, best, pending, sims), c.sentence
                else:
                    yield self._nf_claim(p, c.text, c.span), c.sentence
                break

    def _by_classifier(self, sentences: list[Sentence], topics: dict[int, np.ndarray],
                       seen: set[tuple[str, str]]) -> Iterator[Claim]:
        """Non-features the learned classifier finds in a statement (at least ``_TOPIC_MIN``
        likely) that neither names nor nearest phrasings read; asserted or denied by the clause
        of the sentence nearest to that non-feature's phrasings."""
        classes = self._classifier.classes
        for n, row in topics.items():
            s = sentences[n]
            for j in np.argsort(-row):
                key = classes[j]
                if row[j] < _TOPIC_MIN:
                    break
                if key == NONE or ("non_feature", key) in seen:
                    continue
                seen.add(("non_feature", key))
                same = np.flatnonzero(self._keys == f"non_feature:{key}")
                parts = [s.low[a:b] for a, b in s.clauses if not is_condition(s.low[a:b])] or [s.low]
                sims = self.encoder.encode(parts) @ self.table()[same].T
                i, k = np.unravel_index(int(np.argmax(sims)), sims.shape)
                yield self._nf_claim(self.phrasings[int(same[k])], parts[int(i)], s.span(0, len(s.low)))

    def _whole_claim(self, c: _Candidate, best: int, pending: list[_Candidate], sims: np.ndarray) -> Claim:
        """A non-feature read from a whole sentence, with the polarity of the clause of it that
        says most of it (or of the sentence less its conditions)."""
        same = np.flatnonzero(self._keys == self._keys[best])
        clauses = [j for j, d in enumerate(pending) if d.sentence == c.sentence and not d.whole]
        j = max(clauses, key=lambda j: float(np.max(sims[j][same])), default=None)
        if j is None:
            return self._nf_claim(self.phrasings[best], c.asserted, c.span, whole=c.text)
        p = self.phrasings[int(same[np.argmax(sims[j][same])])]
        return self._nf_claim(p, pending[j].text, c.span, whole=c.text)

    def _alias_claim(self, kind: str, key: str, clause: str, span: str) -> Claim:
        if kind == "feature":
            return Claim("feature", key, "mentioned", True, span)
        text = self._claims[key]
        return self._nf_claim(_Phrasing(kind, key, text, negated(normalise(text))), clause, span)

    def _nf_claim(self, p: _Phrasing, clause: str, span: str, *, whole: str | None = None) -> Claim:
        """The non-feature asserted, or denied: negated unlike the phrasing it resembles, said
        to be sold separately, or (for a non-feature about cost) said to cost something.
        ``whole`` is the sentence when the meaning was read from it rather than from ``clause``."""
        is_negated = negated(clause)
        free = cue("zero_cost").search(whole or clause)
        if p.key in self._cost_sign and free:
            denied = (is_negated != bool(free)) != self._cost_sign[p.key]
        elif p.key in self._cost_sign and cue("charged").search(clause):
            denied = not is_negated
        else:
            denied = is_negated != p.negated or (not is_negated and bool(cue("elsewhere").search(clause)))
        return Claim("non_feature", p.key, "denied" if denied else "asserted", denied, span,
                     "" if denied else f"not: {self._claims[p.key]}")
