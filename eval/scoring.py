"""Scoring systems: sufficient statistics once per system × metric, corpus and sentence scores from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .metrics import Metric


@dataclass
class ScoreTable:
    """Scores of several systems on one corpus; `stats[system][metric]` has one row per segment."""

    metrics: list[Metric]
    stats: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @property
    def systems(self) -> list[str]:
        return list(self.stats)

    def corpus_scores(self) -> dict[str, dict[str, dict]]:
        """`{system: {metric: {"score", "signature", "higher_is_better"}}}`."""
        return {
            system: {
                m.name: {
                    "score": m.corpus_score(by_metric[m.name]),
                    "signature": m.signature(),
                    "higher_is_better": m.higher_is_better,
                }
                for m in self.metrics
            }
            for system, by_metric in self.stats.items()
        }

    def sentence_scores(self, system: str) -> list[dict[str, float]]:
        """Per segment: `{metric: sentence score}`."""
        columns = {m.name: m.sentence_scores(self.stats[system][m.name]) for m in self.metrics}
        n = len(next(iter(columns.values()))) if columns else 0
        return [{name: col[i] for name, col in columns.items()} for i in range(n)]


def score_systems(
    hypotheses: dict[str, Sequence[str]], references: Sequence[Sequence[str]], metrics: list[Metric]
) -> ScoreTable:
    """Score every system against the same reference streams."""
    table = ScoreTable(metrics)
    for system, hyps in hypotheses.items():
        table.stats[system] = {m.name: m.stats(hyps, references) for m in metrics}
    return table
