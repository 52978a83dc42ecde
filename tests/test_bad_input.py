"""Bad input through the CLI: one clear line on stderr, exit code 2, nothing written. BOM and CRLF are accepted."""

from __future__ import annotations

import json

import pytest
import sacrebleu
from mteval.cli import main

from .conftest import ROOT

SEED = ROOT / "corpora" / "xinhua-2021-04-13"
SRC = (SEED / "source.zh").read_text(encoding="utf-8").split("\n")[:11]
REF = (SEED / "reference.en").read_text(encoding="utf-8").split("\n")[:11]
HYP = [" ".join(line.split()[:-3]) for line in REF]  # an aligned "system": each reference minus its last 3 words


def lines_file(path, lines, *, bom: bool = False, crlf: bool = False):
    end = "\r\n" if crlf else "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "".join(s + end for s in lines).encode("utf-8"))
    return path


@pytest.fixture
def work(tmp_path):
    """A config over copies of the seed files (one aligned system) in tmp_path; the run folder is tmp_path/out."""
    d = tmp_path / "in"
    d.mkdir()
    lines_file(d / "source.zh", SRC)
    lines_file(d / "reference.en", REF)
    lines_file(d / "hyp.en", HYP)
    config = d / "run.yaml"
    config.write_text(
        f"name: bad\noutput: {tmp_path / 'out'}\ncache: false\n"
        f"corpora:\n  - name: seed\n    source: {d / 'source.zh'}\n    references: [{d / 'reference.en'}]\n"
        f"systems:\n  - name: sys\n    backend: file\n    path: {d / 'hyp.en'}\n"
        f"metrics: [bleu, chrf]\n", encoding="utf-8")
    return d


