"""The metric interface: per-segment sufficient statistics in, corpus and sentence scores out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from ..config.schema import Located, Option, validate
from ..errors import MetricError
from ..registry import Registry


class Metric:
    """A corpus metric computed from per-segment sufficient statistics (as in sacreBLEU's `metrics/base.py`).

    `stats` returns an array of shape (segments, k); summing rows over any subset of segments and calling
    `score_from_totals` gives that subset's corpus score, which makes resampling cheap. `options` are the config
    keys a metric takes besides `name` (validated like backend options, passed to `__init__`).
    """

    name: str
    options: ClassVar[list[Option]] = []
    higher_is_better: bool = True
    needs_references: ClassVar[bool] = True
    """False for reference-free metrics: corpora without references get only these."""
    loads_model: ClassVar[bool] = False
    """True for metrics that load a model: they run in the parent process (no fork per worker)."""
    detector: ClassVar[str | None] = None
    """A flag detector fed by this metric's outputs (xCOMET's error spans); the flag stage adds it."""
    num_refs: int | None = None  # reference streams of the statistics; set by `stats` or whoever computes them

    def __init__(self, tgt_lang: str, **options: Any) -> None:
        self.tgt_lang = tgt_lang
        self.config = options

    def signature(self) -> str:
        raise NotImplementedError

    def check_available(self) -> None:
        """Raise `MetricError` at once when the metric cannot run here (e.g. its weights are missing)."""

    def use_cache(self, cache: Any) -> None:
        """Model-based metrics keep their outputs in `cache` (an `eval.metrics.cache.MetricCache`, or None)."""

    def stats(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]],
              sources: Sequence[str] | None = None) -> np.ndarray:
        """Sufficient statistics per segment; `references` is a list of reference streams."""
        raise NotImplementedError

    def stats_systems(self, hypotheses: Mapping[str, Sequence[str]], references: Sequence[Sequence[str]],
                      sources: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Statistics of several systems on the same segments (metrics may batch across systems)."""
        return {name: self.stats(hyps, references, sources) for name, hyps in hypotheses.items()}

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
    """A metric that scores each segment on its own (neural metrics): statistics are rows `[score, 1]`, so the
    corpus score is the mean of the segment scores and resampling works as for BLEU."""

    def segment_scores(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]],
                       sources: Sequence[str] | None) -> list[float]:
        raise NotImplementedError

    def stats(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]],
              sources: Sequence[str] | None = None) -> np.ndarray:
        self.num_refs = len(references)
        scores = np.asarray(self.segment_scores(hypotheses, references, sources), dtype=np.float64)
        return np.column_stack([scores, np.ones(len(scores))]).reshape(len(scores), 2)

    def score_from_totals(self, totals: np.ndarray) -> float:
        return float(totals[0] / totals[1]) if totals[1] else 0.0


METRICS: Registry[type[Metric]] = Registry("metric", MetricError, group="mteval.metrics")


def metric_spec(item: str | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """`(name, options)` of a `metrics:` item: a name, or a mapping with `name` and the metric's options."""
    if isinstance(item, str):
        return item, {}
    options = dict(item)
    return options.pop("name"), options


def make_metrics(specs: Sequence[str | Mapping[str, Any]], tgt_lang: str) -> list[Metric]:
    """Instantiate metrics from names or `{name: ..., option: ...}` mappings for a target language; unknown names
    raise `MetricError`."""
    out = []
    for item in specs:
        name, options = metric_spec(item)
        cls = METRICS.get(name)
        out.append(cls(tgt_lang, **validate(options, cls.options, Located("metrics"), (name,))))
    return out
