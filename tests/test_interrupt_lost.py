"""A Ctrl-C that lands inside a finalizer (Python prints "Exception ignored in …" and drops it) still stops the
command with status 130, and the stage it hit is not recorded as done."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from mteval import cli, interrupt
from mteval.runs import pipeline

from .conftest import ROOT

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the point
SEED = ROOT / "corpora" / "xinhua-2021-04-13"


class _InterruptedFinalizer:
    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        sum(range(1000))  # the handler runs here, inside __del__, and its KeyboardInterrupt is discarded


def test_check_raises_after_an_interrupt_a_finalizer_swallowed() -> None:
    before = signal.getsignal(signal.SIGINT)
    with interrupt.recorded():
        interrupt.check()  # nothing pending
        _InterruptedFinalizer()  # collected at once: the interrupt is raised and ignored inside __del__
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()
    interrupt.check()  # outside: nothing pending, the previous handler is back
    assert signal.getsignal(signal.SIGINT) is before


def test_run_exits_130_and_does_not_record_the_stage(tmp_path: Path, monkeypatch, capsys) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"""name: lost
output: {tmp_path / 'run'}
corpora:
  - {{name: seed, source: {SEED / 'source.zh'}, references: [{SEED / 'reference.en'}], src_lang: zh, tgt_lang: en}}
systems:
  - {{name: mt, backend: file, path: {SEED / 'seed-mt.en.txt'}, level: document}}
metrics: [chrf]
significance: {{bootstrap: 0}}
""", encoding="utf-8")
    real_score = pipeline.STAGES["score"]

    def score(ctx) -> None:
        real_score(ctx)
        _InterruptedFinalizer()

    monkeypatch.setitem(pipeline.STAGES, "score", score)
    assert cli.main(["run", str(cfg), "--quiet"]) == 130
    assert capsys.readouterr().err.endswith("mteval: interrupted\n")
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert "translate" in manifest["stages"] and "score" not in manifest["stages"] and "finished" not in manifest
    interrupt.check()  # the next command (or API call) in this process does not inherit the interrupt
