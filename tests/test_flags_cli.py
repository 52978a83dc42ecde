"""`mteval flag`, the run's flag stage + `mteval flags`, and `mteval flags-eval` end to end."""

from __future__ import annotations

import json

import pytest
from mteval import flag
from mteval.cli import main
from mteval.corpus.resegment import resegment

from .conftest import ROOT

SEED = ROOT / "corpora" / "xinhua-2021-04-13"
FRAGMENT = "relax. intense situation"
# Segments of the seed translation that break the text: 4 ends in the verbless fragment "Stable and predictable
# collaborative relationship.", 6 in "relax. intense situation.", 8 renders 战略稳定对话 as "strategic and stable
# dialogue". The others are faithful. The rule detectors put majors only there; the learned `mistranslation` detector
# also marks phrases that read differently from this free reference (see docs/quickstart.md), so the checks below
# hold for the rule detectors' majors.
BROKEN = {4, 6, 8}


def rule_major_segments(rows) -> set[int]:
    return {r["segment"] for r in rows if r["severity"] == "major" and r["kind"] != "mistranslation"}


@pytest.fixture
def seed_hyp(tmp_path):
    ref = (SEED / "reference.en").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "seed.en"
    path.write_text("\n".join(resegment((SEED / "seed-mt.en.txt").read_text(encoding="utf-8"), ref)) + "\n",
                    encoding="utf-8")
    return path


def test_flag_command_on_the_seed(seed_hyp, capsys):
    code = main(["flag", "--src", str(SEED / "source.zh"), "--hyp", str(seed_hyp), "--ref", str(SEED / "reference.en"),
                 "--glossary", str(SEED / "glossary.tsv")])
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    lines = seed_hyp.read_text(encoding="utf-8").splitlines()
    for row in rows:
        assert lines[row["segment"]].strip()[row["start"]:row["end"]] == row["text"]
    assert any(r["text"] == FRAGMENT and r["severity"] == "major" and r["kind"] == "broken-sentence" for r in rows)
    assert rule_major_segments(rows) == BROKEN
    assert any(r["kind"] == "terminology" and r["text"] == "strategic and stable dialogue" for r in rows)


SEED_MAJORS = ("relax. intense situation", "Stable and predictable collaborative relationship.",
               "strategic and stable dialogue")


def test_seed_flags_few_and_right(seed_hyp, capsys):
    """The seed MT with its reference and glossary: the three real errors major, no rule-detector major on a clean
    sentence, at most 12 flags, every flag with a confidence. (No learned major on a clean sentence is not
    reached: see docs/quickstart.md.)"""
    main(["flag", "--src", str(SEED / "source.zh"), "--hyp", str(seed_hyp), "--ref", str(SEED / "reference.en"),
          "--glossary", str(SEED / "glossary.tsv")])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    majors = [r for r in rows if r["severity"] == "major"]
    assert all(any(r["text"] == text for r in majors) for text in SEED_MAJORS)
    assert rule_major_segments(rows) == BROKEN
    assert all(0 < r["confidence"] <= 1 for r in rows)
    assert len(rows) <= 12


def test_flag_document_level_without_reference(capsys):
    """`--level document` cuts the document MT onto the source lines (no reference: a dictionary sketch)."""
    assert main(["flag", "--src", str(SEED / "source.zh"), "--hyp", str(SEED / "seed-mt.en.txt"),
                 "--level", "document", "--detectors", "broken-sentence,fragment"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["segment"], r["text"]) for r in rows] == [
        (4, "Stable and predictable collaborative relationship."), (6, "relax. intense situation")]


