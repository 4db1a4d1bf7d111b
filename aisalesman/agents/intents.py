"""Intent classifiers and the next-intent model, all constrained by the stage machine.

- :class:`TfidfIntentClassifier` (the default): what a salesman utterance does. TF-IDF over
  character n-grams (so Chinese needs no tokeniser) and a logistic regression, trained on
  corpus turns labelled with an intent (or with acts, whose primary act is the intent).
- :class:`LLMIntentClassifier` (optional): the same question put to any chat model, with the
  legal intents listed in the prompt and the answer validated; unusable answers fall back to
  another classifier and are counted.
- :class:`NextIntentModel`: what the salesman should do *next*, given the last customer
  utterance, the previous salesman intent and whether an objection is open. It is trained
  on corpus transitions weighted by how likely each dialogue really succeeded, so it learns
  the moves of successful calls; DOGA uses it to choose each turn's intent.

Every prediction is restricted to the intents the stage machine allows at that point.

**Our reconstruction.** The paper classifies the current sales intent under a finite-state
machine; its classifier was not available. The TF-IDF + logistic-regression models, their
features and the success weighting of the next-intent model are our choices.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from aisalesman.core.errors import ConfigError, LLMError
from aisalesman.core.llm.base import ChatModel, ChatRequest, SamplingParams, run_sync
from aisalesman.core.llm.untrusted import clip
from aisalesman.core.prompts import PromptSet
from aisalesman.core.seeding import global_random_kept
from aisalesman.core.types import Role
from aisalesman.dialogue.stages import StageMachine, default_stage_machine

__all__ = ["IntentPrediction", "LLMIntentClassifier", "NextIntentModel", "TfidfIntentClassifier",
           "labelled_turns", "transitions"]

START = "start"  # the "previous intent" before the salesman's first turn


with global_random_kept():  # scikit-learn's import chain draws from Python's global generator
    import sklearn.cluster  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401
    import sklearn.linear_model  # noqa: F401


class IntentPrediction(NamedTuple):
    intent: str
    capability: str | None
    confidence: float


def _vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=1, sublinear_tf=True, max_features=40000)


def _fit_regression(x: Any, y: Sequence[str], sample_weight: Sequence[float] | None = None):
    """A fitted logistic regression, fitted on one thread: on problems this small, BLAS and OpenMP
    threads on a busy machine made fitting ten times slower, and the thread count changed the
    last bits of the coefficients."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return LogisticRegression(C=4.0, max_iter=2000).fit(x, list(y), sample_weight=sample_weight)


def _restricted(classes: Sequence[str], proba: np.ndarray, legal: Iterable[str] | None,
                machine: StageMachine) -> IntentPrediction:
    legal = tuple(classes) if legal is None else tuple(legal)
    scores = [(p, c) for c, p in zip(classes, proba, strict=True) if c in legal]
    if not scores:  # nothing the model knows is legal: the first legal intent, with no confidence
        if not legal:
            raise ConfigError("no intent is legal here")
        return IntentPrediction(legal[0], machine.capability(legal[0]), 0.0)
    total = sum(p for p, _ in scores) or 1.0
    p, c = max(scores, key=lambda s: s[0])  # max keeps the first of equals, in class order
    return IntentPrediction(c, machine.capability(c), float(p / total))


def labelled_turns(dialogues: Iterable[Any], machine: StageMachine | None = None) -> list[tuple[str, str]]:
    """``(text, intent)`` for every salesman turn whose intent is known (declared or from acts)."""
    machine = machine or default_stage_machine()
    out = []
    for d in dialogues:
        for t in d.turns:
            if t.speaker != Role.SALESMAN:
                continue
            intent = t.intent if t.intent in machine.intents else machine.primary(t.acts)
            if intent is not None:
                out.append((t.text, intent))
    return out


