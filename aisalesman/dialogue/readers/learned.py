"""The ``learned`` reader (the default): sentence embeddings plus classifiers trained on the reading set.

Features of an utterance: word 1-2-gram TF-IDF, the embedding of the whole utterance and the
element-wise maximum of its sentences' embeddings (so that a long turn that greets, pitches
and closes shows each of those). Embeddings come from :mod:`aisalesman.dialogue.embeddings`
(``minilm``, the contextual model, by default; ``static`` for its static distillation).
On top, L2-regularised logistic regressions:

- salesman acts: one-vs-rest, each act with its own decision threshold;
- objection types a salesman turn answers (none for a turn that only acknowledges the
  concern), and needs mentioned (either role): one-vs-rest;
- customer acts: one-vs-rest; the customer's objection (none or one of seven types) and
  decision (none, accept, reject, hang up, do-not-call) each by its own multinomial model,
  and the acts made to agree with both;
- who is speaking (salesman or customer), for customer-simulator fidelity.

A turn of several sentences reads as ``goodbye`` only when its last sentence does.

The models are fitted when the reader is built, on the shipped ``train`` split; the
thresholds are then chosen on ``dev`` (the best F1 per act, never below a floor), and the
models refitted on ``train`` + ``dev``. The ``test`` split is never used. Fitting is
deterministic (L-BFGS, fixed data order), so two processes read every text the same way.
Claims are checked by :class:`~aisalesman.dialogue.claims.ClaimChecker`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

import numpy as np

from aisalesman.core.product import Product
from aisalesman.core.seeding import global_random_kept
from aisalesman.core.transcript import Claim
from aisalesman.core.types import CustomerAct, ObjectionType, SalesAct
from aisalesman.dialogue.reading import CustomerReading, ReaderBase, SalesReading
from aisalesman.dialogue.reading_set import LabelledUtterance, load_reading_set

with global_random_kept():  # scikit-learn's import chain draws from Python's global generator
    import sklearn.feature_extraction.text  # noqa: F401
    import sklearn.linear_model  # noqa: F401

__all__ = ["LearnedReader", "TextFeatures", "minilm_reader", "tuned_reader"]

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\s*[;\n]\s*|\s+[-\u2013\u2014]+\s+")
_DECISIONS = ("none", "accept", "reject", "hang_up", "do_not_call")
_DECISION_ACT = {"accept": CustomerAct.ACCEPT, "reject": CustomerAct.REJECT, "hang_up": CustomerAct.HANG_UP,
                 "do_not_call": CustomerAct.REQUEST_DNC}
_C = 16.0
_THRESHOLD_FLOOR = 0.2
#: A turn of several sentences reads as a goodbye only when its last sentence alone reads as
#: one with at least this probability (set on dev, fitted on train).
_LAST_FAREWELL = 0.25
#: A customer turn raises an objection at this probability or above (over the act's threshold
#: chosen on dev); below _OBJECTION_SURE, not when it also states a need the product serves (a
#: problem the customer describes; set on dev, fitted on train).
_OBJECTION_MIN = 0.5
_OBJECTION_SURE = 0.8
#: An objection-handling turn answers each objection type at least this likely, and none when
#: it only acknowledges the concern (set on dev, fitted on train: 80 % of typed answers found,
#: 40 of 43 acknowledgements read as answering nothing).
_ANSWER_MIN = 0.3
_MIN_DF = 3
_FORMAT = "aisalesman-learned-reader"
#: The encoder the claim checker reads non-features with, per reader encoder (when not the same).
_CLAIMS_ENCODER = {"tuned": "minilm"}
_VERSION = 2


def sentences(text: str) -> list[str]:
    """The sentences (and clause-like pieces) of an utterance; the utterance itself if none."""
    parts = [p.strip() for p in _SENTENCE.split(text) if p and p.strip()]
    return parts or [text]


class TextFeatures:
    """Word 1-2-gram TF-IDF plus utterance and sentence-max embeddings."""

    def __init__(self, encoder, *, embedding_weight: float = 1.0) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.encoder = encoder
        self.weight = embedding_weight
        self.words = TfidfVectorizer(ngram_range=(1, 2), min_df=_MIN_DF, sublinear_tf=True, lowercase=True,
                                     dtype=np.float32)
        self._memo: dict[str, np.ndarray] = {}

    def fit(self, texts: Sequence[str]) -> TextFeatures:
        self.words.fit(texts)
        return self

    def remember(self, texts: Sequence[str], rows: np.ndarray) -> None:
        """Known embeddings for ``texts`` (the fitting data, embedded once per process or from the cache)."""
        self._memo.update(zip(texts, rows, strict=True))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Whole-utterance and sentence-max embeddings, side by side (one encoder call)."""
        if self._memo and all(t in self._memo for t in texts):
            return np.stack([self._memo[t] for t in texts]) if texts else np.zeros((0, 2 * self.encoder.dim), np.float32)
        pieces = [sentences(t) for t in texts]
        flat = list(texts) + [s for p in pieces for s in p]
        vecs = self.encoder.encode(flat)
        whole, rest = vecs[: len(texts)], vecs[len(texts):]
        out = np.empty((len(texts), 2 * vecs.shape[1]), dtype=np.float32)
        start = 0
        for i, p in enumerate(pieces):
            out[i, : vecs.shape[1]] = whole[i]
            out[i, vecs.shape[1]:] = rest[start:start + len(p)].max(0)
            start += len(p)
        return out

    def transform(self, texts: Sequence[str]):
        from scipy.sparse import csr_matrix, hstack

        dense = csr_matrix(self.weight * self.embed(texts))
        return hstack([self.words.transform(texts), dense], format="csr")