def test_unknown_kind_lists_the_known_ones(tmp_path, capsys):
    assert main(["flags", str(tmp_path), "--kind", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown flag kind 'nope'" in err and "mistranslation" in err and "wrong-entity" in err


def test_flag_reference_free_text_format(seed_hyp, capsys):
    assert main(["flag", "--src", str(SEED / "source.zh"), "--hyp", str(seed_hyp), "-f", "text"]) == 0
    out = capsys.readouterr().out
    assert f"{FRAGMENT!r}" in out and "major broken-sentence" in out


def test_flag_api_with_other_systems():
    src = ["拜登呼吁俄方缓和紧张局势。"] * 2
    hyp = ["Biden called on Russia to relax. intense situation.", "Biden called on Russia to buy more wheat."]
    others = {f"s{i}": ["Biden called on Russia to de-escalate tensions."] * 2 for i in range(4)}
    rows = flag(src, hyp, others=others)
    assert {r["kind"] for r in rows if r["segment"] == 0} >= {"broken-sentence"}
    wrong = [r for r in rows if r["kind"] == "mistranslation"]
    assert [(r["segment"], r["text"], r["evidence"]["unsupported"]) for r in wrong] == \
        [(1, "buy more wheat", {"others": ["buy", "wheat"]})]  # what no other system wrote
    assert all(hyp[r["segment"]][r["start"]:r["end"]] == r["text"] for r in rows)


def test_flag_command_misaligned_files(tmp_path, seed_hyp, capsys):
    short = tmp_path / "short.en"
    short.write_text("one line\n", encoding="utf-8")
    assert main(["flag", "--src", str(SEED / "source.zh"), "--hyp", str(short)]) == 2
    assert "line counts differ" in capsys.readouterr().err


SEED_CONFIG = """
name: seed-flags
corpora:
  - name: xinhua-2021-04-13
    source: corpora/xinhua-2021-04-13/source.zh
    references: [corpora/xinhua-2021-04-13/reference.en]
systems:
  - {name: xinhua-mt, backend: file, path: corpora/xinhua-2021-04-13/seed-mt.en.txt, level: document}
metrics: [chrf]
report: false
flags: {glossary: corpora/xinhua-2021-04-13/glossary.tsv}
"""


def seed_config(tmp_path):
    config = tmp_path / "seed.yaml"
    config.write_text(SEED_CONFIG, encoding="utf-8")
    return str(config)


def test_run_writes_flags_and_flags_command_lists_them(tmp_path, monkeypatch, capsys):
    """The seed story's file system (configs/seed.yaml without its Gemma model, which is slow on CPU)."""
    monkeypatch.chdir(ROOT)
    out = tmp_path / "seed"
    assert main(["run", seed_config(tmp_path), "--set", f"output={out}"]) == 0
    rows = [json.loads(line) for line in (out / "flags.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows and all(r["corpus"] == "xinhua-2021-04-13" and r["system"] == "xinhua-mt" for r in rows)
    assert any(r["text"] == FRAGMENT and r["severity"] == "major" for r in rows)
    assert rule_major_segments(rows) == BROKEN
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["flags"]["flags"] == len(rows) and "flag" in manifest["stages"]
    capsys.readouterr()
    assert main(["flags", str(out), "--severity", "major", "--kind", "broken-sentence"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert len(text) == 1 and FRAGMENT in text[0] and text[0].startswith("xinhua-2021-04-13/xinhua-mt 6:")
    assert main(["flags", str(out), "--system", "nobody", "--format", "jsonl"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["flags", str(tmp_path)]) == 2
    assert "flags.jsonl: not found" in capsys.readouterr().err


def test_run_flags_only_the_listed_corpora(tmp_path, monkeypatch, capsys):
    """`flags.corpora`: the flag stage skips the other corpora (e.g. the same outputs scored against other
    references); a name that is no corpus is a config error."""
    monkeypatch.chdir(ROOT)
    config = tmp_path / "two.yaml"
    config.write_text(SEED_CONFIG.replace(
        "corpora:\n", "corpora:\n  - {name: copy, source: corpora/xinhua-2021-04-13/source.zh, "
                       "references: [corpora/xinhua-2021-04-13/reference.en]}\n", 1)
        .replace("flags: {glossary:", "flags: {corpora: [copy], glossary:"), encoding="utf-8")
    out = tmp_path / "two"
    assert main(["run", str(config), "--set", f"output={out}"]) == 0
    rows = [json.loads(line) for line in (out / "flags.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows and {r["corpus"] for r in rows} == {"copy"}
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["flags"]["corpora"] == ["copy"]
    capsys.readouterr()
    # Asking for the flags of the skipped corpus says why there are none.
    assert main(["flags", str(out), "--corpus", "xinhua-2021-04-13"]) == 1
    assert "corpus 'xinhua-2021-04-13' was not flagged (the config's flags.corpora: copy)" in capsys.readouterr().err
    assert main(["inspect", str(out), "--corpus", "xinhua-2021-04-13", "--flag", "fragment"]) == 1
    assert "was not flagged" in capsys.readouterr().err
    assert main(["flags", str(out), "--corpus", "copy", "--kind", "fragment"]) == 0
    assert capsys.readouterr().out
    assert main(["run", str(config), "--set", f"output={tmp_path / 'bad'}", "--set", "flags.corpora=[nope]"]) == 2
    assert "flags.corpora.0: no corpus named 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_run_with_unknown_detector_fails_before_writing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "seed"
    assert main(["run", seed_config(tmp_path), "--set", f"output={out}", "--set", "flags.detectors=[nope]"]) == 2
    err = capsys.readouterr().err
    assert "--set flags.detectors: flags.detectors.0: unknown flag detector 'nope'" in err
    assert not out.exists()
    assert main(["run", seed_config(tmp_path), "--set", f"output={out}", "--set", "flags.glossary=nowhere.tsv"]) == 2
    assert "flags.glossary: file not found: nowhere.tsv" in capsys.readouterr().err


def test_flags_eval_on_a_small_gold_file(tmp_path, capsys):
    hyp = "Biden called on Russia to relax. intense situation."
    start = hyp.index(FRAGMENT)
    gold = tmp_path / "gold.tsv"
    gold.write_text(
        f"hyp.X\td\t1\tr\t拜登呼吁俄方缓和紧张局势。\t{hyp}\t{start}\t{start + len(FRAGMENT)}\tmajor\n"
        "hyp.Y\td\t2\tr\t双方讨论了问题。\tThe two sides discussed the issues.\t-1\t-1\tno-error\n",
        encoding="utf-8")
    assert main(["flags-eval", "--gold", str(gold), "--mode", "reference-free", "--detectors", "broken-sentence",
                 "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)["reference-free"]
    assert result["char"]["f1"] == 1.0 and result["major_segments"]["f1"] == 1.0
    assert result["kinds"] == {"broken-sentence": 1}
    assert main(["flags-eval", "--gold", str(gold), "--mode", "reference-free"]) == 0
    assert "reference-free" in capsys.readouterr().out
