"""Work spread over the idle cores by forked processes: inputs are inherited, not pickled; results come back in
order. A process with a model's thread pools loaded (torch imported) never forks."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

_TASKS: list = []  # set before forking workers, so that inputs are inherited rather than pickled


def idle_cores(window: float = 0.02) -> int:
    """Cores idle right now: the idle share of CPU time over a short `window` (from /proc/stat) times the
    cores this process may use; the 1-minute load average where /proc/stat is unavailable (it lags: a
    benchmark's previous command still counts for a minute)."""
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


def _call(i: int) -> Any:
    fn, args = _TASKS[i]
    return fn(*args)


def fork_map(fn: Callable[..., Any], tasks: Sequence[tuple], jobs: int | None = None) -> Iterator[Any]:
    """`fn(*task)` for each task, in order, on up to `jobs` forked processes (default: the idle cores); in this
    process when there is one task, one job, or torch is loaded."""
    if "torch" in sys.modules:
        jobs = 1
    elif not jobs:  # the idle cores: forking onto cores busy with other work only adds overhead
        jobs = idle_cores()
    if jobs <= 1 or len(tasks) <= 1:
        yield from (fn(*t) for t in tasks)
        return
    import multiprocessing as mp

    _TASKS[:] = [(fn, t) for t in tasks]
    try:
        with mp.get_context("fork").Pool(min(jobs, len(tasks))) as pool:
            yield from pool.imap(_call, range(len(tasks)), chunksize=1)
    finally:
        _TASKS.clear()
