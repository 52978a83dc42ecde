"""Real data: `mteval score` on the 12 WMT22 zh→en systems reproduces the published BLEU and chrF.

The published numbers are read from `scores/automatic-scores.zh-en.tsv` (metrics bleu-A/B/all, chrf-A/B/all:
against reference A, reference B, and both references).
"""

from __future__ import annotations

import csv
import json

import pytest
from mteval.cli import main

REFS = {"A": ["A"], "B": ["B"], "all": ["A", "B"]}


def _published(tsv) -> dict[tuple[str, str], dict[str, float]]:
    """{(refs, metric): {system: score}} for the zh-en BLEU and chrF rows."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    with open(tsv, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            metric, _, refs = row["metric"].partition("-")
            if row["pair"] == "zh-en" and metric in ("bleu", "chrf"):
                out.setdefault((refs, metric), {})[row["system"]] = float(row["score"])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("refs", list(REFS))
def test_mteval_score_reproduces_published_wmt22_bleu_and_chrf(shared, refs, capsys):
    wmt = shared / "wmt22-general-zhen"
    published = _published(wmt / "scores" / "automatic-scores.zh-en.tsv")
    systems = sorted(published[(refs, "bleu")])
    assert len(systems) == 12 and sorted(published[(refs, "chrf")]) == systems
    argv = ["score", "--metrics", "bleu,chrf", "--format", "json",
            "--src", str(wmt / "sources" / "generaltest2022.zh-en.src.zh")]
    for ref in REFS[refs]:
        argv += ["--ref", str(wmt / "references" / f"generaltest2022.zh-en.ref.{ref}.en")]
    argv += [f"{s}={wmt / 'system-outputs' / f'generaltest2022.zh-en.hyp.{s}.en'}" for s in systems]
    assert main(argv) == 0
    ours = json.loads(capsys.readouterr().out)["systems"]
    assert sorted(ours) == systems
    for system in systems:
        for metric in ("bleu", "chrf"):
            expected = published[(refs, metric)][system]
            assert ours[system][metric]["score"] == pytest.approx(expected, abs=0.01), (system, metric)
            assert f"nrefs:{len(REFS[refs])}|case:mixed" in ours[system][metric]["signature"]
        assert "tok:13a" in ours[system]["bleu"]["signature"]
