"""End to end: `mteval run configs/seed.yaml` writes the run folder with sacreBLEU-equal scores."""

from __future__ import annotations

import json
import shutil

import sacrebleu

from eval.cli import main
from eval.resegment import resegment

from .conftest import ROOT

SEED_MT_ONLY = ("systems=[{name: xinhua-mt, backend: file, level: document, "
                "path: corpora/xinhua-2021-04-13/seed-mt.en.txt}]")


def test_seed_run_writes_run_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "seed"
    # the seed's Gemma system is tested in test_gemma.py; here only the file system (fast, exact values)
    assert main(["run", "configs/seed.yaml", "--set", f"output={out}", "--set", SEED_MT_ONLY]) == 0
    assert "xinhua-mt" in capsys.readouterr().out
    scores = json.loads((out / "scores.json").read_text())["xinhua-2021-04-13"]["xinhua-mt"]
    seed = ROOT / "corpora" / "xinhua-2021-04-13"
    ref = (seed / "reference.en").read_text().splitlines()
    hyp = resegment((seed / "seed-mt.en.txt").read_text(), ref)
    assert scores["bleu"]["score"] == sacrebleu.corpus_bleu(hyp, [ref]).score
    assert scores["chrf"]["score"] == sacrebleu.corpus_chrf(hyp, [ref]).score
    assert scores["bleu"]["signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")
    rows = [json.loads(line) for line in (out / "segments.jsonl").read_text().splitlines()]
    assert len(rows) == 11 and rows[6]["hypothesis"].endswith("called on Russia to relax. intense situation.")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config_sha256"] and manifest["packages"]["sacrebleu"] == sacrebleu.__version__
    assert not list(out.rglob("*.tmp"))
    shutil.rmtree(out)
