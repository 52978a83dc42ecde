"""`mteval inspect`: terminal output checked against the run folder's files, filters, and clear errors on bad
run folders."""

from __future__ import annotations

import difflib
import io
import json
import re
from contextlib import chdir
from pathlib import Path

import pytest
from mteval.cli import main
from mteval.errors import RunError
from mteval.report.select import select
from mteval.report.terminal import render
from mteval.report.worddiff import word_diff
from mteval.runs.reader import Run
from rich.console import Console

from .conftest import ROOT
from .test_seed_run import SEED_MT_ONLY

FRAGMENT = "relax. intense situation"


def add_flag(run: Path, segment: int, text: str, severity: str, kind: str, message: str) -> dict:
    """Append a hand-made flag on the first occurrence of `text` in the seed hypothesis of `segment`."""
    rows = [json.loads(line) for line in (run / "segments.jsonl").read_text().splitlines()]
    hyp = rows[segment]["hypothesis"].strip()
    start = hyp.index(text)
    flag = {"corpus": "xinhua-2021-04-13", "system": "xinhua-mt", "segment": segment, "start": start,
            "end": start + len(text), "severity": severity, "kind": kind, "message": message, "text": text,
            "evidence": {"source": "缓和紧张局势"}}
    with (run / "flags.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(flag, ensure_ascii=False) + "\n")
    return flag


@pytest.fixture(autouse=True)
def _no_forced_color(monkeypatch):
    """`mteval inspect` under pytest writes to a pipe: plain text unless the environment forces colour."""
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory) -> Path:
    """The real seed run (translate + score) plus two hand-made flags."""
    out = tmp_path_factory.mktemp("inspect") / "seed"
    with chdir(ROOT):
        assert main(["run", "configs/seed.yaml", "--set", f"output={out}", "--set", SEED_MT_ONLY,
                     "--stages", "translate,score"]) == 0
    add_flag(out, 6, FRAGMENT, "major", "broken-sentence", "sentence break inside a phrase")
    add_flag(out, 0, "American", "minor", "reference", "not supported by the reference")
    add_flag(out, 6, "intense situation.", "minor", "fragment", "overlaps the major flag")
    return out


def rendered(run: Path, color: bool, **filters) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=100, force_terminal=color, color_system="standard" if color else None,
                      highlight=False, legacy_windows=False, _environ={})  # ignore NO_COLOR/FORCE_COLOR/COLUMNS
    render(console, select(Run.open(run), **filters))
    return buf.getvalue()