def fails(capsys, argv, tmp_path) -> str:
    """Run the CLI expecting exit code 2; return the one-line message after `mteval: error: `."""
    before = sorted(tmp_path.rglob("*"))
    assert main([str(a) for a in argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mteval: error: "), captured.err
    assert not (tmp_path / "out").exists()
    assert sorted(tmp_path.rglob("*")) == before  # nothing written anywhere
    return lines[0].removeprefix("mteval: error: ")


def run_argv(work):
    return ["run", work / "run.yaml"]


def test_run_line_counts_differ_names_both_files_and_counts(work, capsys, tmp_path):
    lines_file(work / "reference.en", REF[:10])
    msg = fails(capsys, run_argv(work), tmp_path)
    assert msg == f"line counts differ: {work / 'source.zh'} has 11 lines, {work / 'reference.en'} has 10 lines"


def test_run_hypothesis_line_count_differs(work, capsys, tmp_path):
    lines_file(work / "hyp.en", HYP + ["one too many"])
    msg = fails(capsys, run_argv(work), tmp_path)
    assert msg.startswith(f"line counts differ: {work / 'hyp.en'} has 12 lines, corpus 'seed' has 11 segments")


@pytest.mark.parametrize("bom", [False, True])
def test_run_invalid_utf8_names_file_line_and_byte_offset(work, capsys, tmp_path, bom):
    good = "".join(s + "\n" for s in REF[:2]).encode("utf-8")
    bad = b"Latin-1 caf\xe9\n"
    data = (b"\xef\xbb\xbf" if bom else b"") + good + bad + "".join(s + "\n" for s in REF[3:]).encode("utf-8")
    (work / "reference.en").write_bytes(data)
    offset = data.index(b"\xe9")
    msg = fails(capsys, run_argv(work), tmp_path)
    assert msg == (f"{work / 'reference.en'}:3: invalid UTF-8 at byte offset {offset} "
                   f"(byte {len('Latin-1 caf')} of the line): b'\\xe9'")


def test_run_empty_file(work, capsys, tmp_path):
    (work / "hyp.en").write_bytes(b"")
    assert fails(capsys, run_argv(work), tmp_path) == f"{work / 'hyp.en'}: file is empty"


def test_run_missing_file_points_into_the_config(work, capsys, tmp_path):
    (work / "reference.en").unlink()
    msg = fails(capsys, run_argv(work), tmp_path)
    assert msg == f"{work / 'run.yaml'}:7: corpora.0.references.0: file not found: {work / 'reference.en'}"


def test_run_unknown_metric(work, capsys, tmp_path):
    msg = fails(capsys, run_argv(work) + ["--set", "metrics=[bleu, meteor]"], tmp_path)
    assert msg.startswith("--set metrics: metrics.1: unknown metric 'meteor' (known: bleu, chrf, chrf++, flags-mqm, ter")


def test_run_yaml_syntax_error(work, capsys, tmp_path):
    config = work / "run.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("metrics: [bleu, chrf]", "metrics: [bleu, chrf"))
    msg = fails(capsys, run_argv(work), tmp_path)
    assert msg.startswith(f"{config}:") and "YAML syntax error" in msg


def test_run_missing_config(capsys, tmp_path):
    assert fails(capsys, ["run", tmp_path / "nope.yaml"], tmp_path) == f"{tmp_path / 'nope.yaml'}: file not found"


def test_run_unknown_stage(work, capsys, tmp_path):
    msg = fails(capsys, run_argv(work) + ["--stages", "translate,scoer"], tmp_path)
    assert msg.startswith("unknown stage 'scoer' (known: translate, score")


def test_bom_and_crlf_give_identical_results(work, capsys, tmp_path):
    argv = [str(a) for a in run_argv(work)] + ["--stages", "translate,score"]
    assert main(argv) == 0
    clean = json.loads((tmp_path / "out" / "scores.json").read_text(encoding="utf-8"))
    clean_rows = (tmp_path / "out" / "segments.jsonl").read_text(encoding="utf-8")
    lines_file(work / "source.zh", SRC, bom=True, crlf=True)
    lines_file(work / "reference.en", REF, bom=True, crlf=True)
    lines_file(work / "hyp.en", HYP, crlf=True)
    assert main(argv) == 0
    assert json.loads((tmp_path / "out" / "scores.json").read_text(encoding="utf-8")) == clean
    assert (tmp_path / "out" / "segments.jsonl").read_text(encoding="utf-8") == clean_rows
    assert clean["seed"]["sys"]["bleu"]["score"] == sacrebleu.corpus_bleu(HYP, [REF]).score
    assert "\ufeff" not in clean_rows and "\\r" not in clean_rows


# ---- mteval score ----------------------------------------------------------------------------------------------

def score_argv(work, *extra):
    return ["score", "--ref", work / "reference.en", *extra]


def test_score_bom_and_crlf_give_identical_scores(work, capsys):
    assert main([str(a) for a in score_argv(work, work / "hyp.en", "--format", "json")]) == 0
    clean = json.loads(capsys.readouterr().out)["systems"]["hyp.en"]
    lines_file(work / "ref-bom.en", REF, bom=True, crlf=True)
    lines_file(work / "hyp-bom.en", HYP, bom=True, crlf=True)
    argv = ["score", "--ref", work / "ref-bom.en", f"hyp.en={work / 'hyp-bom.en'}", "--format", "json"]
    assert main([str(a) for a in argv]) == 0
    assert json.loads(capsys.readouterr().out)["systems"]["hyp.en"] == clean
    assert clean["chrf"]["score"] == sacrebleu.corpus_chrf(HYP, [REF]).score


def test_score_line_counts_differ(work, capsys, tmp_path):
    lines_file(work / "short.en", HYP[:9])
    msg = fails(capsys, score_argv(work, work / "short.en"), tmp_path)
    assert msg == f"line counts differ: {work / 'reference.en'} has 11 lines, {work / 'short.en'} has 9 lines"


def test_score_references_differ(work, capsys, tmp_path):
    lines_file(work / "ref2.en", REF[:5])
    msg = fails(capsys, score_argv(work, "--ref", work / "ref2.en", work / "hyp.en"), tmp_path)
    assert msg == f"line counts differ: {work / 'reference.en'} has 11 lines, {work / 'ref2.en'} has 5 lines"


def test_score_source_is_checked_for_alignment(work, capsys, tmp_path):
    lines_file(work / "src.zh", SRC[:10])
    msg = fails(capsys, score_argv(work, "--src", work / "src.zh", work / "hyp.en"), tmp_path)
    assert msg == f"line counts differ: {work / 'src.zh'} has 10 lines, {work / 'reference.en'} has 11 lines"


def test_score_invalid_utf8(work, capsys, tmp_path):
    (work / "bad.en").write_bytes(b"fine\n\xff\xfe broken\n")
    msg = fails(capsys, score_argv(work, work / "bad.en"), tmp_path)
    assert msg == f"{work / 'bad.en'}:2: invalid UTF-8 at byte offset 5 (byte 0 of the line): b'\\xff'"


def test_score_empty_and_missing_files(work, capsys, tmp_path):
    (work / "empty.en").write_bytes(b"")
    assert fails(capsys, score_argv(work, work / "empty.en"), tmp_path) == f"{work / 'empty.en'}: file is empty"
    assert fails(capsys, score_argv(work, work / "gone.en"), tmp_path) == f"{work / 'gone.en'}: file not found"
    msg = fails(capsys, ["score", "--ref", work / "gone.en", work / "hyp.en"], tmp_path)
    assert msg == f"{work / 'gone.en'}: file not found"


def test_score_unknown_metric(work, capsys, tmp_path):
    msg = fails(capsys, score_argv(work, work / "hyp.en", "--metrics", "bleu,comet"), tmp_path)
    assert msg.startswith("unknown metric 'comet' (known: bleu, chrf, chrf++, flags-mqm, ter")


def test_score_duplicate_system_names(work, capsys, tmp_path):
    (work / "other").mkdir()
    lines_file(work / "other" / "hyp.en", HYP)
    before = sorted(tmp_path.rglob("*"))
    assert main([str(a) for a in score_argv(work, work / "hyp.en", work / "other" / "hyp.en")]) == 2
    assert "duplicate system name 'hyp.en'" in capsys.readouterr().err
    assert sorted(tmp_path.rglob("*")) == before


def test_score_path_with_equals_sign_is_a_path(work, capsys):
    lines_file(work / "a=b.en", HYP)
    assert main([str(a) for a in score_argv(work, work / "a=b.en", "--format", "json", "--metrics", "bleu")]) == 0
    assert list(json.loads(capsys.readouterr().out)["systems"]) == ["a=b.en"]


def test_score_no_metric(work, capsys, tmp_path):
    assert fails(capsys, score_argv(work, work / "hyp.en", "--metrics", " , "), tmp_path) == \
        "--metrics ' , ': no metric named"
