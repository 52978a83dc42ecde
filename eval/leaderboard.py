"""Leaderboard rows (one per corpus × system, a column per metric) as Markdown and CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

Scores = dict[str, dict[str, dict[str, Any]]]  # {system: {metric: {"score": ..., "higher_is_better": ...}}}


def system_rows(systems: Scores) -> list[dict[str, Any]]:
    """One row per system, best first on the first metric."""
    rows = [{"system": system, **{m: v["score"] for m, v in metrics.items()}} for system, metrics in systems.items()]
    first_metrics = next(iter(systems.values()), {})
    if first_metrics:
        key, info = next(iter(first_metrics.items()))
        rows.sort(key=lambda r: r[key], reverse=info.get("higher_is_better", True))
    return rows


def leaderboard_rows(scores: dict[str, Scores]) -> list[dict[str, Any]]:
    """Flatten `{corpus: {system: {metric: {"score": ...}}}}` into rows, corpus by corpus."""
    return [{"corpus": corpus, **row} for corpus, systems in scores.items() for row in system_rows(systems)]


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for row in rows:
        cols.extend(k for k in row if k not in cols)
    return cols


def _fmt(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def to_markdown(rows: list[dict[str, Any]]) -> str:
    cols = _columns(rows)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def to_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=_columns(rows), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
