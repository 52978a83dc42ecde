"""Scoring flags against MQM spans: the WMT23 QE task-2 rule on hand-made rows, the published all-major baseline."""

from __future__ import annotations

import pytest
from mteval.errors import CorpusError
from mteval.flags import Flag
from mteval.flags.mqm import dev_split, evaluate, load_gold, segments_for, word_labels
from mteval.flags.text import words


def gold_file(tmp_path, lines):
    path = tmp_path / "spans.tsv"
    path.write_text("".join("\t".join(cols) + "\n" for cols in lines), encoding="utf-8")
    return str(path)


ROWS = [
    # system, doc, seg, annotator, source, target, starts, ends, severities
    ("hyp.A", "d1", "1", "r1", "源一", "abcdefghij", "0 5", "2 7", "major minor"),
    ("hyp.B", "d1", "1", "r1", "源一", "klmnopqrst", "-1", "-1", "no-error"),
    ("ref.A", "d1", "1", "r2", "源一", "uvwxyzabcd", "-1", "-1", "no-error"),
    ("ref.B", "d1", "1", "r2", "源一", "zyxwvutsrq", "0", "10", "minor"),
]


def flag(segment, start, end, severity):
    return Flag(segment, start, end, severity, "k", "", "")


def test_character_scores_half_credit_for_wrong_severity(tmp_path):
    rows = load_gold(gold_file(tmp_path, ROWS))
    # Row 0: gold major 0-2, minor 5-7. Flags: 0-3 major (2 right + 1 wrong char), 5-7 major (2 half credit).
    result = evaluate(rows, [flag(0, 0, 3, "major"), flag(0, 5, 7, "major")])
    c = result["char"]
    assert c["gold_chars"] == 2 + 2 + 10 and c["flagged_chars"] == 5
    assert c["precision"] == pytest.approx((2 + 0.5 * 2) / 5)
    assert c["recall"] == pytest.approx(3 / 14)
    seg = result["major_segments"]
    assert (seg["gold"], seg["flagged"], seg["precision"], seg["recall"]) == (1, 1, 1.0, 1.0)


def test_overlapping_gold_spans_take_the_higher_severity(tmp_path):
    rows = load_gold(gold_file(tmp_path, [("hyp.A", "d", "1", "r", "源", "abcdef", "0 2", "4 3", "minor major")]))
    result = evaluate(rows, [flag(0, 2, 3, "major")])
    assert result["char"]["precision"] == 1.0 and result["char"]["gold_chars"] == 4


def test_word_labels_take_the_most_severe_span_over_each_word(tmp_path):
    """Words are read from the stripped target (a segment's hypothesis); gold offsets are into the raw target."""
    line = ("hyp.A", "d", "1", "r", "源", "  ab cd ef gh", "5 6 8", "6 9 12", "minor minor major")
    row = load_gold(gold_file(tmp_path, [line]))[0]
    ws = words(row.target.strip())
    assert [w for _, _, w in ws] == ["ab", "cd", "ef", "gh"]
    assert word_labels(row, ws) == [0, 1, 2, 2]


def test_segments_for_each_mode_never_use_the_rows_own_text(tmp_path):
    rows = load_gold(gold_file(tmp_path, ROWS))
    free = segments_for(rows, "reference-free")
    assert all(not s.references and not s.others for s in free)
    ref = segments_for(rows, "reference")
    assert ref[0].references == ["uvwxyzabcd", "zyxwvutsrq"] and not ref[0].others
    assert ref[2].references == ["zyxwvutsrq"]  # ref.A is flagged with ref.B only
    cons = segments_for(rows, "consensus")
    assert cons[0].others == {"hyp.B": "klmnopqrst"} and not cons[0].references
    both = segments_for(rows, "reference+consensus")
    assert both[1].others == {"hyp.A": "abcdefghij"} and len(both[1].references) == 2


def test_bad_gold_lines_are_named(tmp_path):
    with pytest.raises(CorpusError, match=r"spans\.tsv:1: expected 9"):
        load_gold(gold_file(tmp_path, [("hyp.A", "d", "1")]))
    with pytest.raises(CorpusError, match=r"spans\.tsv:1: bad span 0-99"):
        load_gold(gold_file(tmp_path, [("hyp.A", "d", "1", "r", "源", "abc", "0", "99", "major")]))


def all_major_expected(path) -> dict[str, float]:
    """The all-major baseline computed here from the TSV: each output flagged major over its stripped text; gold
    characters take their highest severity; credit 1 for a major gold character, 0.5 for a minor one."""
    credit = flagged = gold = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        target, starts, ends, severities = cols[5], cols[6].split(), cols[7].split(), cols[8].split()
        lead = len(target) - len(target.lstrip())
        covered = set(range(lead, lead + len(target.strip())))
        rank: dict[int, float] = {}
        for start, end, severity in zip(starts, ends, severities):
            if severity != "no-error":
                for i in range(int(start), int(end)):
                    rank[i] = max(rank.get(i, 0), 1.0 if severity == "major" else 0.5)
        flagged += len(covered)
        gold += len(rank)
        credit += sum(v for i, v in rank.items() if i in covered)
    p, r = credit / flagged, credit / gold
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r), "flagged_chars": flagged, "gold_chars": gold}


def test_all_major_baseline(shared):
    """Flagging every character major on newstest2021 zh→en MQM scores what an independent count of the file gives
    (F1 0.19, the published all-major baseline)."""
    path = shared / "mqm-newstest2021-zhen" / "spans.tsv"
    rows = load_gold(str(path))
    assert len(rows) == 9614
    everything = [flag(i, 0, len(r.target.strip()), "major") for i, r in enumerate(rows)]
    got = evaluate(rows, everything)["char"]
    want = all_major_expected(path)
    assert got == pytest.approx(want, rel=1e-12)
    assert round(want["f1"], 2) == 0.19
    dev, held = dev_split(rows)
    assert sorted(dev + held) == list(range(len(rows)))
    assert not {rows[i].doc for i in dev} & {rows[i].doc for i in held}
