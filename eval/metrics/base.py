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
    needs_references: bool = True
    options: ClassVar[list[Option]] = []  # settings a config or `make_metrics` may give (`__init__` keywords)
    num_refs: int | None = None  # reference streams of the statistics; set by `stats` or whoever computes them

    def __init__(self, tgt_lang: str, **options: Any) -> None:
        self.tgt_lang = tgt_lang
        known = {o.name: o for o in self.options}
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise MetricError(f"metric {self.name!r}: unknown option {unknown[0]!r} (known: {', '.join(known) or 'none'})")
        self.settings = {name: options.get(name, o.default) for name, o in known.items()}
        for name, value in self.settings.items():
            if known[name].choices and value not in known[name].choices:
                raise MetricError(f"metric {self.name!r}: option {name!r} must be one of "
                                  f"{', '.join(map(str, known[name].choices))}, got {value!r}")

    def signature(self) -> str:
        raise NotImplementedError

    def stats(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]],
              sources: Sequence[str] | None = None) -> np.ndarray:
        """Sufficient statistics per segment; `references` is a list of reference streams."""
        raise NotImplementedError

    def stats_systems(self, hypotheses: dict[str, list[str]], references: Sequence[Sequence[str]],
                      sources: Sequence[str] | None) -> dict[str, np.ndarray]:
        """Statistics of several systems of one corpus; a metric that uses the other systems' outputs as evidence
        overrides this (they are then computed together, never split across workers)."""
        return {name: self.stats(h, references, sources) for name, h in hypotheses.items()}

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
    """A metric defined per segment (`segment_scores`): statistics rows are `[score, 1]` and the corpus score is
    their mean, so resampling, significance and leaderboards work as for corpus metrics."""

    def segment_scores(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]],
                       sources: Sequence[str] | None = None) -> np.ndarray:
        raise NotImplementedError

    def stats(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]],
              sources: Sequence[str] | None = None) -> np.ndarray:
        self.num_refs = len(references)
        scores = np.asarray(self.segment_scores(hypotheses, references, sources), dtype=np.float64)
        return np.column_stack([scores, np.ones(len(scores))])

    def score_from_totals(self, totals: np.ndarray) -> float:
        return float(totals[0] / totals[1]) if totals[1] else float("nan")


METRICS: Registry[type[Metric]] = Registry("metric", MetricError, group="mteval.metrics")


def make_metrics(names: Sequence[str], tgt_lang: str, options: dict[str, dict[str, Any]] | None = None
                 ) -> list[Metric]:
    """Instantiate metrics by name for a target language (with `options[name]` as keywords); unknown names raise
    `MetricError`."""
    return [METRICS.get(name)(tgt_lang, **(options or {}).get(name, {})) for name in names]
