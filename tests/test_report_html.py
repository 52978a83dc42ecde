"""report.html without a browser: escaping, self-containment, leaderboard values, CI/cluster cells, the stage."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from contextlib import chdir
from pathlib import Path

import pytest
from mteval.cli import main
from mteval.report.html import embed_json, render_report
from mteval.runs.reader import Run

from .conftest import ROOT
from .test_seed_run import SEED_MT_ONLY

SCRIPT_TAG = "<script>alert(1)</script>"
IMG_TAG = "\"><img src=x onerror=\"document.body.dataset.pwned='img'\">"
BREAKOUT = "</script><script>document.body.dataset.pwned='breakout'</script><!--"
EVIL_SYSTEM = "evil\"><svg onload=alert(2)>"


def make_run(root: Path) -> Path:
    """A hand-made run folder: hostile hypotheses and system name, CJK source, CIs, p-values, clusters, flags."""
    root.mkdir(parents=True)
    corpus = "hostile"
    sources = ["俄美总统通电话讨论两国关系", "呼吁俄方缓和紧张局势。", "拜登强调“坚定承诺”。"]
    refs = ["The presidents discussed ties.", "Called on Russia to de-escalate tensions.", "Biden stressed it."]
    hyps = {
        # an astral character before a flag: offsets are code points (Python), not UTF-16 units (JavaScript)
        "good": ["The 😀 presidents discussed relations.", "Called on Russia to relax. intense situation.",
                 "Biden stressed the firm commitment."],
        EVIL_SYSTEM: [f"Presidents {SCRIPT_TAG} talked.", f"Russia {IMG_TAG} relax.", f"Biden {BREAKOUT} said."],
    }
    scores = {corpus: {
        "good": {"bleu": {"score": 30.0, "signature": "nrefs:1|bleu", "higher_is_better": True,
                          "ci": [28.1, 31.9], "p_value": None, "cluster": 1},
                 "ter": {"score": 40.0, "signature": "ter-sig", "higher_is_better": False,
                         "ci": [37.5, 42.5], "p_value": None, "cluster": 1}},
        EVIL_SYSTEM: {"bleu": {"score": 20.0, "signature": "nrefs:1|bleu", "higher_is_better": True,
                               "ci": [18.0, 22.0], "p_value": 0.001, "cluster": 2},
                      "ter": {"score": 55.0, "signature": "ter-sig", "higher_is_better": False,
                              "ci": [50.0, 60.0], "p_value": 0.002, "cluster": 2}},
    }}
    sentence = {"good": [(35.0, 30.0), (10.0, 70.0), (45.0, 20.0)], EVIL_SYSTEM: [(5.0, 90.0), (25.0, 50.0),
                                                                               (15.0, 60.0)]}
    rows = [{"corpus": corpus, "system": system, "segment": i, "id": f"s{i}", "source": sources[i],
             "references": [refs[i]], "hypothesis": hyp,
             "scores": {"bleu": sentence[system][i][0], "ter": sentence[system][i][1]}}
            for system, lines in hyps.items() for i, hyp in enumerate(lines)]
    (root / "scores.json").write_text(json.dumps(scores, ensure_ascii=False), encoding="utf-8")
    (root / "segments.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                         encoding="utf-8")
    flags = []
    for system, seg, text, severity, kind in (("good", 1, "relax. intense situation", "major", "broken-sentence"),
                                              ("good", 0, "relations", "minor", "reference"),
                                              (EVIL_SYSTEM, 0, SCRIPT_TAG, "major", "markup<b>"),
                                              (EVIL_SYSTEM, 1, IMG_TAG, "minor", "reference")):
        start = hyps[system][seg].index(text)
        flags.append({"corpus": corpus, "system": system, "segment": seg, "start": start, "end": start + len(text),
                      "severity": severity, "kind": kind, "message": f"message with {IMG_TAG}", "text": text,
                      "evidence": None})
    (root / "flags.jsonl").write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in flags),
                                      encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def hostile_html(tmp_path_factory) -> str:
    return render_report(Run.open(make_run(tmp_path_factory.mktemp("html") / "run")))


def test_embed_json_cannot_close_the_script():
    data = {"h": [SCRIPT_TAG, BREAKOUT, "]]>", "a & b", "\u2028"]}
    text = embed_json(data)
    assert not set(text) & {"<", ">", "&", "\u2028"}
    assert json.loads(text) == data


def test_hostile_text_is_escaped(hostile_html):
    html = hostile_html
    assert SCRIPT_TAG not in html and "<img src=x" not in html and "<svg" not in html and "<b>" not in html
    assert "</script><script>" not in html and "<!--" not in html
    assert html.count("<script") == 2  # the JSON data block and the page script, nothing else
    # the system name is shown (escaped) in the leaderboard and the attribute
    assert "evil&#34;&gt;&lt;svg onload=alert(2)&gt;" in html


def test_self_contained_and_csp(hostile_html):
    html = hostile_html
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?(?!data:|#)[a-z]+:""", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    script = re.search(r"<script>(.*?)</script>", html, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in html and "default-src 'none'" in html


def test_leaderboard_shows_ci_p_and_cluster(hostile_html):
    rows = re.findall(r'<tr class="board-row" data-system="([^"]*)">(.*?)</tr>', hostile_html, re.DOTALL)
    assert [name for name, _ in rows] == ["good", "evil&#34;&gt;&lt;svg onload=alert(2)&gt;"]
    good, evil = (re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip() for _, body in rows)
    # ... then the flag counts (major, minor) of make_run's flags.jsonl
    assert good == "1 good 30.00 [28.10, 31.90] 1 40.00 [37.50, 42.50] 1 1 1"
    assert evil == ('2 evil&#34;&gt;&lt;svg onload=alert(2)&gt; 20.00 [18.00, 22.00] 2 p=0.001 '
                    '55.00 [50.00, 60.00] 2 p=0.002 1 1')


def _cell(info: dict) -> str:
    """A leaderboard cell as text: score, [CI], cluster, p (the parts scores.json has)."""
    parts = [f"{info['score']:.2f}"]
    if info.get("ci"):
        parts.append(f"[{info['ci'][0]:.2f}, {info['ci'][1]:.2f}]")
    if info.get("cluster") is not None:
        parts.append(str(info["cluster"]))
    if info.get("p_value") is not None:
        parts.append(f"p={info['p_value']:.3f}")
    return " ".join(parts)


def test_run_writes_seed_report_and_report_false_skips_it(tmp_path):
    out = tmp_path / "seed"
    with chdir(ROOT):
        assert main(["run", "configs/seed.yaml", "--set", f"output={out}", "--set", SEED_MT_ONLY]) == 0
        html = (out / "report.html").read_text(encoding="utf-8")
        scores = json.loads((out / "scores.json").read_text())["xinhua-2021-04-13"]["xinhua-mt"]
        cells = " ".join(_cell(scores[m]) for m in ("bleu", "chrf", "chrf++", "ter"))
        row = re.search(r'<tr class="board-row" data-system="xinhua-mt">(.*?)</tr>', html, re.DOTALL).group(1)
        # the seed config runs the flag stage: the leaderboard counts its major and minor flags, and the report
        # carries every flag of flags.jsonl on the same characters of the same hypothesis
        flags = [json.loads(line) for line in (out / "flags.jsonl").read_text(encoding="utf-8").splitlines()]
        assert flags, "the flag stage wrote no flags for the seed"
        severities = [f["severity"] for f in flags]
        cells += f" {severities.count('major')} {severities.count('minor')}"
        assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() == f"1 xinhua-mt {cells}"
        assert 'id="flag-list"' in html
        data = json.loads(re.search(r'id="mteval-data">(.*?)</script>', html).group(1))
        corpus = data["corpora"][0]
        system = corpus["systems"].index("xinhua-mt")
        shown = sorted((f[1], f[2], f[3], "major" if f[4] else "minor", data["text"][corpus["hyps"]["xinhua-mt"][f[1]]]
                        [f[2]:f[3]]) for f in corpus["flags"] if f[0] == system)
        assert shown == sorted((f["segment"], f["start"], f["end"], f["severity"], f["text"]) for f in flags)
        manifest = json.loads((out / "manifest.json").read_text())
        assert {"flag", "report"} <= set(manifest["stages"]) and f"sacrebleu {manifest['packages']['sacrebleu']}" in html
        assert main(["run", "configs/seed.yaml", "--set", f"output={tmp_path / 'off'}", "--set", "report=false",
                     "--set", SEED_MT_ONLY]) == 0
        assert not (tmp_path / "off" / "report.html").exists()


def test_report_command_output_option(tmp_path, capsys):
    run = make_run(tmp_path / "run")
    assert main(["report", str(run), "-o", str(tmp_path / "r.html")]) == 0
    assert "report: " in capsys.readouterr().out and (tmp_path / "r.html").stat().st_size > 10_000
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "run folder not found" in capsys.readouterr().err


def test_run_without_references_or_scores(tmp_path):
    """A corpus without references has no metrics: no figures, no score columns, the browser still has text."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "scores.json").write_text(json.dumps({"c": {"a": {}, "b": {}}}))
    rows = [{"corpus": "c", "system": s, "segment": i, "source": f"源{i}", "references": [], "hypothesis": f"{s} {i}",
             "scores": {}} for s in ("a", "b") for i in range(2)]
    (run / "segments.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    html = render_report(Run.open(run))
    assert "data:image/svg+xml" not in html
    rows_html = re.findall(r'<tr class="board-row" data-system="([^"]*)">', html)
    assert rows_html == ["a", "b"]
    data = json.loads(re.search(r'id="mteval-data">(.*?)</script>', html).group(1))
    corpus = data["corpora"][0]
    assert [data["text"][i] for i in corpus["hyps"]["b"]] == ["b 0", "b 1"] and corpus["metrics"] == []


def test_non_finite_sentence_scores_become_null(tmp_path):
    run = make_run(tmp_path / "run")
    lines = (run / "segments.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["scores"]["ter"] = float("inf")
    lines[0] = json.dumps(first, ensure_ascii=False)
    (run / "segments.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    html = render_report(Run.open(run))
    data = json.loads(re.search(r'id="mteval-data">(.*?)</script>', html).group(1))
    assert data["corpora"][0]["scores"]["good"]["ter"][0] is None
