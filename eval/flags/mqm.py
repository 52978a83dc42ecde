"""Scoring flags against expert MQM error spans (the WMT23 QE task-2 span format and rule).

Gold file: tab-separated `system, doc_id, seg_id, annotator, source, target, starts, ends, severities`, offsets
into `target`, `-1 -1 no-error` for a clean row. Character-level precision, recall and F1 are pooled over all
rows; a character flagged with the wrong severity earns half credit. Segment level: detection of rows with a
major error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import CorpusError
from ..textio import read_text
from .base import Flag, Segment

MODES = ("reference-free", "reference", "consensus", "reference+consensus")
MODE_HELP = {
    "reference-free": "source only",
    "reference": "source + the human references (ref.A/ref.B rows; never a row's own text)",
    "consensus": "source + the other MT systems' outputs of the same segment",
    "reference+consensus": "source + references + other systems",
}
_RANK = {"minor": 1, "major": 2}
BASELINE = "all-major baseline"


@dataclass
class GoldRow:
    """One annotated translation: its system, segment key, source, target and error spans (start, end, severity)."""

    line: int
    system: str
    doc: str
    source: str
    target: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.doc, self.source)

    @property
    def is_reference(self) -> bool:
        return self.system.startswith("ref.")


def load_gold(path: str) -> list[GoldRow]:
    """Read an MQM span file; a malformed line raises `CorpusError` naming the file and line."""
    rows = []
    for n, line in enumerate(read_text(path).split("\n"), 1):
        if not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) != 9:
            raise CorpusError(f"{path}:{n}: expected 9 tab-separated columns, found {len(cols)}")
        system, doc, _seg, _annotator, source, target, starts, ends, sevs = cols
        spans: list[tuple[int, int, str]] = []
        if sevs.strip() != "no-error":
            s_list, e_list, v_list = starts.split(), ends.split(), sevs.split()
            if not len(s_list) == len(e_list) == len(v_list):
                raise CorpusError(f"{path}:{n}: starts, ends and severities differ in number")
            for s, e, v in zip(s_list, e_list, v_list):
                try:
                    start, end = int(s), int(e)
                except ValueError:
                    raise CorpusError(f"{path}:{n}: offset {s!r}/{e!r} is not an integer") from None
                if v not in _RANK or not 0 <= start < end <= len(target):
                    raise CorpusError(f"{path}:{n}: bad span {start}-{end} {v!r} for a {len(target)}-char target")
                spans.append((start, end, v))
        rows.append(GoldRow(n, system, doc, source, target, spans))
    if not rows:
        raise CorpusError(f"{path}: no rows")
    return rows


def segments_for(rows: Sequence[GoldRow], mode: str, src_lang: str = "zh", tgt_lang: str = "en") -> list[Segment]:
    """One `Segment` per gold row with the evidence `mode` allows (a row's own text is never its evidence)."""
    by_key: dict[tuple[str, str], list[GoldRow]] = {}
    for row in rows:
        by_key.setdefault(row.key, []).append(row)
    refs = mode in ("reference", "reference+consensus")
    others = mode in ("consensus", "reference+consensus")
    out = []
    for i, row in enumerate(rows):
        group = by_key[row.key]
        out.append(Segment(
            index=i, source=row.source, hypothesis=row.target.strip(),
            references=[r.target for r in group if refs and r.is_reference and r is not row],
            others={r.system: r.target for r in group if others and not r.is_reference and r is not row},
            src_lang=src_lang, tgt_lang=tgt_lang,
        ))
    return out


def _labels(length: int, spans: Iterable[tuple[int, int, str]]) -> list[int]:
    lab = [0] * length
    for start, end, sev in spans:
        rank = _RANK[sev]
        for i in range(max(start, 0), min(end, length)):
            lab[i] = max(lab[i], rank)
    return lab


def word_labels(row: GoldRow, words: Sequence[tuple[int, int, str]]) -> list[int]:
    """Per word (offsets into the stripped target, as `text.words` of a segment's hypothesis gives them): the most
    severe expert span over its characters, 0 none, 1 minor, 2 major."""
    shift = len(row.target) - len(row.target.lstrip())
    lab = _labels(len(row.target), row.spans)
    return [max(lab[s + shift:e + shift]) for s, e, _ in words]


def evaluate(rows: Sequence[GoldRow], flags: Iterable[Flag]) -> dict[str, Any]:
    """Character P/R/F1 (severity mismatch = half credit) and major-segment detection P/R/F1.

    Flag offsets are into the stripped target; they are shifted back onto the gold target here.
    """
    by_row: dict[int, list[Flag]] = {}
    for f in flags:
        by_row.setdefault(f.segment, []).append(f)
    credit = pred_chars = gold_chars = 0.0
    tp = fp = fn = 0
    for i, row in enumerate(rows):
        shift = len(row.target) - len(row.target.lstrip())
        gold = _labels(len(row.target), row.spans)
        pred = _labels(len(row.target), ((f.start + shift, f.end + shift, f.severity) for f in by_row.get(i, [])))
        for g, p in zip(gold, pred):
            if g:
                gold_chars += 1
            if p:
                pred_chars += 1
                if g:
                    credit += 1.0 if g == p else 0.5
        gold_major = any(s == "major" for _, _, s in row.spans)
        pred_major = any(f.severity == "major" for f in by_row.get(i, []))
        tp += gold_major and pred_major
        fp += pred_major and not gold_major
        fn += gold_major and not pred_major
    precision = credit / pred_chars if pred_chars else 0.0
    recall = credit / gold_chars if gold_chars else 0.0
    seg_p = tp / (tp + fp) if tp + fp else 0.0
    seg_r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "rows": len(rows),
        "char": {"precision": precision, "recall": recall, "f1": _f1(precision, recall),
                 "flagged_chars": int(pred_chars), "gold_chars": int(gold_chars)},
        "major_segments": {"precision": seg_p, "recall": seg_r, "f1": _f1(seg_p, seg_r),
                           "flagged": tp + fp, "gold": tp + fn},
    }


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def dev_split(rows: Sequence[GoldRow]) -> tuple[list[int], list[int]]:
    """Row indices of the development half and the held-out half: documents sorted by id, the 1st, 3rd, 5th …
    are development, the 2nd, 4th, 6th … held out (every row of a document is on one side)."""
    docs = sorted({r.doc for r in rows})
    dev_docs = set(docs[::2])
    dev = [i for i, r in enumerate(rows) if r.doc in dev_docs]
    held = [i for i, r in enumerate(rows) if r.doc not in dev_docs]
    return dev, held


def run_modes(gold: str, modes: Sequence[str], split: str = "all", src_lang: str = "zh", tgt_lang: str = "en",
              detectors: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """Flag every gold row in each evidence mode and score the flags, with the all-major baseline on the same rows
    first (key `BASELINE`); `split` is all, dev or held-out."""
    from . import flag_segments, make_detectors

    rows = load_gold(gold)
    if split != "all":
        dev, held = dev_split(rows)
        rows = [rows[i] for i in (dev if split == "dev" else held)]
    dets = make_detectors(detectors)
    results = {BASELINE: evaluate(rows, all_major(rows))}
    for mode in modes:
        flags = flag_segments(segments_for(rows, mode, src_lang, tgt_lang), dets)
        results[mode] = evaluate(rows, flags)
        results[mode]["kinds"] = _kind_counts(flags)
    return results


def all_major(rows: Sequence[GoldRow]) -> list[Flag]:
    """The baseline: every output flagged major from its first to its last character."""
    return [Flag(i, 0, len(r.target.strip()), "major", "all", "", "") for i, r in enumerate(rows) if r.target.strip()]


def _kind_counts(flags: Iterable[Flag]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in flags:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return dict(sorted(counts.items()))
