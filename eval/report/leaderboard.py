"""Leaderboards: rows (one per corpus × system, a column per metric) as Markdown and CSV, and several run folders
merged into one, with significance recomputed for corpora pooled from several runs."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import RunError
from ..records import SIGNIFICANCE_KEYS, ScoreRecord, Scores


def _metric_cells(metric: str, info: ScoreRecord) -> dict[str, Any]:
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


def _corpus_key(info: dict[str, Any]) -> tuple:
    """What must agree for two runs' results on a corpus to be pooled: the same source and reference texts (by
    their sha256, wherever the files were) and target language."""
    return (info.get("sources_sha256"), info.get("tgt_lang"), info.get("references"),
            tuple(info.get("references_sha256") or ()))


def merge_runs(roots: Sequence[str | Path], corpora: Sequence[str] | None = None) -> dict[str, Scores]:
    """`{corpus: {system: {metric: info}}}` over several run folders; pooled corpora get fresh significance."""
    from ..runs.layout import RunDir

    merged: dict[str, Scores] = {}
    origin: dict[str, list[RunDir]] = {}
    meta: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}  # corpus → (manifest corpus info, significance)
    for root in roots:
        rundir = RunDir(root)
        scores = rundir.read_json(rundir.scores)
        manifest = rundir.load_manifest()
        for corpus, systems in scores.items():
            if corpora and corpus not in corpora:
                continue
            info = manifest.get("corpora", {}).get(corpus, {})
            if corpus in meta and _corpus_key(meta[corpus][0]) != _corpus_key(info):
                first = origin[corpus][0].root
                raise RunError(f"{rundir.scores}: corpus {corpus!r} differs from the one in {first} (sources, "
                               f"target language or references); cannot pool them")
            meta.setdefault(corpus, (info, manifest.get("significance") or {}))
            target = merged.setdefault(corpus, {})
            for system, by_metric in systems.items():
                if system in target and target[system] != by_metric:
                    raise RunError(f"{rundir.scores}: system {system!r} on corpus {corpus!r} is also in "
                                   f"{origin[corpus][0].root} with other scores; rename one of them")
                target[system] = by_metric
            origin.setdefault(corpus, []).append(rundir)
    if corpora:
        missing = [c for c in corpora if c not in merged]
        if missing:
            raise RunError(f"no corpus {', '.join(map(repr, missing))} in {', '.join(map(str, roots))}")
    for corpus, dirs in origin.items():
        if len(dirs) > 1:
            _resignify(corpus, dirs, merged[corpus], *meta[corpus])
    return merged


def _resignify(corpus: str, dirs: list, systems: Scores, info: dict[str, Any],
               settings: dict[str, Any]) -> None:
    """Recompute CIs, p-values and clusters of a corpus pooled from several runs, from their statistics."""
    import numpy as np

    from ..metrics import make_metrics
    from ..metrics.significance import Settings, analyse

    names = sorted({m for by in systems.values() for m in by})
    signatures = {}
    for system, by_metric in systems.items():
        for m, entry in by_metric.items():
            if signatures.setdefault(m, entry.get("signature")) != entry.get("signature"):
                raise RunError(f"corpus {corpus!r}: metric {m!r} has different signatures across runs; "
                               f"cannot pool them")
    stats: dict[str, dict[str, np.ndarray]] = {}
    for rundir in dirs:
        path = rundir.stats(corpus)
        if not path.is_file():
            raise RunError(f"{path}: not found; re-run the score stage of {rundir.root}")
        with np.load(path) as npz:
            for key in npz.files:
                system, _, metric = key.partition("|")
                stats.setdefault(system, {})[metric] = npz[key]
    stats = {s: stats[s] for s in systems if s in stats and all(m in stats[s] for m in systems[s])}
    lengths = {len(a) for by in stats.values() for a in by.values()}
    if len(lengths) > 1:
        raise RunError(f"corpus {corpus!r}: statistics have different segment counts across runs {sorted(lengths)}")
    metrics = [m for m in make_metrics(names, info.get("tgt_lang") or "en")
               if all(m.name in by for by in stats.values())]
    allowed = {f.name for f in Settings.__dataclass_fields__.values()}
    settings = {k: v for k, v in settings.items() if k in allowed}
    settings["baseline"] = None  # a baseline named in one run need not be in the others
    result = analyse(metrics, stats, Settings(**settings))
    for system, by_metric in result.items():
        for metric, extra in by_metric.items():
            entry = systems[system][metric]
            for key in SIGNIFICANCE_KEYS:
                entry.pop(key, None)
            entry.update(extra)
