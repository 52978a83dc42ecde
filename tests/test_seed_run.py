"""End to end: `mteval run configs/seed.yaml` writes the run folder with sacreBLEU-equal scores."""

from __future__ import annotations

import contextlib
import csv
import io
import json

import pytest
import sacrebleu
from mteval.cli import main
from mteval.config.load import load_config
from sacrebleu.metrics import TER

from .conftest import ROOT

SEED_MT_ONLY = ("systems=[{name: xinhua-mt, backend: file, level: document, "
                "path: corpora/xinhua-2021-04-13/seed-mt.en.txt}]")
CORPUS = "xinhua-2021-04-13"
SEED = ROOT / "corpora" / CORPUS
SOURCES = (SEED / "source.zh").read_text(encoding="utf-8").split("\n")[:11]
REF = (SEED / "reference.en").read_text(encoding="utf-8").split("\n")[:11]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    """One seed run (the file system only: the seed's Gemma system is tested in test_gemma.py)."""
    out = tmp_path_factory.mktemp("seed") / "seed"
    argv = ["run", "configs/seed.yaml", "--set", f"output={out}", "--set", SEED_MT_ONLY]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            assert main(argv) == 0
        config = load_config("configs/seed.yaml", argv[3::2])
    hyp = (out / "hypotheses" / CORPUS / "xinhua-mt.txt").read_text(encoding="utf-8").split("\n")
    assert hyp[-1] == ""
    return {"out": out, "stdout": stdout.getvalue(), "config": config, "hyp": hyp[:-1]}


def test_prints_the_leaderboard_and_the_run_folder(run):
    scores = json.loads((run["out"] / "scores.json").read_text(encoding="utf-8"))[CORPUS]["xinhua-mt"]
    lines = run["stdout"].splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    row = [c.strip() for c in lines[2].strip("|").split("|")]
    assert header[:3] == ["corpus", "system", "bleu"] and {"chrf", "chrf++", "ter"} <= set(header)
    assert row[:2] == [CORPUS, "xinhua-mt"]
    for metric in ("bleu", "chrf", "chrf++", "ter"):
        assert row[header.index(metric)] == f"{scores[metric]['score']:.2f}"
    assert lines[-1] == f"run folder: {run['out']}"


def test_hypotheses_are_the_document_resegmented_onto_the_reference(run):
    assert len(run["hyp"]) == 11
    relax = next(i for i, s in enumerate(SOURCES) if "缓和紧张局势" in s)
    assert run["hyp"][relax].endswith("called on Russia to relax. intense situation.")
    assert run["hyp"][0].startswith("Russian and American presidents") and run["hyp"][-1] == "(Reporter: Liu Pinran)"


def test_corpus_scores_and_signatures_equal_sacrebleu(run):
    scores = json.loads((run["out"] / "scores.json").read_text(encoding="utf-8"))
    assert list(scores) == [CORPUS] and list(scores[CORPUS]) == ["xinhua-mt"]
    got = scores[CORPUS]["xinhua-mt"]
    hyp, refs = run["hyp"], [REF]
    expected = {
        "bleu": sacrebleu.corpus_bleu(hyp, refs),
        "chrf": sacrebleu.corpus_chrf(hyp, refs),
        "chrf++": sacrebleu.corpus_chrf(hyp, refs, word_order=2),
        "ter": sacrebleu.corpus_ter(hyp, refs),
    }
    assert list(got) == list(expected)
    for metric, result in expected.items():
        assert got[metric]["score"] == pytest.approx(result.score, rel=1e-12), metric
        assert got[metric]["higher_is_better"] is (metric != "ter")
    ter = TER()
    ter.corpus_score(hyp, refs)
    assert got["ter"]["signature"] == ter.get_signature().format()
    assert got["bleu"]["signature"] == f"nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:{sacrebleu.__version__}"
    assert got["chrf++"]["signature"].startswith("nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no")


