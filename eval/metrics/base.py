"""The metric interface: per-segment sufficient statistics in, corpus and sentence scores out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

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

    def __init__(self, tgt_lang: str) -> None:
        self.tgt_lang = tgt_lang

    def signature(self) -> str:
        raise NotImplementedError

    def stats(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> np.ndarray:
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


METRICS: Registry[type[Metric]] = Registry("metric", MetricError, group="mteval.metrics")


def make_metrics(names: Sequence[str], tgt_lang: str) -> list[Metric]:
    """Instantiate metrics by name for a target language; unknown names raise `MetricError`."""
    return [METRICS.get(name)(tgt_lang) for name in names]
