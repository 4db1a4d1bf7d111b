"""The script library file's schema, and its fitted intent models stored as plain JSON numbers.

Version 2 of the file (``aisalesman-script-library``) stores the fitted
:class:`~aisalesman.agents.intents.TfidfIntentClassifier` and
:class:`~aisalesman.agents.intents.NextIntentModel` under ``models``, each as

- ``vectorizer``: the TF-IDF settings that affect ``transform`` (``analyzer``,
  ``ngram_range``, ``lowercase``, ``strip_accents``, ``binary``, ``sublinear_tf``, ``norm``,
  ``token_pattern``), ``terms`` (feature ``i`` is ``terms[i]``) and ``idf`` (one weight per
  term);
- ``regression``: a logistic regression's ``classes``, ``coef`` (one row per class, a single
  row for two classes; one column per feature) and ``intercept`` (one per row);
- for the next-intent model also ``previous``: the previous intents in the order of their
  one-hot columns, which follow the TF-IDF columns and precede one "objection open" column.

A model is null when the library had nothing to fit it from (mined from a corpus whose turns
carry no intents, with ``--intents-from``); using it is then an error, as it was in version 1.

Loading sets these numbers on fresh scikit-learn objects instead of fitting them, so a
loaded model predicts what the fitted one did: Python writes floats in their shortest
round-trip form, so the numbers read back are the fitted ones, bit for bit. Nothing is
pickled. Version 1 files hold the fitting data instead (``exemplars``, ``transitions``) and
the models are fitted from them on load.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic

from aisalesman.agents.intents import START, NextIntentModel, TfidfIntentClassifier
from aisalesman.core.errors import ConfigError, DataFileError
from aisalesman.core.files import describe_validation_error
from aisalesman.core.fitted import RegressionParams, TfidfParams
from aisalesman.core.fitted import dump_regression as _dump_regression
from aisalesman.core.fitted import dump_vectorizer as _dump_vectorizer
from aisalesman.core.fitted import load_regression as _load_regression
from aisalesman.core.fitted import load_vectorizer as _load_vectorizer
from aisalesman.dialogue.stages import StageMachine

__all__ = ["FORMAT", "VERSION", "EntryRecord", "LibraryFileV1", "LibraryFileV2", "dump_models", "load_models", "read_file"]

FORMAT = "aisalesman-script-library"
VERSION = 2

_STRICT = pydantic.ConfigDict(extra="forbid", allow_inf_nan=False)


# ------------------------------------------------------------------ the schema
class EntryRecord(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    id: str
    intent: str
    capability: str | None
    outline: str
    variants: list[str]
    support: int = pydantic.Field(ge=1)
    dialogues: int = pydantic.Field(ge=1)
    alpha: float = pydantic.Field(gt=0)
    beta: float = pydantic.Field(gt=0)
    contexts: list[str]


class TransitionRecord(pydantic.BaseModel):
    previous: str
    context: str
    objection_open: bool
    intent: str
    weight: float = pydantic.Field(gt=0)


def _check_width(regression: RegressionParams, features: int, what: str) -> None:
    if len(regression.coef[0]) != features:
        raise ValueError(f"coef has {len(regression.coef[0])} columns; {what} make {features} features")


class ClassifierParams(pydantic.BaseModel):
    model_config = _STRICT
    vectorizer: TfidfParams
    regression: RegressionParams

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> ClassifierParams:
        _check_width(self.regression, len(self.vectorizer.terms), "the terms")
        return self


class NextIntentParams(pydantic.BaseModel):
    model_config = _STRICT
    vectorizer: TfidfParams
    regression: RegressionParams
    previous: list[str] = pydantic.Field(min_length=1)

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> NextIntentParams:
        if len(set(self.previous)) != len(self.previous):
            raise ValueError("previous intents repeat")
        _check_width(self.regression, len(self.vectorizer.terms) + len(self.previous) + 1,
                     "the terms, previous intents and objection flag")
        return self


class FittedModelsParams(pydantic.BaseModel):
    model_config = _STRICT
    intent_classifier: ClassifierParams | None  # required, but null when there was nothing to fit
    next_intent: NextIntentParams | None


class _LibraryFile(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    format: str
    version: int
    meta: dict[str, Any]
    entries: list[EntryRecord] = pydantic.Field(min_length=1)


class LibraryFileV1(_LibraryFile):
    exemplars: list[tuple[str, str]]
    transitions: list[TransitionRecord]


class LibraryFileV2(_LibraryFile):
    models: FittedModelsParams


def read_file(path: Path) -> LibraryFileV1 | LibraryFileV2:
    """The parsed and validated file; anything wrong is a one-line :class:`DataFileError` naming the file."""
    if not path.is_file():
        raise DataFileError(path, "no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataFileError(path, f"not a readable JSON file: {err}") from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DataFileError(path, f"not a script library (format should be {FORMAT!r})")
    version = data.get("version")
    if isinstance(version, bool) or version not in (1, VERSION):
        raise DataFileError(path, f"library version {version!r}; this aisalesman reads versions 1 to {VERSION}")
    try:
        return (LibraryFileV1 if version == 1 else LibraryFileV2).model_validate(data)
    except pydantic.ValidationError as err:
        raise DataFileError(path, describe_validation_error(err)) from err



def dump_models(classifier: TfidfIntentClassifier | None, next_model: NextIntentModel | None) -> dict[str, Any]:
    """The ``models`` section of a version-2 file: the fitted models' parameters as JSON values."""
    out: dict[str, Any] = {"intent_classifier": None, "next_intent": None}
    if classifier is not None:
        vec, clf = classifier.fitted
        out["intent_classifier"] = {"vectorizer": _dump_vectorizer(vec), "regression": _dump_regression(clf)}
    if next_model is not None:
        vec, clf, previous = next_model.fitted
        out["next_intent"] = {"vectorizer": _dump_vectorizer(vec), "regression": _dump_regression(clf),
                              "previous": list(previous)}
    return out


def _check_intents(m: FittedModelsParams, machine: StageMachine) -> None:
    c, n = m.intent_classifier, m.next_intent
    for where, values, known in (
            ("intent_classifier.regression.classes", c.regression.classes if c else (), machine.intents),
            ("next_intent.regression.classes", n.regression.classes if n else (), machine.intents),
            ("next_intent.previous", n.previous if n else (), (START, *machine.intents))):
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(f"models.{where}: intents {unknown} that the stage machine does not know")


def load_models(m: FittedModelsParams,
                machine: StageMachine) -> tuple[TfidfIntentClassifier | None, NextIntentModel | None]:
    """The fitted models a version-2 file stores (None for a null one), rebuilt without fitting;
    intents the stage machine does not know are a :class:`ConfigError`."""
    _check_intents(m, machine)
    c, n = m.intent_classifier, m.next_intent
    return (c and TfidfIntentClassifier.from_fitted(_load_vectorizer(c.vectorizer), _load_regression(c.regression),
                                                    machine),
            n and NextIntentModel.from_fitted(_load_vectorizer(n.vectorizer), _load_regression(n.regression),
                                              n.previous, machine))
