"""What every benchmark shares: the machine load before and after a run, CPU time of the process and its children,
and medians with ranges.

A run is marked `UNDER LOAD` when the 1-minute load average before or after it exceeds the cores it needs (other
jobs then share its cores, so wall-clock figures are inflated and ratios distorted; CPU-time figures much less).
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

CORES = os.cpu_count() or 1


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class Sample:
    wall: float
    cpu: float


def timed(fn: Callable[[], Any]) -> tuple[Any, Sample]:
    """`fn()`'s result and its wall and CPU seconds (this process and children)."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    out = fn()
    return out, Sample(time.perf_counter() - wall, cpu_seconds() - cpu)


def spread(values: list[float], digits: int = 2) -> str:
    """`median (min–max, n=N)` as measured."""
    med = statistics.median(values)
    return f"{med:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f}, n={len(values)})"


def ratio_spread(base: list[float], ours: list[float]) -> str:
    """Ratio of medians and the range of the per-repeat ratios (repeats interleaved, so pairs shared the load)."""
    per = [b / o for b, o in zip(base, ours, strict=True)]
    return f"{statistics.median(base) / statistics.median(ours):.1f}× (per repeat {min(per):.1f}–{max(per):.1f}×)"


def try_renice(target: int = -5) -> str:
    """Run at niceness `target` (as `nice -n -5`) if permitted and not already there; returns the niceness."""
    current = os.nice(0)
    if current > target:
        try:
            os.nice(target - current)
        except OSError:
            return f"nice {current} (raising priority not permitted)"
    return f"nice {os.nice(0)}"


@contextmanager
def load_report(label: str, cores: int = CORES) -> Iterator[None]:
    """Print the load average before and after the block, marking the run if it was taken under load."""
    before = os.getloadavg()
    print(f"[{label}] load average before: {before[0]:.2f} {before[1]:.2f} {before[2]:.2f} ({CORES} cores)",
          flush=True)
    yield
    after = os.getloadavg()
    loaded = max(before[0], after[0]) > cores
    mark = f"UNDER LOAD (1-min load > {cores}: wall-clock figures inflated, compare CPU times)" if loaded else "quiet"
    print(f"[{label}] load average after:  {after[0]:.2f} {after[1]:.2f} {after[2]:.2f} -> {mark}", flush=True)
