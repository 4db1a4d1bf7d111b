"""Leaderboard presentation: rich tables for the terminal and Markdown for documents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table

from aisalesman.core.types import Segment

__all__ = ["fidelity_table", "leaderboard_markdown", "leaderboard_table", "segment_table"]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _ci(row: dict[str, Any]) -> str:
    return f"[{100 * row['ci_low']:.1f}, {100 * row['ci_high']:.1f}]"


_COLUMNS = ("agent", "episodes", "conversion", "95% CI", "pass^k", "hang-up", "DNC violations", "false claims",
            "infra errors")


def _cells(row: dict[str, Any]) -> list[str]:
    return [row["agent"], str(row["episodes"]), _pct(row["conversion_rate"]), _ci(row),
            f"{row['pass_hat_k']:.3f} (k={row['k']})", _pct(row["hang_up_rate"]), str(row["dnc_violations"]),
            _pct(row["false_claim_rate"]), str(row["infra_errors"])]


def leaderboard_table(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(title="Leaderboard", title_justify="left")
    for i, col in enumerate(_COLUMNS):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in sorted(rows, key=lambda r: -r["conversion_rate"]):
        table.add_row(*_cells(row))
    return table


def _segments(rows: Sequence[dict[str, Any]]) -> list[str]:
    present = {s for r in rows for s in r["by_segment"]}
    return [s.value for s in Segment if s.value in present] + sorted(present - {s.value for s in Segment})


def segment_table(rows: Sequence[dict[str, Any]]) -> Table:
    """Conversion by persona segment (hot to hostile), with episode counts."""
    table = Table(title="Conversion by segment", title_justify="left")
    table.add_column("agent")
    segments = _segments(rows)
    for seg in segments:
        table.add_column(seg, justify="right")
    for row in rows:
        cells = []
        for seg in segments:
            s = row["by_segment"].get(seg)
            cells.append(f"{_pct(s['conversion_rate'])} (n={s['episodes']})" if s else "-")
        table.add_row(row["agent"], *cells)
    return table


_FIDELITY_COLUMNS = ("agent", "customer turns", "role inversion", "persona drift", "cold conversion",
                     "hostile conversion")


def _fidelity_cells(row: dict[str, Any]) -> list[str]:
    f = row.get("fidelity") or {"customer_turns": 0, "role_inversion_rate": 0.0, "persona_drift_rate": 0.0}
    seg = row["by_segment"]
    return [row["agent"], str(f["customer_turns"]), _pct(f["role_inversion_rate"]), _pct(f["persona_drift_rate"]),
            *(_pct(seg[s]["conversion_rate"]) if s in seg else "-" for s in ("cold", "hostile"))]


def fidelity_table(rows: Sequence[dict[str, Any]]) -> Table:
    """Customer-simulator fidelity: role inversion, persona drift, persuadability of hard segments."""
    table = Table(title="Customer fidelity", title_justify="left")
    for i, col in enumerate(_FIDELITY_COLUMNS):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*_fidelity_cells(row))
    return table


def leaderboard_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The leaderboard and the segment breakdown as Markdown tables."""
    lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    segments = _segments(rows)
    lines += ["", "| agent | " + " | ".join(segments) + " |", "|---|" + "---|" * len(segments)]
    for r in rows:
        cells = []
        for seg in segments:
            s = r["by_segment"].get(seg)
            cells.append(f"{_pct(s['conversion_rate'])} {_ci(s)}" if s else "-")
        lines.append(f"| {r['agent']} | " + " | ".join(cells) + " |")
    lines += ["", "| " + " | ".join(_FIDELITY_COLUMNS) + " |", "|" + "---|" * len(_FIDELITY_COLUMNS)]
    lines += ["| " + " | ".join(_fidelity_cells(r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"
