"""Statistics of all systems × metrics, spread over the idle cores: the fast n-gram path for sacreBLEU metrics,
each metric's own `stats` otherwise."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..parallel import fork_map, idle_cores
from .ngrams import sacre_stats_many


def _metric_stats(metric, hypotheses: dict[str, Sequence[str]], references: Sequence[Sequence[str]],
                  sources: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    sb = getattr(metric, "sb", None)
    refs = [list(r) for r in references]
    fast = sacre_stats_many(sb, hypotheses, refs) if sb is not None else None
    if fast is not None:
        return fast
    return metric.stats_systems({n: list(h) for n, h in hypotheses.items()}, refs, sources)


def _job(metric, hypotheses: dict[str, Sequence[str]], references: Sequence[Sequence[str]],
         sources: Sequence[str] | None) -> tuple[str, dict[str, np.ndarray]]:
    return metric.name, _metric_stats(metric, hypotheses, references, sources)


def stats_many(metrics: list, hypotheses: dict[str, Sequence[str]], references: Sequence[Sequence[str]],
               jobs: int | None = None, sources: Sequence[str] | None = None) -> dict[str, dict[str, np.ndarray]]:
    """`{system: {metric: per-segment statistics}}` for every system and metric, on up to `jobs` processes
    (default: the idle cores; small inputs stay in this process). Work is split by metric and, when there
    are several systems, by halves of them (a metric's statistics cost differ, halves balance the load), except
    for metrics whose statistics of a system depend on the others (`Metric.stats_systems` overridden)."""
    import sys

    from .base import Metric

    names = list(hypotheses)
    size = sum(len(h) for h in hypotheses.values()) * max(len(metrics), 1)
    if size < 20000 or "torch" in sys.modules:  # forking costs more than it saves / never with a model loaded
        jobs = 1
    elif not jobs:
        jobs = idle_cores()
    tasks = []
    split = 2 if jobs > 1 and len(names) > 1 else 1
    for m in metrics:
        parts = split if getattr(type(m), "stats_systems", None) is Metric.stats_systems else 1
        for part in range(parts):
            chunk = names[part::parts]
            tasks.append((m, {n: hypotheses[n] for n in chunk}, references, sources))
    results = fork_map(_job, tasks, jobs)
    out: dict[str, dict[str, np.ndarray]] = {n: {} for n in names}
    for metric_name, by_system in results:
        for n, st in by_system.items():
            out[n][metric_name] = st
    return {n: {m.name: out[n][m.name] for m in metrics} for n in names}
