"""The script library (DESIGN §7): outlines mined from a corpus, with posterior success rates.

Building (:func:`build_library`, ``aisalesman build-library``):

1. **Weights.** Each dialogue gets a success weight ``w`` in [0, 1]: by default its raw
   labels (the mean of its annotators' labels, or its single label); pass ``weights`` (a
   dialogue id -> probability mapping, e.g. the Bayesian posterior of the training issue)
   to use something better. Unlabelled dialogues without a weight are left out.
2. **Intents.** Each salesman turn's intent is the one recorded in the corpus, else the
   primary act of its recorded acts, else a :class:`TfidfIntentClassifier` trained on the
   corpus's labelled turns (or one passed in) labels it.
3. **Outlines.** Turns are abstracted: CRM and knowledge-base values the dialogue's
   persona and product make known become placeholders (``{business_name}``,
   ``{monthly_orders}``, ``{price}``, ``{plan}``, ``{feature_name}``, ...); other money
   amounts, percentages and numbers become ``{amount}``, ``{percent}`` and ``{number}``,
   which nothing fills, so sentences holding them are dropped when the outline is used.
   Turns with a claim the corpus marks false are left out (``exclude_false_claims``).
4. **Clusters.** Per intent, distinct outlines are embedded (TF-IDF by default;
   ``sentence-transformers:<model>`` optional) and clustered (average-linkage cosine,
   ``distance`` threshold). An entry keeps its most-supported outline, variants, the
   customer utterances that preceded it, its support, and a Beta posterior over its
   success: ``alpha = a0 + sum(w)``, ``beta = b0 + sum(1 - w)`` over its turns.

The JSON file is versioned (``format``, ``version``). Besides the entries it holds the fitted
intent classifier and next-intent model as plain numbers (TF-IDF vocabulary and idf weights,
logistic-regression classes, coefficients and intercepts: :mod:`aisalesman.agents.library_format`),
which loading turns back into the same models without fitting them; no pickled model is
ever stored. Versions: 1 held the labelled exemplars and success-weighted transitions instead,
and the models were refitted from them on every load (seconds per process); such files still
load that way, and saving one writes version 2. 2 stores the fitted models.

Retrieval (:meth:`ScriptLibrary.retrieve`) ranks an intent's entries by cosine similarity
between the current customer utterance and the entry's contexts, times posterior success.

**Our reconstruction.** The paper mines a script library from high-converting dialogues; how
it does so was not available. The weighting, the abstraction into placeholders, the clustering,
the Beta posterior per entry and the ranking rule above are our choices.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from aisalesman.agents.intents import NextIntentModel, TfidfIntentClassifier, Transition, labelled_turns, transitions
from aisalesman.agents.library_format import FORMAT, VERSION, LibraryFileV1, LibraryFileV2, dump_models, load_models, read_file
from aisalesman.core.errors import ConfigError, DataFileError
from aisalesman.core.rundir import atomic_write
from aisalesman.core.types import Role
from aisalesman.dialogue.stages import StageMachine, default_stage_machine

__all__ = ["FORMAT", "VERSION", "ScriptEntry", "ScriptLibrary", "abstract", "build_library", "fill_outline",
           "success_weights"]

UNFILLABLE = ("amount", "percent", "number")
_PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)\}")
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")
_MONEY = re.compile(r"(?:[$€£¥]\s?\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s?(?:元|块|dollars|euros|pounds))")
_PERCENT = re.compile(r"\d+(?:\.\d+)?\s?(?:%|percent|％)")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


# ------------------------------------------------------------------ weights, abstraction
def success_weights(dialogues: Iterable[Any], weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """Dialogue id -> success weight: ``weights`` where given, else the raw labels (see the module docstring)."""
    out: dict[str, float] = {}
    for d in dialogues:
        if weights is not None:
            if d.id in weights:
                w = float(weights[d.id])
                if not 0.0 <= w <= 1.0:
                    raise ConfigError(f"weights: dialogue {d.id!r} has weight {w}, outside [0, 1]")
                out[d.id] = w
        elif d.labels:
            out[d.id] = sum(map(bool, d.labels)) / len(d.labels)
        elif d.label is not None:
            out[d.id] = float(bool(d.label))
    return out


@lru_cache(maxsize=4096)
def _known_values(persona_id: str | None, product_key: str | None) -> tuple[tuple[str, str], ...]:
    """``(value, placeholder)`` pairs for the dialogue's persona and product, longest value first."""
    import random

    from aisalesman.core.scenario import Scenario
    from aisalesman.data.loading import builtin_personas_by_id, builtin_product_names, load_product
    from aisalesman.dialogue.realiser import TemplateRealiser

    persona = builtin_personas_by_id().get(persona_id or "")
    if persona is None or product_key not in builtin_product_names():
        return ()
    view = Scenario(persona, load_product(product_key)).salesman_view()
    realiser = TemplateRealiser(view, random.Random(0))
    pairs: dict[str, str] = {}
    p = view.product
    for plan in p.plans:
        for feature in p.features:
            for key, value in realiser.fields(plan, feature).items():
                if key not in ("step", "step2", "evidence", "evidence_cap", "pct", "new_price", "period"):
                    pairs.setdefault(str(value), key)
        for pct in range(5, int(p.max_discount_pct) + 1, 5):
            pairs.setdefault(p.price_text(round(plan.price * (1 - pct / 100), 2)), "new_price")
    pairs[f"{int(p.max_discount_pct)}%"] = "pct%"
    for step in p.operational_steps:
        pairs[step] = "step"
    for e in p.evidence:
        pairs[e] = "evidence"
        pairs[e[:1].upper() + e[1:]] = "evidence_cap"
    pairs[view.crm.name] = "full_name"
    good = [(v, k) for v, k in pairs.items() if len(v) >= 2]
    return tuple(sorted(good, key=lambda vk: (-len(vk[0]), vk[0])))


