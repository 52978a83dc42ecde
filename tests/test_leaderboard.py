"""`mteval leaderboard`: run folders of the WMT22 zh→en systems merged, with CIs, p-values and clusters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sacrebleu
import yaml
from mteval.api import run
from mteval.cli import main

WMT = "wmt22-general-zhen"
FIRST = ["AISP-SJTU", "HuaweiTSC", "Online-G"]
SECOND = ["DLUT", "Online-B", "LanguageX"]


def make_run(tmp: Path, name: str, systems: list[str], ref: str = "A") -> Path:
    from .conftest import SHARED

    d = SHARED / WMT
    cfg = {
        "name": name, "output": str(tmp / name), "report": False, "metrics": ["bleu", "chrf"],
        "corpora": [{"name": "wmt22-zhen", "type": "files", "source": str(d / "sources/generaltest2022.zh-en.src.zh"),
                     "references": [str(d / f"references/generaltest2022.zh-en.ref.{ref}.en")],
                     "src_lang": "zh", "tgt_lang": "en"}],
        "systems": [{"name": s, "backend": "file", "path": str(d / f"system-outputs/generaltest2022.zh-en.hyp.{s}.en")}
                    for s in systems],
    }
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return run(path, stages=["translate", "score"]).root


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from .conftest import shared_path

    shared_path(WMT)
    tmp = tmp_path_factory.mktemp("leaderboard")
    return {"a": make_run(tmp, "a", FIRST), "b": make_run(tmp, "b", SECOND),
            "all": make_run(tmp, "all", FIRST + SECOND), "refB": make_run(tmp, "refB", FIRST[:1], "B"), "tmp": tmp}


def test_run_leaderboard_has_cis_p_values_and_clusters(runs):
    scores = json.loads((runs["all"] / "scores.json").read_text())["wmt22-zhen"]
    from .conftest import SHARED

    ref = (SHARED / WMT / "references/generaltest2022.zh-en.ref.A.en").read_text().splitlines()
    for system, by_metric in scores.items():
        hyp = (SHARED / WMT / f"system-outputs/generaltest2022.zh-en.hyp.{system}.en").read_text().splitlines()
        bleu = by_metric["bleu"]
        assert bleu["score"] == pytest.approx(sacrebleu.corpus_bleu(hyp, [ref]).score, abs=1e-9)
        assert bleu["ci"][0] < bleu["score"] < bleu["ci"][1]
        assert bleu["baseline"] == "LanguageX" and bleu["cluster"] >= 1
    assert scores["LanguageX"]["bleu"]["p_value"] is None and scores["LanguageX"]["bleu"]["cluster"] == 1
    assert scores["DLUT"]["bleu"]["p_value"] < 0.01 and scores["DLUT"]["bleu"]["cluster"] > 1
    md = (runs["all"] / "leaderboard.md").read_text()
    assert "| bleu 95% CI |" in md and "| bleu cluster |" in md and "| baseline |" in md
    manifest = json.loads((runs["all"] / "manifest.json").read_text())
    assert manifest["significance"]["bootstrap"] == 1000 and manifest["significance"]["seed"] == 12345


def test_merging_two_runs_equals_one_run_of_all_systems(runs, capsys):
    assert main(["leaderboard", str(runs["a"]), str(runs["b"]), "--format", "json"]) == 0
    merged = json.loads(capsys.readouterr().out)["wmt22-zhen"]
    whole = json.loads((runs["all"] / "scores.json").read_text())["wmt22-zhen"]
    assert set(merged) == set(whole)
    for system in whole:
        for metric in ("bleu", "chrf"):
            for key in ("score", "ci", "p_value", "cluster", "baseline"):
                assert merged[system][metric][key] == pytest.approx(whole[system][metric][key]), (system, key)


def test_sort_by_metric_and_csv(runs, capsys):
    assert main(["leaderboard", str(runs["all"]), "--metric", "chrf", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["corpus", "system", "bleu"] and "chrf_ci_low" in header and "chrf_cluster" in header
    chrf = [float(line.split(",")[header.index("chrf")]) for line in lines[1:]]
    assert chrf == sorted(chrf, reverse=True) and len(chrf) == 6


def test_refuses_to_pool_different_references(runs, capsys):
    assert main(["leaderboard", str(runs["a"]), str(runs["refB"])]) == 2
    assert "differs" in capsys.readouterr().err


def test_unknown_metric_and_missing_folder(runs, capsys):
    assert main(["leaderboard", str(runs["a"]), "--metric", "comet"]) == 2
    assert "known: bleu, chrf" in capsys.readouterr().err
    assert main(["leaderboard", str(runs["tmp"] / "nope")]) == 2
    assert "scores.json: not found" in capsys.readouterr().err
