"""Reading user files: YAML/JSON/JSONL in, pydantic-validated models out.

Every failure becomes a :class:`DataFileError` naming the file and, for schema errors, the
field, e.g. ``personas.yaml: record 3: hidden.patience: Input should be greater than 0``.
What counts as a failure: a path that is missing, a directory or not a regular file; bytes
that are not UTF-8 (a UTF-8 byte-order mark is accepted); text that does not parse; numbers
with more digits than Python converts; nesting deeper than :data:`MAX_DEPTH`; YAML aliases
that expand to more than :data:`MAX_ALIAS_EXPANSION` values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from aisalesman.core.errors import DataFileError

__all__ = [
    "MAX_DEPTH",
    "check_readable",
    "describe_validation_error",
    "parse_json",
    "read_records",
    "read_structured",
    "read_text",
    "validate",
    "validate_all",
]

M = TypeVar("M", bound=pydantic.BaseModel)

#: Nesting deeper than this is refused: our files nest a handful of levels, and a parser or
#: validator recursing through 100,000 levels would die with a RecursionError.
MAX_DEPTH = 100
#: Values a YAML file's aliases may expand to (a "billion laughs" file expands to 10**9).
MAX_ALIAS_EXPANSION = 100_000


def describe_validation_error(err: pydantic.ValidationError) -> str:
    """The first schema problem as ``field.path: message`` (with a count of the rest)."""
    problems = err.errors()
    first = problems[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def check_readable(path: str | Path) -> Path:
    """``path`` as a Path, if it names a regular file; else a :class:`DataFileError` saying what it is."""
    p = Path(path)
    if p.is_dir():
        raise DataFileError(p, "is a directory, not a file")
    if not p.exists():
        raise DataFileError(p, "no such file")
    if not p.is_file():
        raise DataFileError(p, "not a regular file")
    return p


def _decode(data: bytes, path: Path, where: str = "") -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataFileError(path, f"{where}not UTF-8 text (byte {err.start}: {err.reason})") from err


def read_text(path: str | Path) -> str:
    """The file's text: UTF-8, with or without a byte-order mark."""
    p = check_readable(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        raise DataFileError(p, f"cannot read: {err.strerror or err}") from err
    return _decode(data, p)


def _too_big(data: Any, *, max_nodes: int | None = None) -> str | None:
    """Why ``data`` is refused (nested deeper than MAX_DEPTH, or more than ``max_nodes`` values), or None."""
    stack, seen = [(data, 1)], 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if max_nodes is not None and seen > max_nodes:
            return f"its aliases expand to more than {max_nodes:,} values"
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                return f"nested deeper than {MAX_DEPTH} levels"
            stack.extend((v, depth + 1) for v in (node.values() if isinstance(node, dict) else node))
    return None


def _parse_problem(err: Exception, kind: str) -> str:
    if isinstance(err, RecursionError):
        return f"nested deeper than {MAX_DEPTH} levels"
    first = " ".join(str(err).split(";")[0].split())  # a 5,000-digit number: drop the set_int_max_str_digits hint
    return f"not valid {kind}: {getattr(err, 'msg', None) or first}" + (
        f" (line {err.lineno} column {err.colno})" if isinstance(err, json.JSONDecodeError) else "")


def parse_json(text: str, path: str | Path, where: str = "") -> Any:
    """``text`` parsed as JSON; a syntax error, a huge number or deep nesting names ``path`` (and ``where``)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:  # JSONDecodeError is a ValueError, as is a 5,000-digit int
        raise DataFileError(path, where + _parse_problem(err, "JSON")) from err
    problem = _too_big(data)
    if problem:
        raise DataFileError(path, where + problem)
    return data


class _TooDeep(yaml.YAMLError):
    pass


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing deep nesting as it meets it (not 100,000 levels later) and counting aliases."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth, self.aliases = 0, 0

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201  (PyYAML's signature)
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _parse_yaml(text: str, path: Path) -> Any:
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except _TooDeep as err:
        raise DataFileError(path, str(err)) from err
    except (yaml.YAMLError, ValueError, RecursionError) as err:
        raise DataFileError(path, _parse_problem(err, "YAML").replace("\n", " ")) from err
    finally:
        loader.dispose()
    problem = _too_big(data, max_nodes=MAX_ALIAS_EXPANSION if loader.aliases else None)
    if problem:
        raise DataFileError(path, problem)
    return data


def read_structured(path: str | Path) -> Any:
    """Parse a YAML or JSON file (by suffix; YAML otherwise)."""
    p = Path(path)
    text = read_text(p)
    return parse_json(text, p) if p.suffix == ".json" else _parse_yaml(text, p)


def read_records(path: str | Path) -> list[Any]:
    """Records from a ``.jsonl`` file (one per line) or a YAML/JSON list."""
    p = Path(path)
    if p.suffix != ".jsonl":
        data = read_structured(p)
        if isinstance(data, dict) and isinstance(data.get("personas"), list):
            data = data["personas"]
        if not isinstance(data, list):
            got = "an empty file" if data is None else type(data).__name__
            raise DataFileError(p, f"expected a list of records, got {got}")
        return data
    check_readable(p)
    records = []
    try:
        with p.open("rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                line = _decode(raw, p, f"line {lineno}: ")
                if line.strip():
                    records.append(parse_json(line, p, f"line {lineno}: "))
    except OSError as err:
        raise DataFileError(p, f"cannot read: {err.strerror or err}") from err
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
