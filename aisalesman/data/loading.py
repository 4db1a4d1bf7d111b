"""Resolving product and persona arguments: a built-in name or a path to a user file."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

from aisalesman.core.errors import DataFileError, UnknownNameError
from aisalesman.core.files import read_records, read_structured, validate, validate_all
from aisalesman.core.persona import Persona
from aisalesman.core.product import Product
from aisalesman.core.registry import unknown_name_message
from aisalesman.core.rundir import atomic_write

__all__ = [
    "MAX_PERSONAS",
    "PERSONA_SPLITS",
    "builtin_product_names",
    "load_personas",
    "load_product",
    "load_products",
    "looks_like_personas",
    "write_personas",
]

PERSONA_SPLITS = ("train", "dev", "test")
#: Most personas ``personas generate`` writes: about 1.5 KB each, a million is a 1.5 GB file,
#: far more than a benchmark can call (each persona is called ``trials`` times per agent).
MAX_PERSONAS = 1_000_000
#: Seeds and sizes of the shipped splits (``aisalesman personas generate`` reproduces them).
SPLIT_SPECS = {"train": (300, 1001), "dev": (100, 1002), "test": (100, 1003)}


def _root():
    return resources.files(__package__)


def _looks_like_path(arg: str) -> bool:
    return any(sep in arg for sep in ("/", "\\")) or Path(arg).suffix in {".yaml", ".yml", ".json", ".jsonl"}


def builtin_product_names() -> list[str]:
    return sorted(p.name[: -len(".yaml")] for p in _root().joinpath("products").iterdir() if p.name.endswith(".yaml"))


@lru_cache(maxsize=32)
def _builtin_product(name: str) -> Product:
    path = _root().joinpath(f"products/{name}.yaml")
    return validate(Product, read_structured(Path(str(path))), path=f"built-in product {name}")


def load_product(name_or_path: str) -> Product:
    """A built-in product by name, or a product YAML/JSON file (validated)."""
    if _looks_like_path(name_or_path):
        return validate(Product, read_structured(name_or_path), path=name_or_path)
    names = builtin_product_names()
    if name_or_path not in names:
        raise UnknownNameError(unknown_name_message("product", name_or_path, names) + "; or pass a product YAML file")
    return _builtin_product(name_or_path)


def load_products(spec: str) -> list[Product]:
    """Comma-separated product names or files (``all`` for every built-in product)."""
    names = builtin_product_names() if spec == "all" else [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise UnknownNameError(f"no products given in {spec!r}")
    return [load_product(n) for n in names]


@lru_cache(maxsize=8)
def _builtin_split(split: str) -> tuple[Persona, ...]:
    path = Path(str(_root().joinpath(f"personas/{split}.jsonl")))
    return tuple(validate_all(Persona, read_records(path), path=path))


def load_personas(split_or_path: str) -> list[Persona]:
    """A shipped split (``train``, ``dev``, ``test``) or a persona file (validated).

    Persona files are JSONL (one persona per line) or a YAML/JSON list; ids must be unique.
    """
    if split_or_path in PERSONA_SPLITS:
        return list(_builtin_split(split_or_path))
    if not _looks_like_path(split_or_path):
        raise UnknownNameError(
            f"unknown persona split {split_or_path!r} (known: {', '.join(PERSONA_SPLITS)}); or pass a persona file"
        )
    personas = validate_all(Persona, read_records(split_or_path), path=split_or_path)
    if not personas:
        raise DataFileError(split_or_path, "contains no personas")
    seen: set[str] = set()
    for p in personas:
        if p.id in seen:
            raise DataFileError(split_or_path, f"duplicate persona id {p.id!r}")
        seen.add(p.id)
    return personas


@lru_cache(maxsize=1)
def builtin_personas_by_id() -> dict[str, Persona]:
    """Every shipped persona (all splits) by id."""
    return {p.id: p for split in PERSONA_SPLITS for p in _builtin_split(split)}


def write_personas(personas: list[Persona], path: str | Path) -> None:
    """Write personas atomically as JSONL, or as a YAML/JSON list by suffix, ready to edit and load."""
    p = Path(path)
    records = [persona.model_dump(mode="json") for persona in personas]
    if p.suffix in {".yaml", ".yml"}:
        import yaml

        text = yaml.safe_dump(records, sort_keys=False, allow_unicode=True)
    elif p.suffix == ".json":
        text = json.dumps(records, ensure_ascii=False, indent=1) + "\n"
    else:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    atomic_write(p, text)


def looks_like_personas(path: str | Path) -> bool:
    """Whether ``path`` is a persona file (its first record has an id, a CRM part and a hidden part)."""
    records = read_records(path)
    first = records[0] if records else None
    return isinstance(first, dict) and {"id", "crm", "hidden"} <= set(first)
