"""Leaderboard rows (one per corpus × system, a column per metric) as Markdown and CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

Scores = dict[str, dict[str, dict[str, Any]]]  # {system: {metric: {"score": ..., "higher_is_better": ...}}}


def _metric_cells(metric: str, info: dict[str, Any]) -> dict[str, Any]:
    """The score and, when significance was computed, its CI bounds, p-value (vs the baseline) and cluster."""
    cells: dict[str, Any] = {metric: info["score"]}
    if "ci" in info:
        cells[f"{metric}_ci_low"], cells[f"{metric}_ci_high"] = info["ci"]
    if "p_value" in info:
        cells[f"{metric}_p"] = info["p_value"]
    if "cluster" in info:
        cells[f"{metric}_cluster"] = info["cluster"]
    return cells


def system_rows(systems: Scores, sort_by: str | None = None) -> list[dict[str, Any]]:
    """One row per system, best first on `sort_by` (default: the first metric); `higher_is_better` respected."""
    rows = []
    for system, metrics in systems.items():
        row: dict[str, Any] = {"system": system}
        for m, info in metrics.items():
            row.update(_metric_cells(m, info))
        rows.append(row)
    first_metrics = next(iter(systems.values()), {})
    key = sort_by or next(iter(first_metrics), None)
    if key is not None:
        higher = next((m[key].get("higher_is_better", True) for m in systems.values() if key in m), True)
        rows.sort(key=lambda r: (key not in r, -r[key] if higher and key in r else r.get(key, 0)))
    return rows


def leaderboard_rows(scores: dict[str, Scores], sort_by: str | None = None) -> list[dict[str, Any]]:
    """Flatten `{corpus: {system: {metric: {"score": ...}}}}` into rows, corpus by corpus."""
    return [{"corpus": corpus, **row} for corpus, systems in scores.items() for row in system_rows(systems, sort_by)]


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for row in rows:
        cols.extend(k for k in row if k not in cols)
    return cols


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _markdown_cells(row: dict[str, Any]) -> dict[str, str]:
    """Markdown view of a row: CI bounds joined into one `metric 95% CI` cell, p-values with 4 decimals."""
    cells: dict[str, str] = {}
    for key, value in row.items():
        if key.endswith("_ci_high"):
            continue
        if key.endswith("_ci_low"):
            metric = key[: -len("_ci_low")]
            cells[f"{metric} 95% CI"] = f"{_fmt(value)}–{_fmt(row.get(metric + '_ci_high'))}"
        elif key.endswith("_p"):
            cells[f"{key[:-2]} p"] = "baseline" if value is None else f"{value:.4f}"
        elif key.endswith("_cluster"):
            cells[f"{key[: -len('_cluster')]} cluster"] = str(value)
        else:
            cells[key] = _fmt(value)
    return cells


def to_markdown(rows: list[dict[str, Any]]) -> str:
    """A Markdown table; with significance, each metric has CI, p (vs the baseline) and cluster columns."""
    shown = [_markdown_cells(r) for r in rows]
    cols = _columns(shown)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(_cell(r.get(c, "")) for c in cols) + " |" for r in shown]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """A Markdown table cell: a `|` or a line break in a (user-chosen) system name would break the table."""
    return " ".join(text.replace("|", "\\|").split())


def to_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=_columns(rows), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
