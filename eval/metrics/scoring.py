"""Scoring systems: sufficient statistics once per system × metric, corpus and sentence scores from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..records import ScoreRecord, Scores
from . import Metric
from .significance import Settings, analyse
from .workers import stats_many


@dataclass
class ScoreTable:
    """Scores of several systems on one corpus; `stats[system][metric]` has one row per segment."""

    metrics: list[Metric]
    stats: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @property
    def systems(self) -> list[str]:
        return list(self.stats)

    def corpus_scores(self, significance: Settings | None = None) -> Scores:
        """A `ScoreRecord` per system and metric; with `significance` settings each also gets its CI, p-value
        (vs its baseline) and cluster (see `mteval.metrics.significance`)."""
        scores: Scores = {
            system: {
                m.name: ScoreRecord(score=m.corpus_score(by_metric[m.name]), signature=m.signature(),
                                    higher_is_better=m.higher_is_better)
                for m in self.metrics
            }
            for system, by_metric in self.stats.items()
        }
        if significance is not None and significance.enabled:
            for system, by_metric in analyse(self.metrics, self.stats, significance).items():
                for metric, extra in by_metric.items():
                    scores[system][metric].update(extra)
        return scores

    def sentence_scores(self, system: str) -> list[dict[str, float]]:
        """Per segment: `{metric: sentence score}`."""
        columns = {m.name: m.sentence_scores(self.stats[system][m.name]) for m in self.metrics}
        n = len(next(iter(columns.values()))) if columns else 0
        return [{name: col[i] for name, col in columns.items()} for i in range(n)]


def score_systems(
    hypotheses: dict[str, Sequence[str]], references: Sequence[Sequence[str]], metrics: list[Metric],
    sources: Sequence[str] | None = None,
) -> ScoreTable:
    """Score every system against the same reference streams (statistics of all systems at once, see
    `mteval.metrics.workers.stats_many`); `sources` for metrics that read them."""
    table = ScoreTable(metrics)
    for m in metrics:
        m.num_refs = len(references)
    table.stats = stats_many(metrics, hypotheses, references, sources=sources)
    return table