def run_rows(run: Path) -> tuple[list[dict], list[dict]]:
    """segments.jsonl and flags.jsonl rows of a run folder."""
    segments = [json.loads(line) for line in (run / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    flags = [json.loads(line) for line in (run / "flags.jsonl").read_text(encoding="utf-8").splitlines()]
    return segments, flags


def wdiff(reference: str, hypothesis: str) -> str:
    """The expected plain diff, computed here: difflib over whitespace words, `[-ref-] {+hyp+}` per change."""
    ref, hyp = reference.split(), hypothesis.split()
    parts = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ref, hyp, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(" ".join(ref[i1:i2]))
            continue
        if i2 > i1:
            parts.append(f"[-{' '.join(ref[i1:i2])}-]")
        if j2 > j1:
            parts.append(f"{{+{' '.join(hyp[j1:j2])}+}}")
    return " ".join(parts)


def test_plain_output_from_the_run_files(seed_run):
    """Each shown segment: header, source, reference, sentence scores, hypothesis, word diff and its flags, all
    as segments.jsonl and flags.jsonl hold them."""
    segments, flags = run_rows(seed_run)
    text = rendered(seed_run, color=False, segments=["0", "6"])
    assert "\x1b[" not in text
    blocks = text.split("\n\n")
    assert blocks[-1] == "" and len(blocks) == 3
    for i, block in zip((0, 6), blocks, strict=False):
        row = segments[i]
        hyp = row["hypothesis"].strip()
        scores = " · ".join(f"{m} {row['scores'][m]:.1f}" for m in ("bleu", "chrf", "chrf++", "ter"))
        want = [f"== xinhua-2021-04-13 · segment {i} · id {row['id']}", f"source    {row['source']}",
                f"ref       {row['references'][0]}", f"xinhua-mt {scores}", f"  hyp     {hyp}",
                f"  diff    {wdiff(row['references'][0], hyp)}"]
        want += [f"          ! {f['severity']} {f['kind']} [{f['start']}:{f['end']}] {f['text']!r}: {f['message']}"
                 for f in flags if f["segment"] == i]
        assert block.split("\n") == want
    assert f"! major broken-sentence [338:362] '{FRAGMENT}'" in text  # the hand-made flag, as add_flag placed it


SGR = {"major": "1;37;41", "minor": "30;43"}  # bold white on red, black on yellow


def styled_characters(lines: list[str]) -> list[tuple[str, str]]:
    """(character, SGR parameters) of every non-space character of the content column (after the 10-column label
    column) of terminal rows; wrapped rows simply continue."""
    out = []
    for line in lines:
        style, column = "", 0
        for code, char in re.findall(r"\x1b\[([0-9;]*)m|(.)", line):
            if not char:
                style = "" if code == "0" else code
                continue
            column += 1
            if column > 10 and not char.isspace():
                out.append((char, style))
    return out


def test_color_output_highlights_every_flag_on_its_characters(seed_run):
    """On a terminal each hypothesis character is styled by the most severe flag covering it, and only those."""
    segments, flags = run_rows(seed_run)
    text = rendered(seed_run, color=True, segments=["0", "6"])
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in text.split("\n")]
    starts = [n for n, line in enumerate(plain) if line.startswith("  hyp")]
    ends = [n for n, line in enumerate(plain) if line.startswith("  diff")]
    assert len(starts) == len(ends) == 2
    rows = text.split("\n")
    for i, first, end in zip((0, 6), starts, ends, strict=True):
        hyp = segments[i]["hypothesis"].strip()
        severity = {}
        for f in sorted((f for f in flags if f["segment"] == i), key=lambda f: f["severity"] == "major"):
            severity.update(dict.fromkeys(range(f["start"], f["end"]), f["severity"]))
        assert severity, i
        want = [(c, SGR[severity[k]] if k in severity else "") for k, c in enumerate(hyp) if not c.isspace()]
        assert styled_characters(rows[first:end]) == want


def test_worst_by_metric_matches_sentence_scores(seed_run):
    rows = [json.loads(line) for line in (seed_run / "segments.jsonl").read_text().splitlines()]
    worst_chrf = sorted(range(len(rows)), key=lambda i: (rows[i]["scores"]["chrf"], i))[:3]
    worst_ter = sorted(range(len(rows)), key=lambda i: (-rows[i]["scores"]["ter"], i))[:3]
    (sel,) = select(Run.open(seed_run), worst=3, by="chrf")
    assert sel.segments == worst_chrf
    (sel,) = select(Run.open(seed_run), worst=3, by="ter")
    assert sel.segments == worst_ter


def test_flag_and_severity_filters(seed_run):
    run = Run.open(seed_run)
    assert select(run, severity="major")[0].segments == [6]
    assert select(run, flag="reference")[0].segments == [0]
    assert select(run, flag="reference", severity="major") == []


def test_cli_pipe_output_and_exit_codes(seed_run, capsys):
    assert main(["inspect", str(seed_run), "--severity", "major", "--width", "100"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("== xinhua-2021-04-13 · segment 6 · id 6\n") and "\x1b[" not in out
    assert main(["inspect", str(seed_run), "--flag", "repetition"]) == 1
    assert "no flag of kind 'repetition' in" in capsys.readouterr().err
    assert main(["inspect", str(seed_run), "--flag", "fragment", "--severity", "major"]) == 1
    assert "no segment matches the filters" in capsys.readouterr().err
    assert main(["inspect", str(seed_run), "--flag", "no-such-kind"]) == 2
    assert "unknown flag kind 'no-such-kind' (known: brackets, broken-sentence, fragment" in capsys.readouterr().err
    assert main(["inspect", str(seed_run), "--by", "comet"]) == 2
    assert "no sentence scores for 'comet' (known: bleu, chrf, chrf++, ter)" in capsys.readouterr().err
    assert main(["inspect", str(seed_run), "--system", "nope"]) == 2
    assert "no system 'nope' (known: xinhua-mt)" in capsys.readouterr().err


def test_markup_in_text_is_printed_literally(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "scores.json").write_text(json.dumps({"c": {"s": {"bleu": {"score": 1.0}}}}))
    hyp = "[bold red]not markup[/] <script>alert(1)</script>"
    (run / "segments.jsonl").write_text(json.dumps({"corpus": "c", "system": "s", "segment": 0, "source": "[link]x",
                                                    "references": ["ref"], "hypothesis": hyp,
                                                    "scores": {"bleu": 1.0}}) + "\n")
    text = rendered(run, color=True)
    assert "[bold red]not markup[/]" in text and "[link]x" in text


def test_stale_or_broken_flags_are_errors(seed_run, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    for name in ("scores.json", "segments.jsonl"):
        (run / name).write_bytes((seed_run / name).read_bytes())
    flag = json.loads((seed_run / "flags.jsonl").read_text().splitlines()[0])
    (run / "flags.jsonl").write_text(json.dumps({**flag, "start": flag["start"] + 1}) + "\n")
    with pytest.raises(RunError, match=r"flags.jsonl:1: text 'relax. intense situation' is not the hypothesis"):
        assert Run.open(run).corpora
    (run / "flags.jsonl").write_text("\n" + json.dumps({**flag, "end": 10_000}) + "\n")
    with pytest.raises(RunError, match=r"flags.jsonl:2: span \[338, 10000\) outside the hypothesis"):
        assert Run.open(run).corpora
    (run / "flags.jsonl").write_text("{not json\n")
    with pytest.raises(RunError, match=r"flags.jsonl:1: invalid JSON"):
        assert Run.open(run).corpora
    (run / "segments.jsonl").write_text("")
    with pytest.raises(RunError, match=r"segments.jsonl: no rows for xinhua-2021-04-13/xinhua-mt"):
        assert Run.open(run).corpora


def test_missing_run_folder(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nothing")]) == 2
    assert "run folder not found" in capsys.readouterr().err


def test_word_diff():
    assert word_diff("called on Russia to de-escalate tensions.", "called on Russia to relax. intense situation.") \
        == [("=", "called on Russia to"), ("-", "de-escalate tensions."), ("+", "relax. intense situation.")]
    assert word_diff("a b c", "a b c") == [("=", "a b c")]
    assert word_diff("", "x y") == [("+", "x y")]


def test_one_corpus_of_several(seed_run, tmp_path, capsys):
    run = tmp_path / "two"
    run.mkdir()
    scores = json.loads((seed_run / "scores.json").read_text())
    scores["copy"] = scores["xinhua-2021-04-13"]
    (run / "scores.json").write_text(json.dumps(scores))
    rows = [json.loads(line) for line in (seed_run / "segments.jsonl").read_text().splitlines()]
    copy = [{**r, "corpus": "copy", "hypothesis": r["hypothesis"].upper()} for r in rows]
    (run / "segments.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows + copy))
    view = Run.open(run, "copy")
    assert list(view.corpora) == ["copy"] and view.corpora["copy"].hypotheses["xinhua-mt"][6].endswith("SITUATION.")
    assert [s.corpus.name for s in select(Run.open(run), segments=["6"])] == ["xinhua-2021-04-13", "copy"]
    assert main(["inspect", str(run), "--corpus", "copy", "--segment", "6"]) == 0
    assert capsys.readouterr().out.startswith("== copy · segment 6 · id 6\n")
