"""The metric interface: per-segment sufficient statistics in, corpus and sentence scores out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ..config.schema import Option
from ..errors import MetricError
from ..registry import Registry


class Metric:
    """A corpus metric computed from per-segment sufficient statistics (as in sacreBLEU's `metrics/base.py`).

    `stats` returns an array of shape (segments, k); summing rows over any subset of segments and calling
    `score_from_totals` gives that subset's corpus score, which makes resampling cheap.
    """

    name: str
    higher_is_better: bool = True
    num_refs: int | None = None  # reference streams of the statistics; set by `stats` or whoever computes them
    options: ClassVar[list[Option]] = []
    """Config keys besides `name` (`{name: metricx, model: ..., batch_size: 8}`)."""
    needs_references: ClassVar[bool] = True
    loads_model: ClassVar[bool] = False
    """Runs a model: computed in the parent process, never forked per worker."""

    def __init__(self, tgt_lang: str, **options: Any) -> None:
        self.tgt_lang = tgt_lang
        self.config = options

    def check_available(self) -> None:
        """Raise `MetricError` at once when the metric cannot run here (e.g. its weights are missing)."""

    def signature(self) -> str:
        raise NotImplementedError

    def stats(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]],
              sources: Sequence[str] | None = None) -> np.ndarray:
        """Sufficient statistics per segment; `references` is a list of reference streams."""
        raise NotImplementedError

    def score_from_totals(self, totals: np.ndarray) -> float:
        """Corpus score from statistics summed over segments."""
        raise NotImplementedError

    def sentence_score_from_stats(self, row: np.ndarray) -> float:
        """Sentence score from one segment's statistics (sentence-level conventions, e.g. smoothing)."""
        return self.score_from_totals(row)

    def corpus_score(self, stats: np.ndarray) -> float:
        return self.score_from_totals(stats.sum(axis=0))

    def sentence_scores(self, stats: np.ndarray) -> list[float]:
        return [self.sentence_score_from_stats(row) for row in stats]


class SegmentMetric(Metric):
    """A metric that scores each segment on its own (neural metrics); statistics rows are `[score, 1]`, so the
    corpus score of any subset is the mean of its segment scores."""

    def segment_scores(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]],
                       sources: Sequence[str] | None) -> list[float]:
        raise NotImplementedError

    def stats(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]],
              sources: Sequence[str] | None = None) -> np.ndarray:
        self.num_refs = len(references)
        scores = self.segment_scores(hypotheses, references, sources)
        return np.column_stack([np.asarray(scores, dtype=np.float64), np.ones(len(scores))]).reshape(-1, 2)

    def score_from_totals(self, totals: np.ndarray) -> float:
        return float(totals[0] / totals[1]) if totals[1] else float("nan")


METRICS: Registry[type[Metric]] = Registry("metric", MetricError, group="mteval.metrics")


def make_metrics(names: Sequence[str], tgt_lang: str) -> list[Metric]:
    """Instantiate metrics by name for a target language; unknown names raise `MetricError`."""
    return [METRICS.get(name)(tgt_lang) for name in names]
