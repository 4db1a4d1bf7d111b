"""The labelled reading set: utterances with the acts, objections and claim verdicts they carry.

Written by hand for this project, apart from the templates and cue phrases the agents use:
salesman turns labelled with their acts (multi-label), the objection types they answer and
the needs they mention; customer turns with their acts, objection and needs; and salesman
claim sentences, true or false against one product's knowledge base, with the slot of the
false statement. The authored files are ``data/reading_src/*.jsonl``; ``data/reading/`` holds
the ``train`` / ``dev`` / ``test`` splits made from them by :func:`split_of` (a hash of the
text under a fixed seed, so adding sentences never moves old ones between splits). The test
split is never used to fit or tune a reader: fitting uses ``train``, choosing thresholds and
settings uses ``dev``.

One JSON object per line:

- ``{"role": "salesman", "text": "...", "acts": ["ask_need"], "answers": [...], "needs": [...]}``
- ``{"role": "customer", "text": "...", "acts": ["raise_objection"], "objection": "price"}``
- ``{"role": "salesman", "kind": "claim", "product": "bistro-boost", "text": "...", "valid": false,
  "slot": "price"}``
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from aisalesman.core.errors import DataFileError
from aisalesman.core.files import read_records
from aisalesman.core.types import CustomerAct, ObjectionType, SalesAct

__all__ = ["CLAIM_SLOTS", "SPLITS", "SPLIT_SEED", "LabelledUtterance", "load_reading_set", "parse_records",
           "split_of", "write_splits"]

SPLITS = ("train", "dev", "test")
SPLIT_SEED = 20261128
#: Fractions of the train and dev splits; the rest is test.
_TRAIN, _DEV = 0.60, 0.15
CLAIM_SLOTS = ("price", "discount", "trial", "contract", "cancellation", "setup_fee", "evidence", "non_feature",
               "feature", "none")
_DECISION_OF = {"accept": "accept", "reject": "reject", "hang_up": "hang_up", "request_dnc": "do_not_call"}
_DECISION_ORDER = ("request_dnc", "hang_up", "accept", "reject")  # the same precedence the readers use


@dataclass(frozen=True)
class LabelledUtterance:
    """One labelled line. ``kind`` is ``acts`` (salesman or customer acts) or ``claim``."""

    role: Literal["salesman", "customer"]
    text: str
    kind: Literal["acts", "claim"] = "acts"
    acts: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()
    objection: str | None = None
    needs: tuple[str, ...] = ()
    product: str | None = None
    valid: bool | None = None
    slot: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def decision(self) -> str:
        """The customer's decision: ``accept``, ``reject``, ``hang_up``, ``do_not_call`` or ``none``."""
        for act in _DECISION_ORDER:
            if act in self.acts:
                return _DECISION_OF[act]
        return "none"


def split_of(text: str, seed: int = SPLIT_SEED) -> str:
    """The split a text belongs to: a stable hash of (seed, text) mapped to train/dev/test."""
    h = int.from_bytes(hashlib.sha256(f"{seed}\0{text}".encode()).digest()[:8], "big") / 2**64
    return "train" if h < _TRAIN else "dev" if h < _TRAIN + _DEV else "test"


def _strings(rec: dict, key: str, allowed: Iterable[str] | None, where: str) -> tuple[str, ...]:
    value = rec.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: '{key}' must be a list of strings")
    if allowed is not None:
        allowed = set(allowed)
        bad = [v for v in value if v not in allowed]
        if bad:
            raise ValueError(f"{where}: unknown {key} {bad} (known: {', '.join(sorted(allowed))})")
    return tuple(value)