def abstract(text: str, values: Sequence[tuple[str, str]] = ()) -> str:
    """``text`` with known values replaced by placeholders and other numbers by unfillable ones."""
    if values:
        pattern = re.compile("|".join(rf"(?<!\w){re.escape(v)}(?!\w)" if re.match(r"\w", v[0]) and re.match(r"\w", v[-1])
                                      else re.escape(v) for v, _ in values))
        lookup = dict(values)

        def sub(m: re.Match) -> str:
            key = lookup[m.group(0)]
            return "{pct}%" if key == "pct%" else "{" + key + "}"

        text = pattern.sub(sub, text)
        first, _, rest = text.partition("{step}")  # "{step}, then {step}" names two different steps
        text = first + "{step}" + rest.replace("{step}", "{step2}", 1) if _ else text
    parts = re.split(r"(\{[a-z_0-9]+\})", text)
    for i in range(0, len(parts), 2):  # only outside placeholders
        parts[i] = _NUMBER.sub("{number}", _PERCENT.sub("{percent}", _MONEY.sub("{amount}", parts[i])))
    return "".join(parts)


def fill_outline(outline: str, fields: Mapping[str, Any], *, keep=None) -> str:
    """Fill an outline's placeholders; drop each sentence with one ``fields`` cannot fill.

    ``keep(sentence) -> bool`` may veto filled sentences too (DOGA drops ones with a claim
    the knowledge base contradicts). Returns "" when nothing is left.
    """
    kept = []
    for sentence in _SENTENCE.split(outline):
        if not sentence.strip():
            continue
        names = _PLACEHOLDER.findall(sentence)
        if any(n in UNFILLABLE or n not in fields or fields[n] in (None, "") for n in names):
            continue
        filled = _PLACEHOLDER.sub(lambda m: str(fields[m.group(1)]), sentence).strip()
        if keep is None or keep(filled):
            kept.append(filled)
    joiner = "" if kept and re.search(r"[\u3000-\u9fff]", "".join(kept)) else " "
    return joiner.join(kept)


# ------------------------------------------------------------------ embeddings
class _TfidfEmbedder:
    name = "tfidf"

    def fit(self, docs: Sequence[str]) -> _TfidfEmbedder:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, max_features=40000)
        self._vec.fit(list(docs) or [""])
        return self

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._vec.transform(texts).toarray()


