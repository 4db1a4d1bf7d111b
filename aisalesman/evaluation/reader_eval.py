"""Scoring a reader on labelled utterances (``aisalesman reader eval``).

Figures, over the utterances of each kind in the file or split:

- salesman acts: per-act precision, recall and F1 (multi-label), their macro average, and
  ``salesman_act_recall``: the share of utterances whose every labelled act was read;
- customer acts: the same; ``customer_objection_accuracy``: among utterances that raise an
  objection, the share read with that objection type (``customer_false_objection_rate``: among
  those that raise none, the share read as raising one); ``customer_decision_accuracy`` and
  its confusion matrix over none / accept / reject / hang_up / do_not_call;
- claims: ``false_claim_recall``, the share of false sentences flagged with a false claim of
  the labelled slot (per slot too, and ``false_claim_flagged`` ignoring the slot), and
  ``true_claim_pass``, the share of true sentences with no false claim.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from aisalesman.core.types import CustomerAct, SalesAct
from aisalesman.dialogue.reading import Reader
from aisalesman.dialogue.reading_set import LabelledUtterance

__all__ = ["DECISIONS", "score_reader"]

DECISIONS = ("none", "accept", "reject", "hang_up", "do_not_call")


def _prf(pred: Sequence[set[str]], gold: Sequence[set[str]], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    out = {}
    for label in labels:
        tp = sum(1 for p, g in zip(pred, gold, strict=True) if label in p and label in g)
        npred = sum(1 for p in pred if label in p)
        ngold = sum(1 for g in gold if label in g)
        precision = tp / npred if npred else 0.0
        recall = tp / ngold if ngold else float("nan")
        f1 = 2 * tp / (npred + ngold) if npred + ngold else float("nan")
        out[label] = {"precision": precision, "recall": recall, "f1": f1, "support": ngold}
    return out


def _macro(per: dict[str, dict[str, float]], key: str) -> float:
    vals = [v[key] for v in per.values() if v["support"]]
    return sum(vals) / len(vals) if vals else float("nan")


def _all_read(pred: Sequence[set[str]], gold: Sequence[set[str]]) -> float:
    return sum(1 for p, g in zip(pred, gold, strict=True) if g <= p) / len(gold) if gold else float("nan")


def _act_figures(result: dict[str, Any], role: str, readings: Sequence, data: Sequence[LabelledUtterance],
                 acts: type) -> None:
    """Per-act P/R/F1, their macro F1, the lowest recall and the all-acts-read share of one role."""
    pred = [{str(a) for a in r.acts} for r in readings]
    gold = [set(u.acts) for u in data]
    per = _prf(pred, gold, [str(a) for a in acts])
    result[f"{role}_acts"] = per
    result[f"{role}_act_macro_f1"] = _macro(per, "f1")
    result[f"{role}_act_min_recall"] = min(v["recall"] for v in per.values() if v["support"])
    result[f"{role}_act_recall"] = _all_read(pred, gold)


def score_reader(reader: Reader, data: Sequence[LabelledUtterance], products: dict[str, Any]) -> dict[str, Any]:
    """Every figure of the module docstring, plus ``n`` and reading speed (utterances/s)."""
    sales = [u for u in data if u.role == "salesman" and u.kind == "acts"]
    customer = [u for u in data if u.role == "customer" and u.kind == "acts"]
    claims = [u for u in data if u.kind == "claim"]
    t0 = time.perf_counter()
    s_read = reader.read_salesman_batch([u.text for u in sales])
    c_read = reader.read_customer_batch([u.text for u in customer])
    elapsed = time.perf_counter() - t0
    result: dict[str, Any] = {"reader": reader.name, "n": len(data), "n_salesman": len(sales),
                              "n_customer": len(customer), "n_claims": len(claims)}

    if sales:
        _act_figures(result, "salesman", s_read, sales, SalesAct)
        handled = [(r, u) for r, u in zip(s_read, sales, strict=True) if u.answers]
        if handled:
            result["salesman_answer_recall"] = sum(
                1 for r, u in handled if set(u.answers) & {str(a) for a in r.answers}) / len(handled)
    if customer:
        _act_figures(result, "customer", c_read, customer, CustomerAct)
        raised = [(r, u) for r, u in zip(c_read, customer, strict=True) if u.objection]
        none = [(r, u) for r, u in zip(c_read, customer, strict=True) if not u.objection]
        result["customer_objection_accuracy"] = (
            sum(1 for r, u in raised if r.objection is not None and str(r.objection) == u.objection) / len(raised)
            if raised else float("nan"))
        result["customer_false_objection_rate"] = (
            sum(1 for r, _ in none if r.objection is not None) / len(none) if none else float("nan"))
        confusion = {g: {p: 0 for p in DECISIONS} for g in DECISIONS}
        for r, u in zip(c_read, customer, strict=True):
            confusion[u.decision][r.decision_name] += 1
        result["customer_decision_confusion"] = confusion
        result["customer_decision_accuracy"] = sum(confusion[d][d] for d in DECISIONS) / len(customer)
    if claims:
        t1 = time.perf_counter()
        verdicts = []
        for u in claims:
            if u.product not in products:
                from aisalesman.core.errors import DataFileError

                raise DataFileError("reading set", f"claim {u.text[:40]!r}: unknown product {u.product!r} "
                                                   f"(known: {', '.join(sorted(products))})")
            found = reader.claims(u.text, products[u.product])
            verdicts.append([c for c in found if not c.valid])
        elapsed += time.perf_counter() - t1
        false_rows = [(v, u) for v, u in zip(verdicts, claims, strict=True) if not u.valid]
        true_rows = [(v, u) for v, u in zip(verdicts, claims, strict=True) if u.valid]
        by_slot: dict[str, list[int]] = {}
        for v, u in false_rows:
            hit = any(c.kind == u.slot for c in v) if u.slot else bool(v)
            by_slot.setdefault(u.slot or "?", []).append(int(hit))
        result["false_claim_by_slot"] = {k: {"recall": sum(v) / len(v), "support": len(v)} for k, v in sorted(by_slot.items())}
        result["false_claim_recall"] = (sum(sum(v) for v in by_slot.values()) / len(false_rows)) if false_rows else float("nan")
        result["false_claim_flagged"] = (sum(1 for v, _ in false_rows if v) / len(false_rows)) if false_rows else float("nan")
        result["true_claim_pass"] = (sum(1 for v, _ in true_rows if not v) / len(true_rows)) if true_rows else float("nan")
        flagged_true = Counter(c.kind for v, _ in true_rows for c in v)
        result["true_claims_flagged_by_kind"] = dict(sorted(flagged_true.items()))
    result["utterances_per_s"] = (len(sales) + len(customer) + len(claims)) / elapsed if elapsed > 0 else float("nan")
    return result
