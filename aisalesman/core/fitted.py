"""Fitted scikit-learn models as plain JSON numbers (TF-IDF vectorizers, logistic regressions).

Loading sets the stored numbers on fresh scikit-learn objects instead of fitting them, so a
loaded model predicts what the fitted one did: Python writes floats in their shortest
round-trip form, so the numbers read back are the fitted ones, bit for bit. Nothing is pickled.
Used by the script library file and the learned reader's cache.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pydantic

from aisalesman.core.errors import ConfigError

__all__ = ["RegressionParams", "TfidfParams", "dump_regression", "dump_vectorizer", "load_regression",
           "load_vectorizer"]

_STRICT = pydantic.ConfigDict(extra="forbid", allow_inf_nan=False)
# what TfidfVectorizer.transform depends on besides the vocabulary and idf weights
_STORED = ("analyzer", "ngram_range", "lowercase", "strip_accents", "binary", "sublinear_tf", "norm", "token_pattern")
_FIT_ONLY = ("max_df", "min_df", "max_features", "vocabulary", "smooth_idf", "dtype")


class TfidfParams(pydantic.BaseModel):
    model_config = _STRICT
    analyzer: Literal["char", "char_wb", "word"]
    ngram_range: tuple[pydantic.PositiveInt, pydantic.PositiveInt]
    lowercase: bool
    strip_accents: Literal["ascii", "unicode"] | None
    binary: bool
    sublinear_tf: bool
    norm: Literal["l1", "l2"] | None
    token_pattern: str | None
    terms: list[str] = pydantic.Field(min_length=1)
    idf: list[pydantic.PositiveFloat]

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> TfidfParams:
        if self.ngram_range[0] > self.ngram_range[1]:
            raise ValueError(f"ngram_range {list(self.ngram_range)} is not (low, high)")
        if len(self.idf) != len(self.terms):
            raise ValueError(f"{len(self.idf)} idf weights for {len(self.terms)} terms")
        if len(set(self.terms)) != len(self.terms):
            raise ValueError("terms repeat")
        return self


class RegressionParams(pydantic.BaseModel):
    model_config = _STRICT
    classes: list[str] = pydantic.Field(min_length=2)
    coef: list[list[float]] = pydantic.Field(min_length=1)
    intercept: list[float]

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> RegressionParams:
        rows = 1 if len(self.classes) == 2 else len(self.classes)
        if len(set(self.classes)) != len(self.classes):
            raise ValueError("classes repeat")
        if len(self.coef) != rows or len(self.intercept) != rows:
            raise ValueError(f"coef has {len(self.coef)} rows and intercept {len(self.intercept)} values; "
                             f"{len(self.classes)} classes need {rows}")
        if len({len(row) for row in self.coef}) != 1:
            raise ValueError("coef rows differ in length")
        return self


def dump_vectorizer(vec: Any) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    params, default = vec.get_params(), TfidfVectorizer().get_params()
    odd = sorted(k for k in params if k not in _STORED + _FIT_ONLY and params[k] != default[k])
    if odd:  # a callable tokenizer, stop words, ...: not expressible as plain numbers and strings
        raise ConfigError(f"cannot store a TF-IDF vectorizer with non-default {odd}")
    terms = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    return {**{k: params[k] for k in _STORED}, "ngram_range": list(params["ngram_range"]),
            "terms": terms, "idf": vec.idf_.tolist()}


def load_vectorizer(p: TfidfParams) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(**{k: getattr(p, k) for k in _STORED}, vocabulary={t: i for i, t in enumerate(p.terms)})
    vec.idf_ = np.asarray(p.idf, dtype=np.float64)
    return vec


def dump_regression(clf: Any) -> dict[str, Any]:
    return {"classes": [str(c) for c in clf.classes_], "coef": clf.coef_.tolist(), "intercept": clf.intercept_.tolist()}


def load_regression(p: RegressionParams) -> Any:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression()  # the hyperparameters only matter when fitting
    clf.classes_ = np.asarray(p.classes)
    clf.coef_ = np.asarray(p.coef, dtype=np.float64)
    clf.intercept_ = np.asarray(p.intercept, dtype=np.float64)
    clf.n_features_in_ = clf.coef_.shape[1]
    return clf
