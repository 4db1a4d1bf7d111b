"""The noisy-outcome model: what the logged dialogues really teach (our reconstruction, DESIGN §8).

Each dialogue ``d`` has a latent true outcome ``z_d`` with

    P(z_d = 1) = sigmoid(a + sum over its salesman turns of b[context, act] / turns_d)

where ``context`` is what the customer had just done (:data:`CONTEXTS`) and ``act`` the
salesman turn's intent (:data:`ACTS`). Each observed label ``y_dj`` (annotator ``j``) comes
through a noisy channel: ``P(y = 1 | z = 0) = fpr_j`` and ``P(y = 0 | z = 1) = fnr_j``, with
Beta priors; one channel per annotator (Dawid-Skene style) when a dialogue has several
labels. The discrete ``z`` is summed out by hand (``numpyro.factor`` with ``logsumexp``).

Fitted by NUTS (default; r-hat and effective sample size reported) or SVI (an
``AutoNormal`` guide; ELBO convergence reported instead). :func:`fit_posterior` returns a
:class:`Posterior`: the per-dialogue probability that the call truly succeeded (the
weights of Bayesian-supervised RL and of ``build-library --weights``), the per-context act
values ``b`` and the noise rates, each with its mean, sd and 90 % intervals.

JAX and numpyro are imported only when a model is fitted (the ``bayes`` extra).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aisalesman.core.errors import ConfigError, DataFileError
from aisalesman.core.rundir import atomic_write
from aisalesman.core.transcript import Turn
from aisalesman.core.types import CustomerAct, Role, SalesAct

__all__ = [
    "ACTS",
    "CONTEXTS",
    "FORMAT",
    "SIZE_LIMITS",
    "VERSION",
    "BayesConfig",
    "Posterior",
    "auc",
    "corpus_arrays",
    "fit_posterior",
    "read_weights",
    "turn_context",
]

FORMAT = "aisalesman-posterior"
VERSION = 1

#: What the customer had just done when the salesman spoke (the model's contexts).
CONTEXTS: tuple[str, ...] = ("start", "greet", "info", "question", "interest", "neutral", "objection", "dnc")
#: Salesman intents: the 13 acts plus ``other`` (a turn nobody could classify).
ACTS: tuple[str, ...] = tuple(str(a) for a in SalesAct) + ("other",)
_CONTEXT_INDEX = {c: i for i, c in enumerate(CONTEXTS)}
_ACT_INDEX = {a: i for i, a in enumerate(ACTS)}
# The contexts' precedence when a customer turn does several things. It is the model's own
# categorisation (saved posteriors are tied to CONTEXTS), not the call's DECISION_PRECEDENCE
# nor the act-level move encoding, so it stays separate on purpose.
_ACT_CONTEXT = {
    CustomerAct.REQUEST_DNC: "dnc",
    CustomerAct.RAISE_OBJECTION: "objection",
    CustomerAct.SHOW_INTEREST: "interest",
    CustomerAct.ASK_QUESTION: "question",
    CustomerAct.GIVE_INFO: "info",
    CustomerAct.GREET: "greet",
}


def turn_context(customer_turn: Turn | None) -> str:
    """The context of a salesman turn from the customer turn before it (None: the call's start).

    Precedence: do-not-call, objection, interest, question, information, greeting, else neutral.
    """
    if customer_turn is None:
        return "start"
    acts = set(customer_turn.acts)
    if customer_turn.objection is not None:
        acts.add(str(CustomerAct.RAISE_OBJECTION))
    for act, context in _ACT_CONTEXT.items():
        if str(act) in acts:
            return context
    return "neutral"


def salesman_steps(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """``(context, act)`` for every salesman turn of a dialogue."""
    out, last_customer = [], None
    for turn in turns:
        if turn.speaker == Role.CUSTOMER:
            last_customer = turn
        else:
            act = turn.intent if turn.intent in _ACT_INDEX else "other"
            out.append((turn_context(last_customer), act))
    return out


@dataclass(frozen=True)
class CorpusArrays:
    """A corpus as the model sees it.

    ``features``: (D, C*A) context-by-act counts over each dialogue's salesman turns,
    divided by its number of salesman turns. ``labels``: (D, J) observed labels (0/1) with
    ``label_mask`` (1 where annotator ``j`` labelled dialogue ``d``). ``truth``: the true
    outcomes where known (synthetic corpora), else None. ``support``: (C, A) turn counts.
    """

    ids: tuple[str, ...]
    features: np.ndarray
    labels: np.ndarray
    label_mask: np.ndarray
    truth: np.ndarray | None
    support: np.ndarray
    raw: np.ndarray  # each dialogue's mean observed label (the naive weight)


def corpus_arrays(dialogues: Sequence[Any], *, source: str = "corpus") -> CorpusArrays:
    """Turn :class:`~aisalesman.data.corpus.CorpusDialogue` records into model arrays.

    A dialogue with no label at all is an error naming it (the model needs evidence);
    so is a dialogue without salesman turns.
    """
    if not dialogues:
        raise DataFileError(source, "the corpus has no dialogues")
    n_ann = max(len(d.labels) if d.labels else 1 for d in dialogues)
    D, K = len(dialogues), len(CONTEXTS) * len(ACTS)
    X = np.zeros((D, K), dtype=np.float32)
    Y = np.zeros((D, n_ann), dtype=np.float32)
    M = np.zeros((D, n_ann), dtype=np.float32)
    support = np.zeros((len(CONTEXTS), len(ACTS)), dtype=np.int64)
    truth = [] if all(d.true_success is not None for d in dialogues) else None
    for i, d in enumerate(dialogues):
        steps = salesman_steps(d.turns)
        if not steps:
            raise DataFileError(source, f"dialogue {d.id!r} has no salesman turns")
        for context, act in steps:
            c, a = _CONTEXT_INDEX[context], _ACT_INDEX[act]
            X[i, c * len(ACTS) + a] += 1.0 / len(steps)
            support[c, a] += 1
        labels = list(d.labels) if d.labels else ([d.label] if d.label is not None else [])
        if not labels:
            raise DataFileError(source, f"dialogue {d.id!r} has no outcome label")
        for j, y in enumerate(labels):
            Y[i, j], M[i, j] = float(bool(y)), 1.0
        if truth is not None:
            truth.append(float(bool(d.true_success)))
    raw = (Y * M).sum(1) / M.sum(1)
    return CorpusArrays(tuple(d.id for d in dialogues), X, Y, M,
                        None if truth is None else np.asarray(truth, dtype=np.float32), support, raw)


#: Upper bounds on the sampler's sizes: NUTS diagnostics settle within thousands of draws and
#: SVI within tens of thousands of steps, and 100,000 draws per chain of ~100 parameters and a
#: draw per dialogue already fill gigabytes; larger values are typos, refused before fitting.
SIZE_LIMITS = {"num_warmup": 100_000, "num_samples": 100_000, "num_chains": 64, "svi_steps": 1_000_000}


@dataclass(frozen=True)
class BayesConfig:
    """How to fit.

    ``channels``: ``"annotator"`` gives every annotator (label column) its own channel, as
    in Dawid-Skene; ``"shared"`` gives all labels one channel, right when annotators are
    exchangeable (label ``j`` of one dialogue and of another are not the same person).

    ``rate_prior``: Beta(alpha, beta) of every ``2 * fpr`` and ``2 * fnr``. Rates live in
    (0, 0.5): an annotator is assumed better than a coin flip, which rules out the model's
    label-switched twin (every ``z`` flipped, every rate ``1 - rate``). The default (1, 1)
    is uniform on (0, 0.5).
    """

    method: str = "nuts"  # "nuts" or "svi"
    channels: str = "annotator"  # "annotator" (one fpr/fnr per annotator) or "shared" (one for all)
    num_warmup: int = 500
    num_samples: int = 500
    num_chains: int = 2
    svi_steps: int = 3000
    svi_lr: float = 0.02
    seed: int = 0
    act_prior_scale: float = 3.0
    intercept_prior_scale: float = 2.0
    rate_prior: tuple[float, float] = (1.0, 1.0)

    def __post_init__(self) -> None:
        if self.method not in ("nuts", "svi"):
            raise ConfigError(f"method must be 'nuts' or 'svi', got {self.method!r}")
        if self.channels not in ("annotator", "shared"):
            raise ConfigError(f"channels must be 'annotator' or 'shared', got {self.channels!r}")
        from aisalesman.core.config import check_int, check_number

        for name, high in SIZE_LIMITS.items():
            check_int(name, getattr(self, name), high=high)
        if self.method == "nuts" and self.num_samples < 20:
            raise ConfigError(f"num_samples must be at least 20 for NUTS diagnostics, got {self.num_samples}")
        for name in ("svi_lr", "act_prior_scale", "intercept_prior_scale"):
            check_number(name, getattr(self, name), low=0.0, low_open=True)
        if len(self.rate_prior) != 2:
            raise ConfigError(f"rate_prior must be two positive numbers, got {self.rate_prior!r}")
        for value in self.rate_prior:
            check_number("rate_prior", value, low=0.0, low_open=True)


def _model(features, labels, label_mask, cfg: BayesConfig):
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist
    from jax.nn import log_sigmoid
    from jax.scipy.special import logsumexp

    J = labels.shape[1] if cfg.channels == "annotator" else 1
    a = numpyro.sample("a", dist.Normal(0.0, cfg.intercept_prior_scale))
    b = numpyro.sample("b", dist.Normal(0.0, cfg.act_prior_scale).expand([features.shape[1]]).to_event(1))
    alpha, beta = cfg.rate_prior
    with numpyro.plate("annotators", J):
        fpr = numpyro.deterministic("fpr", 0.5 * numpyro.sample("fpr_scaled", dist.Beta(alpha, beta)))
        fnr = numpyro.deterministic("fnr", 0.5 * numpyro.sample("fnr_scaled", dist.Beta(alpha, beta)))
    logit = a + features @ b
    ll1 = jnp.sum(label_mask * (labels * jnp.log1p(-fnr) + (1 - labels) * jnp.log(fnr)), axis=1)
    ll0 = jnp.sum(label_mask * (labels * jnp.log(fpr) + (1 - labels) * jnp.log1p(-fpr)), axis=1)
    numpyro.factor("labels", jnp.sum(logsumexp(jnp.stack([log_sigmoid(logit) + ll1, log_sigmoid(-logit) + ll0]), axis=0)))


def _summary(x: np.ndarray) -> dict[str, float]:
    """Mean, sd, the 90 % equal-tailed interval and the 90 % highest-density interval."""
    from numpyro.diagnostics import hpdi

    lo, hi = np.quantile(x, [0.05, 0.95])
    h = hpdi(x, 0.9)
    return {"mean": float(np.mean(x)), "sd": float(np.std(x)), "q05": float(lo), "q95": float(hi),
            "hpdi90": [float(h[0]), float(h[1])]}


def auc(scores: np.ndarray, truth: np.ndarray) -> float:
    """Area under the ROC curve of ``scores`` against binary ``truth`` (ties count one half)."""
    from scipy.stats import rankdata

    truth = np.asarray(truth).astype(bool)
    n1, n0 = int(truth.sum()), int((~truth).sum())
    if not n1 or not n0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[truth].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


@dataclass
class Posterior:
    """A fitted noisy-outcome model (see the module docstring); ``save``/``load`` a JSON file."""

    ids: tuple[str, ...]
    weights: np.ndarray
    act_values: dict[str, dict[str, dict[str, Any]]]
    noise: dict[str, dict[str, dict[str, Any]]]
    diagnostics: dict[str, Any]
    evaluation: dict[str, Any]
    config: dict[str, Any]
    corpus: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def weight_map(self) -> dict[str, float]:
        return {i: float(w) for i, w in zip(self.ids, self.weights, strict=True)}

    def act_value_matrix(self) -> np.ndarray:
        """Posterior mean act values as a (len(CONTEXTS), len(ACTS)) array."""
        return np.array([[self.act_values[c][a]["mean"] for a in ACTS] for c in CONTEXTS], dtype=np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "corpus": self.corpus, "config": self.config,
                "contexts": list(CONTEXTS), "acts": list(ACTS), "diagnostics": self.diagnostics,
                "evaluation": self.evaluation, "noise": self.noise, "act_values": self.act_values,
                "weights": self.weight_map(), "meta": self.meta}

    def save(self, path: str | Path) -> None:
        """Write atomically (a temporary file renamed at the end)."""
        atomic_write(path, json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Posterior:
        """Read a file from :meth:`save`; a wrong format, a newer version or a bad field names the file."""
        from aisalesman.core.files import read_structured

        data = read_structured(Path(path))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise DataFileError(path, f"not a posterior file (format must be {FORMAT!r})")
        version = data.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise DataFileError(path, f"version {version!r} is not supported (this release reads up to {VERSION})")
        try:
            if tuple(data["contexts"]) != CONTEXTS or tuple(data["acts"]) != ACTS:
                raise DataFileError(path, "contexts/acts differ from this release's model")
            weights = data["weights"]
            if not isinstance(weights, dict):
                raise TypeError("weights must be an object of id -> probability")
            for c in CONTEXTS:
                for a in ACTS:
                    float(data["act_values"][c][a]["mean"])
            return cls(tuple(weights), np.array([float(w) for w in weights.values()]), data["act_values"],
                       data["noise"], data["diagnostics"], data.get("evaluation") or {}, data.get("config") or {},
                       data.get("corpus", ""), data.get("meta") or {})
        except DataFileError:
            raise
        except (KeyError, TypeError, ValueError) as err:
            raise DataFileError(path, f"bad field ({type(err).__name__}: {err})") from err


def read_weights(path: str | Path) -> dict[str, float]:
    """Dialogue success weights: a JSON object ``{id: p}``, records with ``id`` and ``weight``, or a
    posterior file from ``aisalesman fit-bayes`` (its per-dialogue success probabilities)."""
    from aisalesman.core.files import read_records, read_structured

    path = Path(path)
    data = read_structured(path) if path.suffix == ".json" else None
    if isinstance(data, dict) and data.get("format") == FORMAT:
        data = Posterior.load(path).weight_map()
    if not isinstance(data, dict):
        records = data if isinstance(data, list) else read_records(path)
        try:
            data = {str(r["id"]): r["weight"] for r in records}
        except (KeyError, TypeError) as err:
            raise DataFileError(path, f"records need 'id' and 'weight' fields ({type(err).__name__}: {err})") from err
    out = {}
    for k, v in data.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
            raise DataFileError(path, f"weight of {k!r} must be a number in [0, 1], got {v!r}")
        out[str(k)] = float(v)
    return out


def fit_posterior(dialogues: Sequence[Any], config: BayesConfig | None = None, *, source: str = "corpus",
                  progress: bool = False) -> Posterior:
    """Fit the noisy-outcome model to a corpus (see the module docstring).

    The corpus and the ``bayes`` extra (JAX, NumPyro) are checked before JAX is imported.
    """
    from aisalesman.core.extras import require_extra

    cfg = config or BayesConfig()
    data = corpus_arrays(dialogues, source=source)
    require_extra("bayes", "jax", "numpyro", feature="fitting the noisy-outcome model")
    import jax
    import jax.numpy as jnp
    from jax.nn import log_sigmoid

    X, Y, M = (jnp.asarray(v) for v in (data.features, data.labels, data.label_mask))
    key = jax.random.PRNGKey(cfg.seed)
    samples, diagnostics = (_fit_nuts if cfg.method == "nuts" else _fit_svi)(X, Y, M, cfg, key, progress)

    # P(z_d = 1 | labels, x, theta), averaged over posterior draws.
    a, b, fpr, fnr = (jnp.asarray(samples[k]) for k in ("a", "b", "fpr", "fnr"))
    logit = a[:, None] + b @ X.T  # (S, D)
    ll1 = jnp.einsum("dj,sdj->sd", M, Y[None] * jnp.log1p(-fnr)[:, None] + (1 - Y[None]) * jnp.log(fnr)[:, None])
    ll0 = jnp.einsum("dj,sdj->sd", M, Y[None] * jnp.log(fpr)[:, None] + (1 - Y[None]) * jnp.log1p(-fpr)[:, None])
    l1, l0 = log_sigmoid(logit) + ll1, log_sigmoid(-logit) + ll0
    weights = np.asarray(jnp.mean(jax.nn.sigmoid(l1 - l0), axis=0), dtype=np.float64)

    b_draws = np.asarray(b).reshape(-1, len(CONTEXTS), len(ACTS))
    act_values = {c: {a_: {**_summary(b_draws[:, i, j]), "support": int(data.support[i, j])}
                      for j, a_ in enumerate(ACTS)} for i, c in enumerate(CONTEXTS)}
    fpr, fnr = np.asarray(fpr), np.asarray(fnr)
    if cfg.channels == "shared":
        noise = {"shared": {"fpr": _summary(fpr[:, 0]), "fnr": _summary(fnr[:, 0]), "labels": int(data.label_mask.sum())}}
    else:
        noise = {f"annotator_{j}": {"fpr": _summary(fpr[:, j]), "fnr": _summary(fnr[:, j]),
                                    "labels": int(data.label_mask[:, j].sum())} for j in range(data.labels.shape[1])}
    evaluation: dict[str, Any] = {"dialogues": len(data.ids), "raw_label_rate": float(data.raw.mean()),
                                  "posterior_success_rate": float(weights.mean())}
    if data.truth is not None:
        evaluation.update({
            "true_success_rate": float(data.truth.mean()),
            "auc_posterior": auc(weights, data.truth),
            "auc_raw_labels": auc(data.raw, data.truth),
        })
    return Posterior(data.ids, weights, act_values, noise, diagnostics, evaluation,
                     {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.__dict__.items()}, source)


def _fit_nuts(X, Y, M, cfg: BayesConfig, key, progress: bool) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    from numpyro.diagnostics import summary
    from numpyro.infer import MCMC, NUTS

    mcmc = MCMC(NUTS(_model), num_warmup=cfg.num_warmup, num_samples=cfg.num_samples, num_chains=cfg.num_chains,
                chain_method="vectorized" if cfg.num_chains > 1 else "sequential", progress_bar=progress)
    mcmc.run(key, X, Y, M, cfg)
    grouped = mcmc.get_samples(group_by_chain=True)
    stats = summary({k: np.asarray(v) for k, v in grouped.items() if not k.endswith("_scaled")}, prob=0.9)
    r_hat = {k: np.asarray(v["r_hat"]) for k, v in stats.items()}
    n_eff = {k: np.asarray(v["n_eff"]) for k, v in stats.items()}
    divergences = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    finite = [v[np.isfinite(v)] for v in r_hat.values()]
    diag = {
        "method": "nuts", "chains": cfg.num_chains, "samples_per_chain": cfg.num_samples, "divergences": divergences,
        "max_r_hat": float(max(float(v.max()) for v in finite if v.size)) if cfg.num_chains > 1 else None,
        "min_ess": float(min(float(v.min()) for v in n_eff.values())),
        "r_hat": {k: _listify(v) for k, v in r_hat.items() if k != "b"} if cfg.num_chains > 1 else None,
        "ess": {k: _listify(v) for k, v in n_eff.items() if k != "b"},
    }
    return {k: np.asarray(v) for k, v in mcmc.get_samples().items()}, diag


def _fit_svi(X, Y, M, cfg: BayesConfig, key, progress: bool) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    import jax
    from numpyro.infer import SVI, Predictive, Trace_ELBO
    from numpyro.infer.autoguide import AutoNormal
    from numpyro.optim import Adam

    guide = AutoNormal(_model)
    svi = SVI(_model, guide, Adam(cfg.svi_lr), Trace_ELBO())
    k_fit, k_draw = jax.random.split(key)
    result = svi.run(k_fit, cfg.svi_steps, X, Y, M, cfg, progress_bar=progress)
    losses = np.asarray(result.losses)
    tail = max(len(losses) // 10, 1)
    draws = Predictive(_model, guide=guide, params=result.params, num_samples=cfg.num_samples * cfg.num_chains,
                       return_sites=["a", "b", "fpr", "fnr"])(k_draw, X, Y, M, cfg)
    diag = {"method": "svi", "steps": cfg.svi_steps, "final_loss": float(losses[-tail:].mean()),
            "relative_change_last_10pct": float(abs(losses[-tail:].mean() - losses[-2 * tail:-tail].mean())
                                                / max(abs(losses[-tail:].mean()), 1e-9)),
            "max_r_hat": None, "min_ess": None,
            "note": "SVI has no r-hat or effective sample size; the ELBO's relative change shows convergence"}
    return {k: np.asarray(draws[k]) for k in ("a", "b", "fpr", "fnr")}, diag


def _listify(v: np.ndarray) -> Any:
    v = np.asarray(v, dtype=np.float64)
    return [None if not math.isfinite(x) else round(float(x), 4) for x in v.ravel()] if v.ndim else (
        None if not math.isfinite(float(v)) else round(float(v), 4))
