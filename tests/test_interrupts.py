"""Interrupted runs: SIGKILL and SIGINT at seeded points of the translate, score, flag and report stages of
`python -m mteval run` (tiny local model + the seed `file` system); the next run finishes with results
byte-identical to an uninterrupted run and re-translates at most the one batch in flight."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from mteval.systems.cache import TranslationCache

from tests.tiny_models import save_tiny

from .conftest import ROOT

pytest.importorskip("transformers")

SEED = ROOT / "corpora" / "xinhua-2021-04-13"
BATCH = 2
FAULTS = ROOT / "tests" / "faults"


def write_config(tmp: Path, model: Path) -> Path:
    cfg = tmp / "interrupt.yaml"
    cfg.write_text(f"""name: interrupt
output: {tmp / 'run'}
cache: {tmp / 'cache.sqlite'}
corpora:
  - {{name: seed, source: {SEED / 'source.zh'}, references: [{SEED / 'reference.en'}], src_lang: zh, tgt_lang: en}}
systems:
  - {{name: xinhua-mt, backend: file, path: {SEED / 'seed-mt.en.txt'}, level: document}}
  - {{name: tiny, backend: hf-causal, model: {model}, device: cpu, threads: 1, batch_size: {BATCH},
      prompt: {{examples: [], stop: ["."]}}, generation: {{max_new_tokens: 12}}}}
metrics: [bleu, chrf]
significance: {{bootstrap: 200}}
flags: {{glossary: {SEED / 'glossary.tsv'}}}
""", encoding="utf-8")
    return cfg


def mteval_run(cfg: Path, log: Path, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(FAULTS), "MTEVAL_FAULT_LOG": str(log)}
    if fault:
        env["MTEVAL_FAULT"] = fault
    return subprocess.run([sys.executable, "-m", "mteval", "run", str(cfg)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def cached(path: Path) -> int:
    if not path.exists():
        return 0
    with TranslationCache(path) as cache:  # the integrity check runs on every open
        return cache.count()


def started(log: Path) -> int:
    return sum(map(int, log.read_text().split())) if log.exists() else 0


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name not in (".lock", "manifest.json")}


def stable_manifest(root: Path) -> dict:
    """manifest.json without what legitimately differs between runs: timestamps and cache hit/miss counts."""
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    for key in ("started", "finished", "translation_cache"):
        manifest.pop(key)
    for stage in manifest["stages"].values():
        stage.pop("started")
        stage.pop("finished")
    return manifest


def test_killed_and_interrupted_runs_resume_to_identical_results(tmp_path: Path) -> None:
    model = save_tiny("llama", tmp_path / "llama")
    cfg = write_config(tmp_path, model)
    ref_log = tmp_path / "ref-batches.txt"
    proc = mteval_run(cfg, ref_log)
    assert proc.returncode == 0, proc.stderr
    segments = started(ref_log)  # distinct non-empty sources, each translated once
    assert segments == cached(tmp_path / "cache.sqlite") > 2 * BATCH
    batches = -(-segments // BATCH)
    (tmp_path / "run").rename(tmp_path / "ref")
    for p in tmp_path.glob("cache.sqlite*"):
        p.rename(tmp_path / ("ref-" + p.name))
    want, want_manifest = snapshot(tmp_path / "ref"), stable_manifest(tmp_path / "ref")
    assert {"report.html", "flags.jsonl", "scores.json", "segments.jsonl", "hypotheses/seed/tiny.txt"} <= set(want)
    sources = (SEED / "source.zh").read_text(encoding="utf-8").splitlines()
    outputs = dict(zip(sources, want["hypotheses/seed/tiny.txt"].decode().splitlines(), strict=True))
    outputs = {s: h for s, h in outputs.items() if s.strip()}
    assert len(set(outputs.values())) == len(outputs) == segments  # another segment's cache entry would show

    rng = random.Random(8)
    first = rng.randint(2, batches - 2)
    faults = [
        f"translate:batch:{first}:KILL",  # killed inside a batch
        f"translate:batch:{rng.randint(1, batches - first)}:INT",  # Ctrl-C inside a later batch
        f"score:write:{rng.randint(1, 4)}:KILL",  # temporary files written, none renamed
        f"score:replace:{rng.randint(2, 5)}:KILL",  # some results renamed into place, others not
        f"score:ms:{rng.randint(0, 20)}:INT",  # Ctrl-C from a timer thread while scoring
        "flag:write:1:KILL",
        "report:write:1:KILL",
        "report:replace:1:INT",
    ]
    log = tmp_path / "batches.txt"
    cache = tmp_path / "cache.sqlite"
    for fault in faults:
        before_cached, before_started = cached(cache), started(log)
        proc = mteval_run(cfg, log, fault)
        stage, _, _, sig = fault.split(":")
        if sig == "KILL":
            assert proc.returncode == -signal.SIGKILL, (fault, proc.returncode, proc.stderr[-2000:])
        else:
            assert proc.returncode == 130 and proc.stderr.endswith("mteval: interrupted\n"), (fault, proc.stderr)
        manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
        assert "finished" not in manifest and stage not in manifest["stages"], fault  # not claimed as done
        lost = (started(log) - before_started) - (cached(cache) - before_cached)
        assert 0 <= lost <= BATCH, (fault, lost)  # at most the batch in flight is lost
        if fault == faults[0]:
            assert cached(cache) == (first - 1) * BATCH  # every batch before the killed one was committed

    before_started = started(log)
    proc = mteval_run(cfg, log)
    assert proc.returncode == 0, proc.stderr
    assert started(log) == before_started  # everything was translated (once) by the interrupted runs
    assert started(log) <= segments + 2 * BATCH  # only the two interrupted batches were translated twice
    assert snapshot(tmp_path / "run") == want
    assert stable_manifest(tmp_path / "run") == want_manifest
    assert not list((tmp_path / "run").rglob("*.tmp"))
