"""Statistics of all systems × metrics, spread over the idle cores: the fast n-gram path for sacreBLEU metrics,
each metric's own `stats` otherwise."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .ngrams import sacre_stats_many


def _metric_stats(metric, hypotheses: dict[str, Sequence[str]], references: Sequence[Sequence[str]],
                  sources: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    sb = getattr(metric, "sb", None)
    refs = [list(r) for r in references]
    fast = sacre_stats_many(sb, hypotheses, refs) if sb is not None else None
    if fast is not None:
        return fast
    return metric.stats_systems({n: list(h) for n, h in hypotheses.items()}, refs, sources)


_TASKS: list = []  # set before forking workers, so that inputs are inherited rather than pickled


def _idle_cores(window: float = 0.02) -> int:
    """Cores idle right now: the idle share of CPU time over a short `window` (from /proc/stat) times the
    cores this process may use; the 1-minute load average where /proc/stat is unavailable (it lags: a
    benchmark's previous command still counts for a minute)."""
    import os
    import time

    cores = len(os.sched_getaffinity(0))

    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, total

    try:
        idle0, total0 = sample()
        time.sleep(window)
        idle1, total1 = sample()
        idle = cores * (idle1 - idle0) / max(1, total1 - total0)
    except OSError:
        idle = cores - os.getloadavg()[0]
    return max(1, min(cores, round(idle)))


def _job(i: int):
    metric, hypotheses, references, sources = _TASKS[i]
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
    if "torch" in sys.modules or size < 20000:  # a process with a model's thread pools loaded must not fork
        jobs = 1
    elif not jobs:  # the idle cores: forking onto cores busy with other work only adds overhead
        jobs = _idle_cores()
    tasks = []
    split = 2 if jobs > 1 and len(names) > 1 else 1
    for m in metrics:
        parts = split if getattr(type(m), "stats_systems", None) is Metric.stats_systems else 1
        for part in range(parts):
            chunk = names[part::parts]
            tasks.append((m, {n: hypotheses[n] for n in chunk}, references, sources))
    _TASKS[:] = tasks
    try:
        if jobs > 1 and len(tasks) > 1:
            import multiprocessing as mp

            with mp.get_context("fork").Pool(min(jobs, len(tasks))) as pool:
                results = pool.map(_job, range(len(tasks)), chunksize=1)
        else:
            results = [_job(i) for i in range(len(tasks))]
    finally:
        _TASKS.clear()
    out: dict[str, dict[str, np.ndarray]] = {n: {} for n in names}
    for metric_name, by_system in results:
        for n, st in by_system.items():
            out[n][metric_name] = st
    return {n: {m.name: out[n][m.name] for m in metrics} for n in names}