class TfidfIntentClassifier:
    """What a salesman utterance does (see the module docstring)."""

    def __init__(self, machine: StageMachine | None = None) -> None:
        self.machine = machine or default_stage_machine()
        self._vec = None
        self._clf = None
        self.classes: tuple[str, ...] = ()

    def fit(self, texts: Sequence[str], intents: Sequence[str]) -> TfidfIntentClassifier:
        if len(set(intents)) < 2:
            raise ConfigError(f"an intent classifier needs examples of at least two intents, got {sorted(set(intents))}")
        unknown = sorted(set(intents) - set(self.machine.intents))
        if unknown:
            raise ConfigError(f"intents {unknown} are not in the stage machine")
        self._vec = _vectorizer()
        self._clf = _fit_regression(self._vec.fit_transform(texts), intents)
        self.classes = tuple(self._clf.classes_)
        return self

    @classmethod
    def from_examples(cls, examples: Sequence[tuple[str, str]], machine: StageMachine | None = None) -> TfidfIntentClassifier:
        return cls(machine).fit([t for t, _ in examples], [i for _, i in examples])

    @classmethod
    def from_fitted(cls, vectorizer: Any, regression: Any, machine: StageMachine | None = None) -> TfidfIntentClassifier:
        """A trained classifier from a fitted vectorizer and regression (e.g. rebuilt from a library file)."""
        out = cls(machine)
        out._vec, out._clf, out.classes = vectorizer, regression, tuple(regression.classes_)
        return out

    @property
    def fitted(self) -> tuple[Any, Any]:
        """The fitted ``(vectorizer, regression)``."""
        if self._clf is None:
            raise ConfigError("the intent classifier is not trained")
        return self._vec, self._clf

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        if self._clf is None:
            raise ConfigError("the intent classifier is not trained")
        return self._clf.predict_proba(self._vec.transform(texts))

    def classify(self, text: str, legal: Iterable[str] | None = None) -> IntentPrediction:
        return _restricted(self.classes, self.proba([text])[0], legal, self.machine)

    def classify_many(self, texts: Sequence[str]) -> list[str]:
        """The most likely intent of each text, in one pass (no stage-machine restriction)."""
        if not texts:
            return []
        return [self.classes[i] for i in self.proba(texts).argmax(axis=1)]


class LLMIntentClassifier:
    """Asks a chat model which legal intent an utterance has (template ``prompts/intent_classifier.md``).

    The answer must be JSON ``{"intent": "<one of the legal intents>"}``; one repair prompt
    is tried, then ``fallback`` (a :class:`TfidfIntentClassifier`) answers and
    ``fallbacks`` counts it. Without a fallback the failure is an :class:`LLMError`.
    """

    def __init__(self, model: ChatModel, machine: StageMachine | None = None, *,
                 fallback: TfidfIntentClassifier | None = None, prompt_dir: str | None = None, seed: int = 0) -> None:
        self.model = model
        self.machine = machine or default_stage_machine()
        self.fallback = fallback
        self.prompts = PromptSet(__package__, prompt_dir)
        self.seed = seed
        self.calls = 0
        self.fallbacks = 0

    def _parse(self, text: str, legal: Sequence[str]) -> str | None:
        start, end = text.find("{"), text.rfind("}")  # not a regex: r"\{.*\}" is quadratic on "{{{{..."
        if 0 <= start < end:
            try:
                value = json.loads(text[start:end + 1]).get("intent")
            except (json.JSONDecodeError, RecursionError, AttributeError):
                value = None
        else:
            value = text.strip().strip('"').strip()
        return value if isinstance(value, str) and value in legal else None

    async def aclassify(self, text: str, legal: Iterable[str] | None = None) -> IntentPrediction:
        legal = tuple(legal) if legal is not None else self.machine.intents
        listing = "\n".join(f"- {i} ({self.machine.capability(i)})" for i in legal)
        messages = [{"role": "system", "content": self.prompts.render("intent_classifier.md", intents=listing)},
                    {"role": "user", "content": text}]
        for _attempt in range(2):
            c = await self.model.acomplete(ChatRequest(tuple(messages), SamplingParams(0.0, 1.0, 40, (), self.seed)))
            self.calls += 1
            intent = self._parse(c.text, legal)
            if intent is not None:
                return IntentPrediction(intent, self.machine.capability(intent), 1.0)
            messages += [{"role": "assistant", "content": clip(c.text, 2000)},  # a bounded quote of a bad answer
                         {"role": "user", "content": 'Answer with JSON only: {"intent": "<one of the listed intents>"}.'}]
        if self.fallback is None:
            raise LLMError(f"intent model {self.model.name!r} gave no legal intent for {text[:60]!r}")
        self.fallbacks += 1
        return self.fallback.classify(text, legal)

    def classify(self, text: str, legal: Iterable[str] | None = None) -> IntentPrediction:
        return run_sync(self.model, self.aclassify(text, legal))


