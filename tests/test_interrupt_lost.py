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


@pytest.fixture
def sigint_restored():
    before = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, before)


def test_check_raises_after_an_interrupt_a_finalizer_swallowed(sigint_restored) -> None:
    interrupt.install()
    interrupt.check()  # nothing pending
    _InterruptedFinalizer()  # collected at once: the interrupt is raised and ignored inside __del__
    with pytest.raises(KeyboardInterrupt):
        interrupt.check()
    interrupt.install()  # a new command starts clean
    interrupt.check()


def test_run_exits_130_and_does_not_record_the_stage(tmp_path: Path, monkeypatch, capsys, sigint_restored) -> None:
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
