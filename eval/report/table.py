"""The leaderboard on stdout: a table per corpus for the terminal, or Markdown / CSV / JSON for files and pipes.

The terminal table has one column per metric; a cell holds the score, its significance cluster as a badge
(①: not significantly worse than the best) and its 95% bootstrap CI. Systems are ranked by the primary metric.
Cells take two lines when one line would not fit the terminal, so six metrics fit in 120 columns.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from .leaderboard import leaderboard_rows, to_csv, to_markdown

Scores = dict[str, dict[str, dict[str, dict[str, Any]]]]  # {corpus: {system: {metric: info}}}
FORMATS = ("auto", "table", "md", "csv", "json")
_CLUSTER_STYLES = ("bold green", "yellow", "magenta", "cyan", "blue")


def resolve_format(fmt: str, stream: TextIO | None = None) -> str:
    """`auto` is the terminal table on a terminal and Markdown otherwise (a pipe, a file, a test)."""
    if fmt != "auto":
        return fmt
    stream = stream or sys.stdout
    return "table" if stream.isatty() else "md"


def badge(cluster: int) -> str:
    """① … ⑳ for significance clusters 1–20, then (21), (22), …"""
    return chr(0x245F + cluster) if 1 <= cluster <= 20 else f"({cluster})"


def ranked(systems: dict[str, dict[str, dict[str, Any]]], metric: str) -> list[str]:
    """System names best first on `metric` (its `higher_is_better`); systems without it last."""
    higher = next((by[metric].get("higher_is_better", True) for by in systems.values() if metric in by), True)
    return sorted(systems, key=lambda s: (metric not in systems[s],
                                          -systems[s][metric]["score"] * (1 if higher else -1)
                                          if metric in systems[s] else 0))


def _metrics(systems: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    names: list[str] = []
    for by in systems.values():
        names.extend(m for m in by if m not in names)
    return names


def _cell(info: dict[str, Any] | None, two_lines: bool) -> Any:
    from rich.text import Text

    if info is None:
        return Text("–", style="dim")
    cluster = info.get("cluster")
    text = Text(f"{info['score']:.2f}", style="bold" if cluster == 1 else "")
    if cluster is not None:
        text.append(" " + badge(cluster), style=_CLUSTER_STYLES[min(cluster, len(_CLUSTER_STYLES)) - 1])
    if info.get("ci"):
        low, high = info["ci"]
        text.append("\n" if two_lines else " ")
        text.append(f"{low:.1f}–{high:.1f}", style="dim")
    return text


def corpus_table(corpus: str, systems: dict[str, dict[str, dict[str, Any]]], sort_by: str | None,
                 two_lines: bool) -> Any:
    """A rich `Table` of one corpus: rank, system, one column per metric."""
    from rich import box
    from rich.table import Table

    metrics = _metrics(systems)
    primary = sort_by if sort_by in metrics else (metrics[0] if metrics else None)
    table = Table(title=corpus, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("system", overflow="fold")
    for m in metrics:
        higher = next((by[m].get("higher_is_better", True) for by in systems.values() if m in by), True)
        arrow = "↑" if higher else "↓"
        table.add_column(f"{m} {arrow}" + (" •" if m == primary else ""), justify="right", no_wrap=True)
    order = ranked(systems, primary) if primary else list(systems)
    for rank, system in enumerate(order, 1):
        table.add_row(str(rank), system, *(_cell(systems[system].get(m), two_lines) for m in metrics))
    return table


def _legend(scores: Scores) -> str:
    infos = [info for systems in scores.values() for by in systems.values() for info in by.values()]
    parts = ["• ranked by this metric"]
    if any("ci" in i for i in infos):
        parts.append("grey: 95% bootstrap CI")
    if any("cluster" in i for i in infos):
        parts.append(f"{badge(1)} {badge(2)} {badge(3)}: significance clusters ({badge(1)}: not significantly "
                     "worse than the best)")
    return "; ".join(parts)


def print_table(scores: Scores, sort_by: str | None = None, file: TextIO | None = None, width: int | None = None
                ) -> None:
    """Print one table per corpus to `file` (default stdout), fitting `width` (default: the terminal's)."""
    from rich.console import Console
    from rich.measure import Measurement

    console = Console(file=file or sys.stdout, width=width, highlight=False)
    for corpus, systems in scores.items():
        table = corpus_table(corpus, systems, sort_by, two_lines=False)
        if Measurement.get(console, console.options.update_width(10_000), table).maximum > console.width:
            table = corpus_table(corpus, systems, sort_by, two_lines=True)
        console.print(table)
    console.print(_legend(scores), style="dim")


def print_scores(scores: Scores, fmt: str = "auto", sort_by: str | None = None, file: TextIO | None = None
                 ) -> None:
    """Print a leaderboard in `fmt` (auto, table, md, csv, json) to `file` (default stdout)."""
    out = file or sys.stdout
    fmt = resolve_format(fmt, out)
    if fmt == "table":
        print_table(scores, sort_by, out)
    elif fmt == "json":
        print(json.dumps(scores, ensure_ascii=False, indent=2), file=out)
    else:
        rows = leaderboard_rows(scores, sort_by=sort_by)
        print(to_markdown(rows) if fmt == "md" else to_csv(rows), end="", file=out)
    out.flush()
