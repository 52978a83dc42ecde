"""Progress on stderr: bars that move per item (rate and ETA), timers for long single steps, and stage lines.

Bars and timers are drawn only when stderr is a terminal and the verbosity is normal or higher; `-q/--quiet`
also silences the stage lines (errors are always printed), `-v/--verbose` adds detail (per-system lines, timings,
library warnings). The CLI sets the level once with `set_verbosity`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

QUIET, NORMAL, VERBOSE = 0, 1, 2
_level = NORMAL
_showing = False  # one live display at a time: a step inside a shown one is not drawn on its own
T = TypeVar("T")


def set_verbosity(level: int) -> None:
    global _level
    _level = level


def verbosity() -> int:
    return _level


def log(message: str) -> None:
    """A stage line on stderr (silenced by `-q`)."""
    if _level >= NORMAL:
        print(message, file=sys.stderr, flush=True)


def detail(message: str) -> None:
    """A line shown only with `-v`."""
    if _level >= VERBOSE:
        print(message, file=sys.stderr, flush=True)


def _console() -> Any | None:
    """A rich console on stderr when bars should be drawn (a terminal, not quiet, none shown yet), else None."""
    if _level < NORMAL or _showing or not sys.stderr.isatty():
        return None
    from rich.console import Console

    return Console(stderr=True)


@contextmanager
def _live(progress: Any) -> Iterator[Any]:
    global _showing
    _showing = True
    try:
        with progress:
            yield progress
    finally:
        _showing = False


def _rate_eta(unit: str) -> Any:
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateEta(ProgressColumn):
        """`2.31 seg/s · ETA 0:12` from the average rate since the start (stable for uneven batches)."""

        def render(self, task: Any) -> Text:
            elapsed = task.elapsed or 0.0
            if not task.completed or not elapsed:
                return Text(f"– {unit}/s", style="progress.data.speed")
            rate = task.completed / elapsed
            left = max((task.total or 0) - task.completed, 0) / rate
            eta = f" · ETA {int(left // 60)}:{int(left % 60):02d}" if not task.finished else ""
            return Text(f"{rate:.2f} {unit}/s{eta}", style="progress.data.speed")

    return RateEta()


@contextmanager
def bar(label: str, total: int, unit: str = "seg") -> Iterator[Callable[[int], None]]:
    """A progress bar for `total` items; yields `advance(n)`. With `-v` off a terminal, one summary line."""
    console = _console()
    started = time.perf_counter()
    if console is None:
        yield lambda n: None
        elapsed = time.perf_counter() - started
        detail(f"{label}: {total} {unit} in {elapsed:.1f}s ({total / max(elapsed, 1e-9):.2f}/s)")
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(bar_width=30), MofNCompleteColumn(),
               _rate_eta(unit), TimeElapsedColumn())
    with _live(Progress(*columns, console=console)) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


def track(items: Iterable[T], label: str, total: int, unit: str, size: Callable[[T], int] = lambda _: 1
          ) -> Iterator[T]:
    """Iterate `items` under a bar of `total` units, each item counting `size(item)` units."""
    with bar(label, total, unit) as advance:
        for item in items:
            yield item
            advance(size(item))


@contextmanager
def timer(label: str) -> Iterator[None]:
    """A spinner with the elapsed time for one long step that cannot count its progress (loading a model)."""
    console = _console()
    started = time.perf_counter()
    if console is None:
        yield
        detail(f"{label}: {time.perf_counter() - started:.1f}s")
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with _live(Progress(SpinnerColumn(finished_text="✓"), TextColumn("{task.description}"), TimeElapsedColumn(),
                        console=console)) as progress:
        task = progress.add_task(label, total=1)
        yield
        progress.update(task, completed=1)