class _SentenceEmbedder:
    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise ConfigError("embedding 'sentence-transformers:...' needs the sentence-transformers package "
                              "(pip install sentence-transformers)") from err
        self.name = f"sentence-transformers:{model}"
        self._model = SentenceTransformer(model)

    def fit(self, docs: Sequence[str]) -> _SentenceEmbedder:
        return self

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._model.encode(list(texts), normalize_embeddings=True), dtype=np.float64)


def _embedder(kind: str):
    if kind == "tfidf":
        return _TfidfEmbedder()
    if kind.startswith("sentence-transformers:"):
        return _SentenceEmbedder(kind.split(":", 1)[1])
    raise ConfigError(f"embedding must be 'tfidf' or 'sentence-transformers:<model>', got {kind!r}")


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


# ------------------------------------------------------------------ the library
@dataclass(frozen=True)
class ScriptEntry:
    """One cluster of similar salesman turns for one intent."""

    id: str
    intent: str
    capability: str | None
    outline: str
    variants: tuple[str, ...]
    support: int
    dialogues: int
    alpha: float
    beta: float
    contexts: tuple[str, ...]

    @property
    def success(self) -> float:
        """Posterior mean success rate."""
        return self.alpha / (self.alpha + self.beta)


@dataclass
class ScriptLibrary:
    """Entries by intent, plus the intent models.

    ``exemplars`` and ``transitions`` are what the intent classifier and the next-intent model
    are fitted from, on first use, in a library just built or read from a version-1 file; a
    version-2 file stores the fitted models instead, and a library read from one has none.
    """

    entries: tuple[ScriptEntry, ...]
    exemplars: tuple[tuple[str, str], ...]
    transitions: tuple[Transition, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    machine: StageMachine = field(default_factory=default_stage_machine)

    def __post_init__(self) -> None:
        unknown = sorted({e.intent for e in self.entries} - set(self.machine.intents))
        if unknown:
            raise ConfigError(f"library entries have intents {unknown} that the stage machine does not know")
        self.by_intent: dict[str, list[ScriptEntry]] = defaultdict(list)
        for e in self.entries:
            self.by_intent[e.intent].append(e)
        self._embedder = None
        self._vectors: dict[str, np.ndarray] = {}
        self._classifier: TfidfIntentClassifier | None = None
        self._next: NextIntentModel | None = None

    # ------------------------------------------------------------ models, fitted on demand unless loaded
    @property
    def intent_classifier(self) -> TfidfIntentClassifier:
        if self._classifier is None:
            self._classifier = TfidfIntentClassifier.from_examples(self.exemplars, self.machine)
        return self._classifier

    @property
    def next_intent_model(self) -> NextIntentModel:
        if self._next is None:
            self._next = NextIntentModel(self.machine).fit(self.transitions)
        return self._next

    def _index(self) -> None:
        self._embedder = _embedder(self.meta.get("embedding", "tfidf")).fit(
            [" ".join(e.contexts) for e in self.entries])
        for intent, entries in self.by_intent.items():
            self._vectors[intent] = _unit(self._embedder.encode([" ".join(e.contexts) for e in entries]))

    def retrieve(self, intent: str, context: str = "", k: int = 3) -> list[tuple[ScriptEntry, float]]:
        """The top ``k`` entries for ``intent``: ``(entry, similarity x posterior success)``, best first.

        With no context (the call's first turn) similarity counts as 1.
        """
        entries = self.by_intent.get(intent, [])
        if not entries:
            return []
        if context.strip():
            if self._embedder is None:
                self._index()
            query = _unit(self._embedder.encode([context]))[0]
            sims = np.clip(self._vectors[intent] @ query, 0.0, 1.0)
        else:
            sims = np.ones(len(entries))
        scored = [(e, float(s) * e.success) for e, s in zip(entries, sims, strict=False)]
        return sorted(scored, key=lambda es: (-es[1], es[0].id))[:k]

    # ------------------------------------------------------------ files
    def to_dict(self) -> dict[str, Any]:
        """The file's content, in the current version: the models are fitted first if need be; one
        with nothing to fit it from (the corpus's turns carried no intents) is stored as null."""
        clf = self.intent_classifier if self._classifier or len({i for _, i in self.exemplars}) > 1 else None
        nxt = self.next_intent_model if self._next or len({t.intent for t in self.transitions}) > 1 else None
        return {
            "format": FORMAT, "version": VERSION, "meta": self.meta,
            "entries": [{**asdict(e), "variants": list(e.variants), "contexts": list(e.contexts)} for e in self.entries],
            "models": dump_models(clf, nxt),
        }

    def save(self, path: str | Path) -> None:
        """Write the JSON file atomically."""
        atomic_write(path, json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path, machine: StageMachine | None = None) -> ScriptLibrary:
        """Read a library file (version 1 or 2); a wrong format, an unknown version or a bad field is a
        one-line error naming the file (and the field)."""
        path = Path(path)
        m = read_file(path)
        try:
            return cls._from_file(m, machine or default_stage_machine())
        except ConfigError as err:
            raise DataFileError(path, str(err)) from err

    @classmethod
    def _from_file(cls, m: LibraryFileV1 | LibraryFileV2, machine: StageMachine) -> ScriptLibrary:
        v1 = isinstance(m, LibraryFileV1)
        library = cls(
            entries=tuple(ScriptEntry(**{**e.model_dump(), "variants": tuple(e.variants),
                                          "contexts": tuple(e.contexts)}) for e in m.entries),
            exemplars=tuple((t, i) for t, i in m.exemplars) if v1 else (),
            transitions=tuple(Transition(**t.model_dump()) for t in m.transitions) if v1 else (),
            meta=m.meta, machine=machine,
        )
        if not v1:
            library._classifier, library._next = load_models(m.models, machine)
        return library



@dataclass
class _Member:
    outline: str
    weight: float = 0.0
    count: int = 0
    dialogues: set = field(default_factory=set)
    contexts: Counter = field(default_factory=Counter)


def _cluster(outlines: list[str], embedder, distance: float) -> list[int]:
    if len(outlines) == 1:
        return [0]
    from sklearn.cluster import AgglomerativeClustering

    x = _unit(embedder.fit(outlines).encode(outlines))
    labels = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                     distance_threshold=distance).fit_predict(x)
    return [int(v) for v in labels]


