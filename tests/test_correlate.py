"""`mteval correlate` on the 12 WMT22 zh→en systems against the WMT22 DA human scores."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from mteval.cli import main
from mteval.correlation import read_human

from .test_leaderboard import make_run

SYSTEMS = ["AISP-SJTU", "DLUT", "HuaweiTSC", "JDExploreAcademy", "Lan-Bridge", "LanguageX", "NiuTrans", "Online-A",
           "Online-B", "Online-G", "Online-W", "Online-Y"]


@pytest.fixture(scope="module")
def da(tmp_path_factory):
    from .conftest import SHARED

    d = SHARED / "wmt22-general-zhen" / "humaneval-DA"
    if not d.is_dir():
        pytest.skip(f"shared evaluation data not found at {SHARED}")
    return make_run(tmp_path_factory.mktemp("correlate"), "wmt22", SYSTEMS), d


def _wmt_ranking(path) -> dict[str, float]:
    """z averages from the ranking file, read here independently: `raw z N N.all id name`."""
    return {cols[5]: float(cols[1]) for cols in (line.split() for line in path.read_text().splitlines())}


def _avg_ranks(x) -> list[float]:
    return [sum(v < a for v in x) + (sum(v == a for v in x) + 1) / 2 for a in x]


def _kendall_brute(x, y) -> float:
    c = d = tx = ty = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        a, b = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        if a and b:
            c, d = (c + 1, d) if a == b else (c, d + 1)
        tx += a == 0 and b != 0
        ty += b == 0 and a != 0
    return (c - d) / np.sqrt((c + d + tx) * (c + d + ty))


def test_system_level_against_wmt22_da_ranking(da, capsys):
    run, d = da
    path = d / "ad-sys-ranking-zh-en-z-names.csv"
    assert main(["correlate", str(run), "--human", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["systems"] == SYSTEMS and out["unmatched"] == ["HUMAN-B"]
    human = _wmt_ranking(path)
    scores = json.loads((run / "scores.json").read_text())["wmt22-zhen"]
    for metric in ("bleu", "chrf"):
        m = [scores[s][metric]["score"] for s in SYSTEMS]
        h = [human[s] for s in SYSTEMS]
        got = out["metrics"][metric]
        assert got["systems"] == 12
        assert got["pearson"] == pytest.approx(np.corrcoef(m, h)[0, 1], abs=1e-12)
        assert got["spearman"] == pytest.approx(np.corrcoef(_avg_ranks(m), _avg_ranks(h))[0, 1], abs=1e-12)
        assert got["kendall"] == pytest.approx(_kendall_brute(m, h), abs=1e-12)
        pairs = list(itertools.combinations(range(12), 2))
        agree = sum(np.sign(m[a] - m[b]) == np.sign(h[a] - h[b]) for a, b in pairs)
        assert got["pairwise_accuracy"] == pytest.approx(agree / len(pairs))
    # BLEU ranks these 12 systems more like the humans than chance, but far from perfectly
    assert 0.3 < out["metrics"]["bleu"]["kendall"] < 0.8


def test_segment_file_reproduces_wmt_system_z_scores(da):
    _, d = da
    human = read_human(d / "ad-seg-scores-zh-en.csv")
    assert len(human.segment) == 20820 and min(k[1] for k in human.segment) == 0
    ranking = _wmt_ranking(d / "ad-sys-ranking-zh-en-z-names.csv")
    for system, z in human.system_level().items():
        assert round(z, 3) == pytest.approx(ranking[system], abs=0.0015), system


def test_segment_level_darr(da, capsys):
    run, d = da
    path = d / "ad-seg-scores-zh-en.csv"
    assert main(["correlate", str(run), "--human", str(path), "--level", "segment", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)["metrics"]["chrf"]
    sentence = {}
    for line in (run / "segments.jsonl").read_text().splitlines():
        row = json.loads(line)
        sentence[(row["system"], row["segment"])] = row["scores"]["chrf"]
    raw: dict[int, list[tuple[float, float]]] = {}
    for cols in (line.split() for line in path.read_text().splitlines()[1:]):
        key = (cols[0].rsplit(".", 1)[0], int(cols[1]) - 1)
        if key in sentence:
            raw.setdefault(key[1], []).append((float(cols[2]), sentence[key]))
    conc = disc = 0
    for items in raw.values():
        for (ha, ma), (hb, mb) in itertools.combinations(items, 2):
            if abs(ha - hb) > 25:
                if (ha > hb and ma > mb) or (ha < hb and ma < mb):
                    conc += 1
                else:
                    disc += 1
    assert out["pairs"] == conc + disc > 10000
    assert out["kendall_darr"] == pytest.approx((conc - disc) / (conc + disc))
    assert out["segments"] == sum(len(v) for v in raw.values())


def test_tsv_and_bad_files(da, tmp_path, capsys):
    run, _ = da
    tsv = tmp_path / "human.tsv"
    tsv.write_text("system\tscore\n" + "".join(f"{s}\t{i}\n" for i, s in enumerate(SYSTEMS)))
    assert main(["correlate", str(run), "--human", str(tsv), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["metrics"]["bleu"]["systems"] == 12
    bad = tmp_path / "bad.txt"
    bad.write_text("hello world\n")
    assert main(["correlate", str(run), "--human", str(bad)]) == 2
    assert "bad.txt:1: unrecognised human-score format" in capsys.readouterr().err
    assert main(["correlate", str(run), "--human", str(tsv), "--level", "segment"]) == 2
    assert "no segment-level scores" in capsys.readouterr().err