def parse_records(records: Iterable[tuple[int, dict]], path: str) -> list[LabelledUtterance]:
    """Validate ``(record number, object)`` pairs into utterances; a bad line is a :class:`DataFileError`."""
    out = []
    for lineno, rec in records:
        where = f"record {lineno}"
        try:
            if not isinstance(rec, dict):
                raise ValueError(f"{where}: expected a JSON object")
            role, text = rec.get("role"), rec.get("text")
            if role not in ("salesman", "customer"):
                raise ValueError(f"{where}: 'role' must be 'salesman' or 'customer', got {role!r}")
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{where}: 'text' must be a non-empty string")
            product = rec.get("product")
            if product is not None and not isinstance(product, str):
                raise ValueError(f"{where}: 'product' must be a string")
            if rec.get("kind") == "claim":
                if role != "salesman":
                    raise ValueError(f"{where}: claims are salesman sentences")
                if not isinstance(rec.get("valid"), bool):
                    raise ValueError(f"{where}: 'valid' must be true or false")
                if not product:
                    raise ValueError(f"{where}: a claim needs the 'product' it is checked against")
                slot = rec.get("slot")
                if slot is not None and slot not in CLAIM_SLOTS:
                    raise ValueError(f"{where}: unknown slot {slot!r} (known: {', '.join(CLAIM_SLOTS)})")
                out.append(LabelledUtterance(role, text, "claim", product=product, valid=rec["valid"], slot=slot,
                                             extra={"note": rec.get("note")}))
                continue
            if rec.get("kind") not in (None, "acts"):
                raise ValueError(f"{where}: unknown kind {rec.get('kind')!r} (known: acts, claim)")
            known = [str(a) for a in (SalesAct if role == "salesman" else CustomerAct)]
            acts = _strings(rec, "acts", known, where)
            if not acts:
                raise ValueError(f"{where}: 'acts' must list at least one act")
            needs = _strings(rec, "needs", None, where)
            if role == "salesman":
                answers = _strings(rec, "answers", [str(o) for o in ObjectionType], where)
                out.append(LabelledUtterance(role, text, acts=acts, answers=answers, needs=needs, product=product))
            else:
                objection = rec.get("objection")
                if objection is not None and objection not in {str(o) for o in ObjectionType}:
                    raise ValueError(f"{where}: unknown objection {objection!r} "
                                     f"(known: {', '.join(str(o) for o in ObjectionType)})")
                if (objection is None) == ("raise_objection" in acts):
                    raise ValueError(f"{where}: 'objection' must be given exactly when 'raise_objection' is an act")
                out.append(LabelledUtterance(role, text, acts=acts, objection=objection, needs=needs, product=product))
        except ValueError as e:
            raise DataFileError(path, str(e)) from None
    return out


def _data_dir(name: str) -> Path:
    return Path(str(resources.files("aisalesman.dialogue").joinpath("data", name)))


def load_reading_set(split: str | Sequence[str] = "test", *, path: str | Path | None = None) -> list[LabelledUtterance]:
    """The shipped split(s), or every line of ``path`` (any file of this format)."""
    if path is not None:
        return parse_records(enumerate(read_records(path), 1), str(path))
    names = (split,) if isinstance(split, str) else tuple(split)
    out: list[LabelledUtterance] = []
    for name in names:
        if name not in SPLITS:
            raise DataFileError("reading set", f"unknown split {name!r} (known: {', '.join(SPLITS)})")
        f = _data_dir("reading") / f"{name}.jsonl"
        out += parse_records(enumerate(read_records(f), 1), str(f))
    return out


def write_splits(src: Path | None = None, out: Path | None = None) -> dict[str, int]:
    """Rebuild ``data/reading/{train,dev,test}.jsonl`` from the authored files; returns counts."""
    src = src or _data_dir("reading_src")
    out = out or _data_dir("reading")
    lines: dict[str, list[str]] = {s: [] for s in SPLITS}
    seen: set[str] = set()
    for f in sorted(src.glob("*.jsonl")):
        for rec in read_records(f):
            parse_records([(0, rec)], str(f))
            key = rec["text"].strip().lower()
            if key in seen:
                continue
            seen.add(key)
            lines[split_of(rec["text"])].append(json.dumps(rec, ensure_ascii=False, sort_keys=True))
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in lines.items():
        (out / f"{name}.jsonl").write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    return {k: len(v) for k, v in lines.items()}