def build_library(
    dialogues: Sequence[Any],
    *,
    weights: Mapping[str, float] | None = None,
    prior: tuple[float, float] = (1.0, 1.0),
    distance: float = 0.35,
    max_variants: int = 5,
    max_contexts: int = 8,
    max_outlines_per_intent: int = 1500,
    max_exemplars_per_intent: int = 300,
    exclude_false_claims: bool = True,
    classifier: TfidfIntentClassifier | None = None,
    embedding: str = "tfidf",
    machine: StageMachine | None = None,
    source: str = "",
) -> ScriptLibrary:
    """Mine a :class:`ScriptLibrary` from ``dialogues`` (see the module docstring)."""
    machine = machine or default_stage_machine()
    if not 0.0 < distance <= 2.0:
        raise ConfigError(f"distance must be in (0, 2], got {distance!r}")
    if min(prior) <= 0:
        raise ConfigError(f"prior must be two positive numbers, got {prior!r}")
    w = success_weights(dialogues, weights)
    used = [d for d in dialogues if d.id in w]
    if not used:
        what = "no dialogue id matches the weights" if weights is not None else "no dialogue has an outcome label"
        raise ConfigError(f"cannot build a library: {what}")
    labelled = labelled_turns(used, machine)
    unlabelled = sum(1 for d in used for t in d.turns if t.speaker == Role.SALESMAN) - len(labelled)
    if unlabelled and classifier is None:
        if len({i for _, i in labelled}) < 2:
            raise ConfigError("cannot build a library: the corpus's salesman turns carry no intents or acts to train "
                              "the intent classifier on; pass a classifier (build-library --intents-from CORPUS)")
        classifier = TfidfIntentClassifier.from_examples(labelled, machine)

    def known(t) -> str | None:
        return t.intent if t.intent in machine.intents else machine.primary(t.acts)

    pending = sorted({t.text for d in used for t in d.turns if t.speaker == Role.SALESMAN and known(t) is None
                      and not (exclude_false_claims and any(not c.valid for c in t.claims))})
    classified = dict(zip(pending, classifier.classify_many(pending), strict=True)) if pending else {}
    groups: dict[str, dict[str, _Member]] = defaultdict(dict)
    counts = Counter()
    for d in used:
        values = _known_values(d.persona_id, d.product)
        context = ""
        for t in d.turns:
            if t.speaker != Role.SALESMAN:
                context = t.text
                continue
            if exclude_false_claims and any(not c.valid for c in t.claims):
                counts["false_claim_turns_excluded"] += 1
                continue
            intent = known(t)
            if intent is None:
                intent = classified[t.text]
                counts["turns_classified"] += 1
            outline = abstract(t.text, values)
            member = groups[intent].setdefault(outline, _Member(outline))
            member.weight += w[d.id]
            member.count += 1
            member.dialogues.add(d.id)
            if context:
                member.contexts[context] += 1
            counts["turns"] += 1

    entries: list[ScriptEntry] = []
    a0, b0 = prior
    for intent in machine.intents:
        members = sorted(groups.get(intent, {}).values(), key=lambda m: (-m.count, m.outline))
        if not members:
            continue
        head, tail = members[:max_outlines_per_intent], members[max_outlines_per_intent:]
        labels = _cluster([m.outline for m in head], _embedder(embedding), distance)
        if tail:  # too many distinct outlines to cluster exactly: join the nearest cluster
            emb = _embedder(embedding).fit([m.outline for m in head])
            hx, tx = _unit(emb.encode([m.outline for m in head])), _unit(emb.encode([m.outline for m in tail]))
            labels += [labels[int(i)] for i in np.argmax(tx @ hx.T, axis=1)]
        clusters: dict[int, list[_Member]] = defaultdict(list)
        for label, m in zip(labels, head + tail, strict=False):
            clusters[label].append(m)
        built = []
        for ms in clusters.values():
            ms = sorted(ms, key=lambda m: (-m.weight, -m.count, m.outline))
            support = sum(m.count for m in ms)
            weight = sum(m.weight for m in ms)
            ctx = Counter()
            for m in ms:
                ctx.update(m.contexts)
            built.append((ms, support, weight, sorted(ctx.items(), key=lambda kv: (-kv[1], kv[0]))[:max_contexts]))
        built.sort(key=lambda b: (-b[2], -b[1], b[0][0].outline))
        for n, (ms, support, weight, ctx) in enumerate(built):
            entries.append(ScriptEntry(
                id=f"{intent}-{n:03d}", intent=intent, capability=machine.capability(intent), outline=ms[0].outline,
                variants=tuple(m.outline for m in ms[1:max_variants + 1]), support=support,
                dialogues=len(set().union(*(m.dialogues for m in ms))),
                alpha=round(a0 + weight, 6), beta=round(b0 + support - weight, 6), contexts=tuple(c for c, _ in ctx),
            ))
    if not entries:
        raise ConfigError("cannot build a library: no usable salesman turns")

    by_intent: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for text, intent in sorted(set(labelled)):
        by_intent[intent].append((text, intent))
    exemplars = []
    for intent in machine.intents:  # an even spread, chosen deterministically by content hash
        items = sorted(by_intent.get(intent, []), key=lambda x: hashlib.sha1(x[0].encode()).hexdigest())
        exemplars += items[:max_exemplars_per_intent]
    meta = {
        "source": source, "dialogues": len(dialogues), "dialogues_used": len(used),
        "weights": "given" if weights is not None else "raw labels", "prior": [a0, b0], "distance": distance,
        "embedding": embedding, "stage_machine_version": machine.version, **dict(sorted(counts.items())),
    }
    return ScriptLibrary(tuple(entries), tuple(exemplars), tuple(transitions(used, w, machine)), meta, machine)