@dataclass(frozen=True)
class Transition:
    """One corpus example for the next-intent model."""

    previous: str
    context: str
    objection_open: bool
    intent: str
    weight: float

    def key(self) -> tuple[str, str, bool, str]:
        return self.previous, self.context, self.objection_open, self.intent


def transitions(dialogues: Iterable[Any], weights: Mapping[str, float],
                machine: StageMachine | None = None) -> list[Transition]:
    """Salesman moves with what preceded them, each weighted by its dialogue's success weight.

    Identical examples are merged (weights summed); zero-weight examples are dropped.
    """
    machine = machine or default_stage_machine()
    merged: dict[tuple[str, str, bool, str], float] = {}
    for d in dialogues:
        w = float(weights.get(d.id, 0.0))
        if w <= 0:
            continue
        previous, context, open_objection = START, "", False
        for t in d.turns:
            if t.speaker != Role.SALESMAN:
                context, open_objection = t.text, t.objection is not None
                continue
            intent = t.intent if t.intent in machine.intents else machine.primary(t.acts)
            if intent is None:
                continue
            key = (previous, context, open_objection, intent)
            merged[key] = merged.get(key, 0.0) + w
            previous = intent
    return [Transition(p, c, o, i, round(w, 6)) for (p, c, o, i), w in sorted(merged.items())]


class NextIntentModel:
    """Which intent the salesman's next turn should have (see the module docstring)."""

    def __init__(self, machine: StageMachine | None = None) -> None:
        self.machine = machine or default_stage_machine()
        self._vec = None
        self._clf = None
        self.classes: tuple[str, ...] = ()
        self._prev_index = {p: i for i, p in enumerate((START, *self.machine.intents))}

    def _features(self, previous: Sequence[str], contexts: Sequence[str], open_objection: Sequence[bool]):
        from scipy.sparse import csr_matrix, hstack

        rows = len(previous)
        onehot = np.zeros((rows, len(self._prev_index) + 1), dtype=np.float64)
        for r, (p, o) in enumerate(zip(previous, open_objection, strict=False)):
            onehot[r, self._prev_index.get(p, 0)] = 1.0
            onehot[r, -1] = float(o)
        return hstack([self._vec.transform(contexts), csr_matrix(onehot)]).tocsr()

    def fit(self, examples: Sequence[Transition]) -> NextIntentModel:
        if len({e.intent for e in examples}) < 2:
            raise ConfigError("the next-intent model needs successful examples of at least two intents")
        self._vec = _vectorizer().fit([e.context for e in examples])
        x = self._features([e.previous for e in examples], [e.context for e in examples],
                           [e.objection_open for e in examples])
        self._clf = _fit_regression(x, [e.intent for e in examples], [e.weight for e in examples])
        self.classes = tuple(self._clf.classes_)
        return self

    @classmethod
    def from_fitted(cls, vectorizer: Any, regression: Any, previous: Sequence[str],
                    machine: StageMachine | None = None) -> NextIntentModel:
        """A trained model from a fitted vectorizer and regression whose previous-intent one-hot
        columns follow ``previous`` (e.g. rebuilt from a library file)."""
        out = cls(machine)
        out._vec, out._clf, out.classes = vectorizer, regression, tuple(regression.classes_)
        out._prev_index = {p: i for i, p in enumerate(previous)}
        return out

    @property
    def fitted(self) -> tuple[Any, Any, tuple[str, ...]]:
        """The fitted ``(vectorizer, regression, previous intents in one-hot column order)``."""
        if self._clf is None:
            raise ConfigError("the next-intent model is not trained")
        return self._vec, self._clf, tuple(self._prev_index)

    def predict(self, previous: str | None, context: str, *, objection_open: bool,
                legal: Iterable[str]) -> IntentPrediction:
        if self._clf is None:
            raise ConfigError("the next-intent model is not trained")
        x = self._features([previous or START], [context], [objection_open])
        return _restricted(self.classes, self._clf.predict_proba(x)[0], legal, self.machine)
