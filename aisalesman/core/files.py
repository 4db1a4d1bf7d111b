"""Reading user files: YAML/JSON/JSONL in, pydantic-validated models out.

Every failure becomes a :class:`DataFileError` naming the file and, for schema errors, the
field, e.g. ``personas.yaml: record 3: hidden.patience: Input should be greater than 0``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from aisalesman.core.errors import DataFileError

__all__ = ["describe_validation_error", "read_records", "read_structured", "validate"]

M = TypeVar("M", bound=pydantic.BaseModel)


def describe_validation_error(err: pydantic.ValidationError) -> str:
    """The first schema problem as ``field.path: message`` (with a count of the rest)."""
    problems = err.errors()
    first = problems[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def read_structured(path: str | Path) -> Any:
    """Parse a YAML or JSON file (by suffix; YAML otherwise)."""
    p = Path(path)
    if not p.is_file():
        raise DataFileError(p, "no such file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DataFileError(p, f"cannot read: {err}") from err
    try:
        if p.suffix == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        msg = str(err).replace("\n", " ")
        raise DataFileError(p, f"not valid {'JSON' if p.suffix == '.json' else 'YAML'}: {msg}") from err


def read_records(path: str | Path) -> list[Any]:
    """Records from a ``.jsonl`` file (one per line) or a YAML/JSON list."""
    p = Path(path)
    if p.suffix != ".jsonl":
        data = read_structured(p)
        if isinstance(data, dict) and isinstance(data.get("personas"), list):
            data = data["personas"]
        if not isinstance(data, list):
            raise DataFileError(p, f"expected a list of records, got {type(data).__name__}")
        return data
    if not p.is_file():
        raise DataFileError(p, "no such file")
    records = []
    with p.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise DataFileError(p, f"line {lineno}: not valid JSON: {err.msg}") from err
    return records


def validate(model: type[M], data: Any, *, path: str | Path, where: str = "") -> M:
    """Validate ``data`` as ``model``; schema errors name the file and field."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as err:
        prefix = f"{where}: " if where else ""
        raise DataFileError(path, prefix + describe_validation_error(err)) from err


def validate_all(model: type[M], records: Iterable[Any], *, path: str | Path) -> list[M]:
    """Validate every record; the error names the (1-based) record number."""
    return [validate(model, r, path=path, where=f"record {i}") for i, r in enumerate(records, 1)]
