"""Fault injection for `python -m mteval run` subprocesses (on PYTHONPATH only in tests/test_interrupts.py).

`MTEVAL_FAULT=STAGE:EVENT:N:SIGNAL` sends SIGNAL (KILL or INT) to this process at the N-th EVENT of STAGE:
`batch` (a model batch has started), `write` (a temporary output file was written, before any rename),
`replace` (just before an output file is renamed into place) or `ms` (N milliseconds after the stage began,
from a timer thread, or at the stage's end if it is faster).
`MTEVAL_FAULT_LOG=FILE` appends the size of every model batch started to FILE.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

FAULT = os.environ.get("MTEVAL_FAULT")
LOG = os.environ.get("MTEVAL_FAULT_LOG")


def _install() -> None:
    # Site customisation runs before `python -m` puts the working directory on sys.path: put it there first, so
    # that the package patched here is the one the command runs (a copy under test, e.g. benchmarks/mutations.py's,
    # rather than an installed one).
    sys.path.insert(0, os.getcwd())
    from mteval import textio
    from mteval.runs import pipeline
    from mteval.systems.model import ModelBackend

    stage_at, event_at, n_at, sig = (FAULT.split(":") if FAULT else ("", "", "0", "KILL"))
    signum = getattr(signal, f"SIG{sig}")
    state = {"stage": None, "count": 0}

    def event(kind: str) -> None:
        if state["stage"] == stage_at and kind == event_at:
            state["count"] += 1
            if state["count"] == int(n_at):
                os.kill(os.getpid(), signum)

    def staged(name, fn):
        def wrapper(ctx):
            state["stage"], state["count"] = name, 0
            timer = None
            if name == stage_at and event_at == "ms":
                timer = threading.Timer(int(n_at) / 1000, os.kill, (os.getpid(), signum))
                timer.daemon = True
                timer.start()
            result = fn(ctx)
            if timer is not None and timer.is_alive():  # the stage was faster: signal at its very end instead
                timer.cancel()
                os.kill(os.getpid(), signum)
            return result
        return wrapper

    for name, fn in list(pipeline.STAGES.items()):
        pipeline.STAGES[name] = staged(name, fn)

    real_fill = ModelBackend.fill

    def fill(self, corpus, indices):
        real_batch = self.translate_batch

        def translate_batch(sources, src_lang, tgt_lang):
            if LOG:
                with open(LOG, "a") as fh:
                    fh.write(f"{len(sources)}\n")
            event("batch")
            return real_batch(sources, src_lang, tgt_lang)

        self.translate_batch = translate_batch
        try:
            return real_fill(self, corpus, indices)
        finally:
            del self.translate_batch

    ModelBackend.fill = fill

    real_write, real_replace = textio._write_temp, os.replace

    def write_temp(path, data):
        tmp = real_write(path, data)
        event("write")
        return tmp

    def replace(src, dst, **kw):
        event("replace")
        return real_replace(src, dst, **kw)

    textio._write_temp = write_temp
    os.replace = replace


if FAULT or LOG:
    _install()
