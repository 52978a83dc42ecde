"""The records stages write and readers read: a system's score on one metric (an entry of scores.json) and a
segment row (a line of segments.jsonl). One definition each, so every module spells the keys the same way."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class ScoreRecord(TypedDict):
    """One system × metric entry of scores.json; the significance keys are there when it was computed."""

    score: float
    signature: str
    higher_is_better: bool
    ci: NotRequired[list[float]]
    """95% paired-bootstrap confidence interval `[low, high]`."""
    p_value: NotRequired[float | None]
    """Paired bootstrap p-value against `baseline` (None for the baseline itself)."""
    p_value_ar: NotRequired[float | None]
    """Paired approximate-randomisation p-value against `baseline`, when asked for."""
    cluster: NotRequired[int]
    """Significance cluster, 1 = best (WMT-style ranking with ties)."""
    baseline: NotRequired[str]


SIGNIFICANCE_KEYS = ("ci", "p_value", "p_value_ar", "cluster", "baseline")

Scores = dict[str, dict[str, ScoreRecord]]
"""`{system: {metric: ScoreRecord}}` for one corpus."""


class SegmentRow(TypedDict):
    """One line of segments.jsonl: a system's hypothesis of one segment with its sentence scores."""

    corpus: str
    system: str
    segment: int
    id: str
    document: NotRequired[str]
    source: str
    references: list[str]
    hypothesis: str
    scores: dict[str, float]


def segment_row(corpus: str, system: str, segment: int, seg_id: str, document: str | None, source: str,
                references: list[str], hypothesis: str, scores: dict[str, float]) -> SegmentRow:
    """A segments.jsonl row; "corpus" comes first (readers skip other corpora's lines by that prefix)."""
    row: SegmentRow = {"corpus": corpus, "system": system, "segment": segment, "id": seg_id}  # type: ignore[typeddict-item]
    if document is not None:
        row["document"] = document
    row.update(source=source, references=references, hypothesis=hypothesis, scores=scores)
    return row
