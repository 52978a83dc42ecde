"""Ctrl-C that cannot be lost.

Python raises `KeyboardInterrupt` wherever the main thread happens to be; inside a finalizer (`__del__`, a
weakref callback) it is printed as "Exception ignored in …" and dropped, and the run would go on and report
success. The handler installed here also records the interrupt, and `check()` re-raises it at the points
where work is declared done (the end of a pipeline stage, the end of a command).
"""

from __future__ import annotations

import signal
import threading

_pending = False


def _handler(signum, frame) -> None:
    global _pending
    _pending = True
    raise KeyboardInterrupt


def install() -> None:
    """Record Ctrl-C from now on (main thread only; a no-op where SIGINT has another owner)."""
    global _pending
    _pending = False
    if (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) in (signal.default_int_handler, _handler)):
        signal.signal(signal.SIGINT, _handler)


def check() -> None:
    """Raise `KeyboardInterrupt` if Ctrl-C arrived since `install()`, even if something swallowed it."""
    if _pending:
        raise KeyboardInterrupt