def test_segments_carry_sources_references_and_sentence_scores(run):
    rows = [json.loads(line) for line in (run["out"] / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["segment"] for r in rows] == list(range(11))
    for i, row in enumerate(rows):
        assert row["corpus"] == CORPUS and row["system"] == "xinhua-mt" and row["id"] == str(i)
        assert row["source"] == SOURCES[i] and row["references"] == [REF[i]] and row["hypothesis"] == run["hyp"][i]
        hyp, refs = row["hypothesis"], [REF[i]]
        assert row["scores"]["bleu"] == pytest.approx(sacrebleu.sentence_bleu(hyp, refs).score, rel=1e-12)
        assert row["scores"]["chrf"] == pytest.approx(sacrebleu.sentence_chrf(hyp, refs).score, rel=1e-12)
        assert row["scores"]["chrf++"] == pytest.approx(sacrebleu.sentence_chrf(hyp, refs, word_order=2).score,
                                                        rel=1e-12)
        assert row["scores"]["ter"] == pytest.approx(sacrebleu.sentence_ter(hyp, refs).score, rel=1e-12)


def test_leaderboard_files_have_a_row_per_corpus_and_system(run):
    scores = json.loads((run["out"] / "scores.json").read_text(encoding="utf-8"))[CORPUS]["xinhua-mt"]
    with open(run["out"] / "leaderboard.csv", encoding="utf-8", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["corpus"] == CORPUS and row["system"] == "xinhua-mt"
    for metric in ("bleu", "chrf", "chrf++", "ter"):
        assert float(row[metric]) == scores[metric]["score"]
    md = (run["out"] / "leaderboard.md").read_text(encoding="utf-8")
    assert md == run["stdout"][:len(md)] and len(md.splitlines()) == 3


def test_manifest_records_config_versions_signatures_and_times(run):
    manifest = json.loads((run["out"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config_sha256"] == run["config"].sha256()
    assert manifest["config"]["metrics"] == ["bleu", "chrf", "chrf++", "ter"]
    assert manifest["packages"]["sacrebleu"] == sacrebleu.__version__
    scores = json.loads((run["out"] / "scores.json").read_text(encoding="utf-8"))[CORPUS]["xinhua-mt"]
    assert manifest["signatures"][CORPUS] == {m: v["signature"] for m, v in scores.items()}
    assert manifest["started"] <= manifest["finished"]
    assert {"translate", "score"} <= set(manifest["stages"])
    assert manifest["systems"]["xinhua-mt"]["backend"] == "file"
    assert manifest["corpora"][CORPUS]["segments"] == 11


def test_no_temporary_files_left(run):
    assert not [p for p in run["out"].rglob("*") if p.name.endswith(".tmp") or ".tmp." in p.name]


def run_files(root) -> dict[str, bytes]:
    """Every file of a run folder but the manifest (times) and the lock, the report with its folder name blanked."""
    files = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
             if p.is_file() and p.name not in ("manifest.json", ".lock")}
    files["report.html"] = files["report.html"].replace(f"<code>{root.name}<".encode(), b"<code>RUN<")
    return files


def test_a_second_run_gives_identical_results(run, monkeypatch, capsys):
    """A second run into a fresh folder (same translation cache: it is beside the first) recomputes every stage
    and writes the same files."""
    monkeypatch.chdir(ROOT)
    again = run["out"].parent / "again"
    assert main(["run", "configs/seed.yaml", "--set", f"output={again}", "--set", SEED_MT_ONLY]) == 0
    assert "up to date" not in capsys.readouterr().err
    stages = json.loads((again / "manifest.json").read_text(encoding="utf-8"))["stages"]
    assert {"translate", "score", "flag", "report"} <= set(stages)
    first, second = run_files(run["out"]), run_files(again)
    assert {"scores.json", "segments.jsonl", "flags.jsonl", "leaderboard.csv", "report.html"} <= set(first)
    assert list(first) == list(second)
    for name, content in first.items():
        assert second[name] == content, name


def test_markdown_leaderboard_escapes_table_syntax_in_names():
    from mteval.report.leaderboard import system_rows, to_markdown

    md = to_markdown(system_rows({"a|b\nc": {"bleu": {"score": 1.0, "higher_is_better": True}}}))
    assert md.splitlines()[2] == "| a\\|b c | 1.00 |"
