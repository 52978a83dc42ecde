"""Ctrl-C that cannot be lost.

Python raises `KeyboardInterrupt` wherever the main thread happens to be; inside a finalizer (`__del__`, a
weakref callback) it is printed as "Exception ignored in …" and dropped, and the run would go on and report
success. Inside `recorded()` the SIGINT handler also notes the interrupt, and `check()` re-raises it at the points
where work is declared done (the end of a pipeline stage, the end of a command).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_pending = False


def _handler(signum, frame) -> None:
    global _pending
    _pending = True
    raise KeyboardInterrupt


@contextmanager
def recorded() -> Iterator[None]:
    """Note every Ctrl-C inside the block (main thread, default handler only); afterwards the previous handler is
    back and nothing is pending."""
    global _pending
    _pending = False
    previous = signal.getsignal(signal.SIGINT)
    mine = threading.current_thread() is threading.main_thread() and previous is signal.default_int_handler
    if mine:
        signal.signal(signal.SIGINT, _handler)
    try:
        yield
    finally:
        if mine:
            signal.signal(signal.SIGINT, previous)
        _pending = False


def check() -> None:
    """Raise `KeyboardInterrupt` if Ctrl-C arrived inside `recorded()`, even if something swallowed it."""
    if _pending:
        raise KeyboardInterrupt