def _ovr(X, Y: np.ndarray):
    """One logistic regression per column of ``Y`` (None for a column with one class only)."""
    from sklearn.linear_model import LogisticRegression

    models = []
    for j in range(Y.shape[1]):
        y = Y[:, j]
        if y.min() == y.max():
            models.append(float(y[0]))
            continue
        models.append(LogisticRegression(C=_C, solver="liblinear", class_weight="balanced").fit(X, y))
    return models


def _ovr_proba(models, X) -> np.ndarray:
    out = np.zeros((X.shape[0], len(models)), dtype=np.float64)
    for j, m in enumerate(models):
        out[:, j] = m if isinstance(m, float) else m.predict_proba(X)[:, 1]
    return out


def _multi(X, y: Sequence[str], classes: Sequence[str]):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=_C, max_iter=3000, class_weight="balanced").fit(X, list(y)), tuple(classes)


def _best_thresholds(P: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Per column, the threshold in [floor, 0.8] with the best F1 on (P, Y) (0.5 if no positives)."""
    grid = np.round(np.arange(_THRESHOLD_FLOOR, 0.81, 0.05), 2)
    out = np.full(Y.shape[1], 0.5)
    for j in range(Y.shape[1]):
        if Y[:, j].sum() == 0:
            continue
        f1 = [(2 * ((P[:, j] >= t) & (Y[:, j] == 1)).sum()) / max((P[:, j] >= t).sum() + Y[:, j].sum(), 1)
              for t in grid]
        out[j] = grid[int(np.argmax(f1))]
    return out


class _RoleModels:
    """The fitted models of one reader: features, per-role classifiers and thresholds."""

    def __init__(self, encoder, data: Sequence[LabelledUtterance], dev: Sequence[LabelledUtterance],
                 memo: tuple[list[str], np.ndarray] | None = None) -> None:
        self.memo = memo
        self.sales_acts = [str(a) for a in SalesAct]
        self.customer_acts = [str(a) for a in CustomerAct]
        self.objection_types = [str(o) for o in ObjectionType]
        need_keys = sorted({n for u in (*data, *dev) for n in u.needs})
        self.need_keys = need_keys
        if dev:
            fitted = self._fit(encoder, data)
            self.sales_threshold = _best_thresholds(fitted._sales_proba([u.text for u in _sales(dev)]),
                                                    _binarise([u.acts for u in _sales(dev)], self.sales_acts))
            self.customer_threshold = _best_thresholds(
                fitted._customer_proba([u.text for u in _customer(dev)]),
                _binarise([u.acts for u in _customer(dev)], self.customer_acts))
        else:
            self.sales_threshold = np.full(len(self.sales_acts), 0.5)
            self.customer_threshold = np.full(len(self.customer_acts), 0.5)
        self._fit(encoder, [*data, *dev], into=self)

    def _fit(self, encoder, data: Sequence[LabelledUtterance], into: _RoleModels | None = None) -> _RoleModels:
        m = into or object.__new__(_RoleModels)
        if into is None:
            m.sales_acts, m.customer_acts, m.objection_types, m.need_keys, m.memo = (
                self.sales_acts, self.customer_acts, self.objection_types, self.need_keys, self.memo)
        sales, customer = _sales(data), _customer(data)
        texts = [u.text for u in (*sales, *customer)]
        m.features = TextFeatures(encoder).fit(texts)
        if self.memo is not None:
            m.features.remember(*self.memo)
        Xs = m.features.transform([u.text for u in sales])
        Xc = m.features.transform([u.text for u in customer])
        m.sales_models = _ovr(Xs, _binarise([u.acts for u in sales], m.sales_acts))
        # every objection-handling turn: one that only acknowledges the concern answers none
        handled = [i for i, u in enumerate(sales) if u.answers or "handle_objection" in u.acts]
        m.answer_models = _ovr(Xs[handled], _binarise([sales[i].answers for i in handled], m.objection_types))
        m.customer_models = _ovr(Xc, _binarise([u.acts for u in customer], m.customer_acts))
        raised = [i for i, u in enumerate(customer) if u.objection]
        m.objection_model = _multi(Xc[raised], [customer[i].objection for i in raised], m.objection_types)
        m.decision_model = _multi(Xc, [u.decision for u in customer], _DECISIONS)
        from scipy.sparse import vstack

        m.need_models = _ovr(vstack([Xs, Xc], format="csr"),
                             _binarise([u.needs for u in (*sales, *customer)], m.need_keys))
        # who says it: a salesman (1) or a customer (0)
        m.role_models = _ovr(vstack([Xs, Xc], format="csr"),
                             np.array([[1]] * len(sales) + [[0]] * len(customer), dtype=np.int8))
        return m

    def salesman_probability(self, texts: Sequence[str]) -> np.ndarray:
        """The probability that each text is a salesman's turn rather than a customer's."""
        return _ovr_proba(self.role_models, self.features.transform(texts))[:, 0]

    def _sales_proba(self, texts: Sequence[str]) -> np.ndarray:
        return _ovr_proba(self.sales_models, self.features.transform(texts))

    def _customer_proba(self, texts: Sequence[str]) -> np.ndarray:
        return _ovr_proba(self.customer_models, self.features.transform(texts))

    def read_sales(self, texts: Sequence[str]) -> list[SalesReading]:
        X = self.features.transform(texts)
        P = _ovr_proba(self.sales_models, X)
        A = _ovr_proba(self.answer_models, X)
        N = _ovr_proba(self.need_models, X) if self.need_keys else np.zeros((len(texts), 0))
        self._closing_turns_only(texts, P)
        out = []
        for i in range(len(texts)):
            picked = [a for j, a in enumerate(self.sales_acts) if P[i, j] >= self.sales_threshold[j]]
            if not picked:
                picked = [self.sales_acts[int(np.argmax(P[i]))]]
            answers: list[str] = []
            if "handle_objection" in picked:  # none when it only acknowledges ("I hear you, that's fair")
                answers = [o for j, o in enumerate(self.objection_types) if A[i, j] >= _ANSWER_MIN]
            needs = [k for j, k in enumerate(self.need_keys) if N[i, j] >= 0.5]
            out.append(SalesReading.of(picked, answers, needs))
        return out

    def _closing_turns_only(self, texts: Sequence[str], P: np.ndarray) -> None:
        """A turn of several sentences says goodbye only when its last sentence does: "goodbye"
        ends the call, and a turn that goes on after a farewell-like phrase ("I understand your
        hesitation. Let me put your mind at rest.") has not ended it. ``P`` is lowered in place."""
        j = self.sales_acts.index(str(SalesAct.GOODBYE))
        last = {i: pieces[-1] for i, t in enumerate(texts)
                if P[i, j] >= self.sales_threshold[j] and len(pieces := sentences(t)) > 1}
        if last:
            Q = _ovr_proba(self.sales_models[j:j + 1], self.features.transform(list(last.values())))
            for (i, _), q in zip(last.items(), Q[:, 0], strict=True):
                if q < _LAST_FAREWELL:
                    P[i, j] = q

    @property
    def _objection_act(self) -> int:
        return self.customer_acts.index(str(CustomerAct.RAISE_OBJECTION))

    def read_customer(self, texts: Sequence[str]) -> list[CustomerReading]:
        X = self.features.transform(texts)
        P = _ovr_proba(self.customer_models, X)
        N = _ovr_proba(self.need_models, X) if self.need_keys else np.zeros((len(texts), 0))
        obj_model, _ = self.objection_model
        dec_model, _ = self.decision_model
        objections = obj_model.predict(X)
        decisions = dec_model.predict(X)
        out = []
        for i in range(len(texts)):
            acts = {a for j, a in enumerate(self.customer_acts) if P[i, j] >= self.customer_threshold[j]}
            acts -= {str(a) for a in _DECISION_ACT.values()}
            if decisions[i] != "none":
                acts.add(str(_DECISION_ACT[decisions[i]]))
            needs = [k for j, k in enumerate(self.need_keys) if N[i, j] >= 0.5]
            # an objection is costly to imagine (the salesman answers what was never said): below
            # _OBJECTION_SURE it needs a threshold of at least _OBJECTION_MIN, and a stated need
            # ("we need more customers through the door") is not an objection
            p = P[i, self._objection_act]
            if "raise_objection" in acts and p < _OBJECTION_SURE and (
                    p < _OBJECTION_MIN or needs):
                acts.discard("raise_objection")
            objection = objections[i] if "raise_objection" in acts else None
            out.append(CustomerReading.of(acts, objection, needs))
        return out


_GROUPS = ("sales", "answer", "customer", "need", "role")


def save_models(m: _RoleModels, path, meta: dict) -> None:
    """Write every fitted number of ``m`` to an ``.npz`` (plain arrays and one JSON string; no pickle)."""
    import io
    import json

    from aisalesman.core.rundir import atomic_write

    width = len(m.features.words.vocabulary_) + 2 * m.features.encoder.dim
    arrays: dict[str, np.ndarray] = {}
    for g in _GROUPS:
        models = getattr(m, f"{g}_models")
        coef = np.zeros((len(models), width), dtype=np.float32)
        intercept = np.zeros(len(models), dtype=np.float64)
        const = np.full(len(models), np.nan)
        for j, model in enumerate(models):
            if isinstance(model, float):
                const[j] = model
            else:
                coef[j], intercept[j] = model.coef_[0], model.intercept_[0]
        arrays[f"{g}_coef"], arrays[f"{g}_intercept"], arrays[f"{g}_const"] = coef, intercept, const
    for g in ("objection", "decision"):
        model = getattr(m, f"{g}_model")[0]
        arrays[f"{g}_coef"] = model.coef_.astype(np.float32)
        arrays[f"{g}_intercept"] = model.intercept_
        arrays[f"{g}_classes"] = np.asarray([str(c) for c in model.classes_])
    vocab = m.features.words.vocabulary_
    arrays["terms"] = np.asarray(sorted(vocab, key=vocab.get))
    arrays["idf"] = m.features.words.idf_
    arrays["sales_threshold"], arrays["customer_threshold"] = m.sales_threshold, m.customer_threshold
    labels = {"sales_acts": m.sales_acts, "customer_acts": m.customer_acts, "objection_types": m.objection_types,
              "need_keys": m.need_keys}
    arrays["meta"] = np.asarray(json.dumps({"format": _FORMAT, "version": _VERSION, **meta, **labels}, sort_keys=True))
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write(path, buf.getvalue())


def _regression(coef: np.ndarray, intercept: np.ndarray, classes) -> object:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression()  # the hyperparameters only matter when fitting
    clf.classes_ = np.asarray(classes)
    clf.coef_ = np.asarray(coef, dtype=np.float64)
    clf.intercept_ = np.asarray(intercept, dtype=np.float64)
    clf.n_features_in_ = clf.coef_.shape[1]
    return clf


def load_models(path, encoder) -> tuple[_RoleModels, dict]:
    """The models :func:`save_models` wrote, rebuilt without fitting, and the file's meta."""
    import json

    from sklearn.feature_extraction.text import TfidfVectorizer

    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        if meta.get("format") != _FORMAT or meta.get("version") != _VERSION:
            raise ValueError(f"not a version-{_VERSION} {_FORMAT} file")
        m = object.__new__(_RoleModels)
        m.memo = None
        m.sales_acts, m.customer_acts = meta["sales_acts"], meta["customer_acts"]
        m.objection_types, m.need_keys = meta["objection_types"], meta["need_keys"]
        m.sales_threshold, m.customer_threshold = z["sales_threshold"], z["customer_threshold"]
        m.features = TextFeatures(encoder)
        terms = [str(t) for t in z["terms"]]
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True, dtype=np.float32,
                                vocabulary={t: i for i, t in enumerate(terms)})
        words.idf_ = z["idf"]
        m.features.words = words
        width = len(terms) + 2 * encoder.dim
        for g in _GROUPS:
            coef, intercept, const = z[f"{g}_coef"], z[f"{g}_intercept"], z[f"{g}_const"]
            if coef.ndim != 2 or coef.shape[1] != width:
                raise ValueError(f"{g} weights have {coef.shape[-1]} columns; the features make {width}")
            setattr(m, f"{g}_models", [float(const[j]) if not np.isnan(const[j])
                                       else _regression(coef[j:j + 1], intercept[j:j + 1], (0, 1))
                                       for j in range(len(const))])
        for g in ("objection", "decision"):
            classes = [str(c) for c in z[f"{g}_classes"]]
            setattr(m, f"{g}_model", (_regression(z[f"{g}_coef"], z[f"{g}_intercept"], classes), tuple(classes)))
    if len(m.sales_models) != len(m.sales_acts) or len(m.customer_models) != len(m.customer_acts):
        raise ValueError("model lists do not match their labels")
    return m, meta


def _sales(data: Sequence[LabelledUtterance]) -> list[LabelledUtterance]:
    return [u for u in data if u.role == "salesman" and u.kind == "acts"]


def _customer(data: Sequence[LabelledUtterance]) -> list[LabelledUtterance]:
    return [u for u in data if u.role == "customer" and u.kind == "acts"]


def _binarise(labels: Sequence[Sequence[str]], classes: Sequence[str]) -> np.ndarray:
    index = {c: j for j, c in enumerate(classes)}
    Y = np.zeros((len(labels), len(classes)), dtype=np.int8)
    for i, ls in enumerate(labels):
        for label in ls:
            if label in index:
                Y[i, index[label]] = 1
    return Y


def _training_embeddings(encoder, texts: list[str]) -> np.ndarray:
    """The fitting texts' embeddings, from the user cache when they were computed before."""
    import hashlib

    from aisalesman.dialogue.embeddings import cache_dir, load_cached_array, save_cached_array

    key = hashlib.sha256("\0".join([encoder.name, getattr(encoder, "digest", ""), *texts]).encode()).hexdigest()[:20]
    path = cache_dir() / f"reading-{encoder.name}-{key}.npy"
    rows = load_cached_array(path, (len(texts), 2 * encoder.dim))
    if rows is None:
        rows = TextFeatures(encoder).embed(texts)
        save_cached_array(path, rows)
    return rows


def looks_like_weights(path) -> bool:
    """Whether ``path`` is a weights file :func:`save_models` wrote (``--overwrite`` replaces only those)."""
    import json

    try:
        with np.load(path, allow_pickle=False) as z:
            return json.loads(str(z["meta"])).get("format") == _FORMAT
    except (OSError, ValueError, KeyError, TypeError):
        return False


def shipped_weights(encoder_name: str):
    """The packaged weights for ``encoder_name`` (``data/learned_reader_<encoder>.npz``)."""
    from importlib import resources

    return resources.files("aisalesman.dialogue").joinpath("data", f"learned_reader_{encoder_name}.npz")


class LearnedReader(ReaderBase):
    """Reads both roles with classifiers over sentence embeddings (see the module docstring).

    Args:
        encoder: ``static`` (default: a static distillation of MiniLM, fast enough for
            training rollouts), ``tuned`` (MiniLM with its top two layers fine-tuned on
            ``train``: the most accurate, twenty times slower) or ``minilm`` (the published
            model); see ``aisalesman reader eval``. Registered as ``learned``,
            ``learned-tuned`` and ``learned-minilm``.
        train: Utterances to fit on (default: the shipped ``train`` split).
        dev: Utterances to choose thresholds on before refitting on both (default: the shipped
            ``dev`` split; ``()`` fits on ``train`` alone with thresholds of 0.5).
    """

    name = "learned"

    def __init__(self, encoder: str = "static", *, train: Sequence[LabelledUtterance] | None = None,
                 dev: Sequence[LabelledUtterance] | None = None, cache_size: int = 65536) -> None:
        super().__init__(cache_size=cache_size)
        from aisalesman.dialogue.embeddings import encoder as load_encoder

        self.encoder_name = encoder
        self.encoder = load_encoder(encoder)
        train = load_reading_set("train") if train is None else train
        dev = load_reading_set("dev") if dev is None else dev
        from threadpoolctl import threadpool_limits

        texts = list(dict.fromkeys(u.text for u in (*train, *dev) if u.kind == "acts"))
        self.key = self.data_key(train, dev)
        with threadpool_limits(1):
            self.models = self._cached_models(train, dev, texts)
        self._lock = threading.Lock()
        self._checkers: dict[str, object] = {}

    def data_key(self, train, dev) -> str:
        """A hash of what the models are fitted from: the labelled data, encoder and settings."""
        import hashlib
        import json

        def rows(data):
            return [(u.role, u.text, u.acts, u.answers, u.objection, u.needs) for u in data if u.kind == "acts"]

        return hashlib.sha256(json.dumps([_FORMAT, _VERSION, self.encoder.name, getattr(self.encoder, "digest", ""),
                                          _C, _THRESHOLD_FLOOR, _MIN_DF, rows(train), rows(dev)]).encode()).hexdigest()[:20]

    def _cached_models(self, train, dev, texts) -> _RoleModels:
        """The shipped weights when they were fitted from exactly this data; else the user cache; else fit."""
        from aisalesman.dialogue.embeddings import cache_dir

        key = self.data_key(train, dev)
        for path in (shipped_weights(self.encoder.name), cache_dir() / f"learned-reader-{self.encoder.name}-{key}.npz"):
            try:
                models, meta = load_models(path, self.encoder)
            except (OSError, ValueError, KeyError, TypeError):
                continue  # missing, torn, foreign or stale: try the next, then fit
            if meta.get("data_key") == key:
                self.source = str(path)
                return models
        models = _RoleModels(self.encoder, train, dev, (texts, _training_embeddings(self.encoder, texts)))
        self.source = "fitted"
        try:
            save_models(models, cache_dir() / f"learned-reader-{self.encoder.name}-{key}.npz", {"data_key": key})
        except OSError:
            pass  # a read-only cache only costs the next process the fit
        return models

    def save(self, path) -> None:
        """Write this reader's fitted weights (``aisalesman reader fit``)."""
        save_models(self.models, path, {"data_key": self.key, "encoder": self.encoder.name})

    def _salesman(self, texts: list[str]) -> list[SalesReading]:
        with self._lock:
            return self.models.read_sales(texts)

    def _customer(self, texts: list[str]) -> list[CustomerReading]:
        with self._lock:
            return self.models.read_customer(texts)

    def salesman_likelihood(self, text: str) -> float:
        """How likely ``text`` is a salesman's turn rather than a customer's (a role model fitted
        on both roles' labelled turns): customer-simulator fidelity uses it to tell a customer
        doing the salesman's job from a customer question the act models, which only ever saw
        salesman turns, would read as one (for example "What exactly do I get?" as ``ask_need``)."""
        with self._lock:
            return float(self.models.salesman_probability([text])[0])

    def claims(self, text: str, product: Product, *, plan: str | None = None) -> tuple[Claim, ...]:
        from aisalesman.dialogue.claims import claim_checker

        # the tuned encoder was trained for acts, not for the claim checker's similarities
        return claim_checker(product, _CLAIMS_ENCODER.get(self.encoder_name, self.encoder_name)).check(text, plan=plan)


def _variant(encoder: str, name: str):
    """A registered reader: :class:`LearnedReader` on ``encoder``, reporting itself as ``name``."""

    def build(**options) -> LearnedReader:
        reader = LearnedReader(encoder, **options)
        reader.name = name
        return reader

    build.__doc__ = f"The ``{name}`` reader: :class:`LearnedReader` on the ``{encoder}`` encoder."
    return build


tuned_reader = _variant("tuned", "learned-tuned")
minilm_reader = _variant("minilm", "learned-minilm")
