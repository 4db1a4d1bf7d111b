"""Leaderboard presentation: rich tables for the terminal and Markdown for documents."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from rich.table import Table

from aisalesman.core.errors import DataFileError
from aisalesman.core.types import Segment

__all__ = ["fidelity_table", "leaderboard_markdown", "leaderboard_table", "read_leaderboard", "segment_table"]

_Rate = Field(default=None, ge=0.0, le=1.0)


class _Checked(BaseModel):
    # extra="allow": a leaderboard row carries more than the tables show
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)


class _SegmentRow(_Checked):
    episodes: int = Field(ge=0)
    conversion_rate: float | None = _Rate
    ci_low: float | None = _Rate
    ci_high: float | None = _Rate


class _FidelityRow(_Checked):
    customer_turns: int = Field(ge=0)
    role_inversion_rate: float | None = _Rate
    persona_drift_rate: float | None = _Rate


class _LeaderboardRow(_Checked):
    """What the tables read from a row of ``leaderboard.json`` (rates are null where nothing was scored)."""

    agent: str
    episodes: int = Field(ge=0)
    conversion_rate: float | None = _Rate
    ci_low: float | None = _Rate
    ci_high: float | None = _Rate
    pass_hat_k: float | None = _Rate
    k: int = Field(ge=1)
    hang_up_rate: float | None = _Rate
    dnc_violations: int = Field(ge=0)
    false_claim_rate: float | None = _Rate
    infra_errors: int = Field(ge=0)
    by_segment: dict[str, _SegmentRow]
    fidelity: _FidelityRow | None = None


def read_leaderboard(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a ``leaderboard.json``, checked: a bad file is a :class:`DataFileError` naming the row and field."""
    from aisalesman.core.files import parse_json, read_text, validate

    text = read_text(path)
    if not text.strip():
        raise DataFileError(path, "the file is empty")
    rows = parse_json(text, path)
    if not isinstance(rows, list):
        raise DataFileError(path, f"a leaderboard must be a list of rows, got {type(rows).__name__}")
    for i, row in enumerate(rows, 1):
        validate(_LeaderboardRow, row, path=path, where=f"row {i}")
    return rows


def _pct(x: float | None) -> str:
    """A rate as a percentage; ``-`` where it is undefined (null: no calls to count it over)."""
    return "-" if x is None else f"{100 * x:.1f}%"


def _ci(row: dict[str, Any]) -> str:
    if row.get("ci_low") is None or row.get("ci_high") is None:
        return "-"
    return f"[{100 * row['ci_low']:.1f}, {100 * row['ci_high']:.1f}]"


def _pass_k(row: dict[str, Any]) -> str:
    return "-" if row.get("pass_hat_k") is None else f"{row['pass_hat_k']:.3f} (k={row['k']})"


_COLUMNS = ("agent", "episodes", "conversion", "95% CI", "pass^k", "hang-up", "DNC violations", "false claims",
            "infra errors")


def _cells(row: dict[str, Any]) -> list[str]:
    return [row["agent"], str(row["episodes"]), _pct(row["conversion_rate"]), _ci(row),
            _pass_k(row), _pct(row["hang_up_rate"]), str(row["dnc_violations"]),
            _pct(row["false_claim_rate"]), str(row["infra_errors"])]


def leaderboard_table(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(title="Leaderboard", title_justify="left")
    for i, col in enumerate(_COLUMNS):
        table.add_column(col, justify="left" if i == 0 else "right")
    # unscored agents (every call an infrastructure error) last
    for row in sorted(rows, key=lambda r: (r["conversion_rate"] is None, -(r["conversion_rate"] or 0.0))):
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
    f = row.get("fidelity") or {"customer_turns": 0, "role_inversion_rate": None, "persona_drift_rate": None}
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
