"""`flags-mqm`: a weight-free MQM-like quality score from the flag detectors (no metric weights are fitted).

Per segment: −Σ over its flags of severity weight × confidence, with the MQM weights major 5, minor 1 (Freitag et
al. 2021); a flag without a confidence counts 1. Higher is better, 0 means nothing flagged; the corpus score is
the mean. Evidence: `reference` (the reference streams) or `systems` (the references plus the other systems'
outputs for the same corpus, as the flag stage uses them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from ..config.schema import Option
from ..errors import MetricError
from .base import METRICS, SegmentMetric

SEVERITY_WEIGHTS = {"major": 5.0, "minor": 1.0}
# An expected penalty: every candidate of the learned detector counts by its confidence, also those below the
# floor under which the flag stage writes none.
MIN_CONFIDENCE = {"min_confidence": 0.0}


def penalties(flags, segments: int) -> np.ndarray:
    """−Σ severity weight × confidence per segment (`flags`: `mteval.flags.Flag` objects)."""
    out = np.zeros(segments)
    for f in flags:
        confidence = getattr(f, "confidence", None)
        out[f.segment] -= SEVERITY_WEIGHTS.get(f.severity, 0.0) * (1.0 if confidence is None else float(confidence))
    return out


@METRICS.register("flags-mqm")
class FlagsMqm(SegmentMetric):
    """MQM-weighted flag penalty per segment (major 5, minor 1, × confidence); needs sources and references."""

    name = "flags-mqm"
    options: ClassVar[list[Option]] = [
        Option("evidence", "str", "`reference`, or `systems`: the references plus the other systems' outputs.",
               default="systems", example="reference", choices=("reference", "systems")),
        Option("detectors", "list[str]", "Flag detectors (default: the flag stage's defaults).", default=None,
               example=["number", "reference", "consensus"]),
        Option("src_lang", "str", "Source language (the length detector's typical length ratio).", default="zh",
               example="de"),
    ]

    def __init__(self, tgt_lang: str, **options) -> None:
        super().__init__(tgt_lang, **options)
        from ..flags import DEFAULT_DETECTORS

        names = list(self.config["detectors"] or DEFAULT_DETECTORS)
        if self.config["evidence"] == "reference":
            names = [n for n in names if n != "consensus"]
        self.detector_names = names

    def signature(self) -> str:
        from .. import __version__

        return (f"flags-mqm|evidence:{self.config['evidence']}|weights:major=5,minor=1|"
                f"detectors:{','.join(self.detector_names)}|version:{__version__}")

    def _scores(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]], sources: Sequence[str] | None,
                others: dict[str, list[str]] | None) -> np.ndarray:
        from ..flags import build_segments, flag_segments, make_detectors

        if sources is None:
            raise MetricError("flags-mqm needs the source segments (`mteval score --src`, a run, or `sources=`)")
        segments = build_segments(sources, hypotheses, references, others, self.config["src_lang"], self.tgt_lang)
        return penalties(flag_segments(segments, make_detectors(self.detector_names, MIN_CONFIDENCE)), len(hypotheses))

    def segment_scores(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]],
                       sources: Sequence[str] | None = None) -> np.ndarray:
        return self._scores(hypotheses, references, sources, None)

    def stats_systems(self, hypotheses: dict[str, list[str]], references: Sequence[Sequence[str]],
                      sources: Sequence[str] | None) -> dict[str, np.ndarray]:
        """With `evidence: systems`, every system is flagged with the others' outputs as consensus evidence."""
        if self.config["evidence"] != "systems":
            return super().stats_systems(hypotheses, references, sources)
        self.num_refs = len(references)
        out = {}
        for name, lines in hypotheses.items():
            others = {o: h for o, h in hypotheses.items() if o != name}
            scores = self._scores(lines, references, sources, others)
            out[name] = np.column_stack([scores, np.ones(len(scores))])
        return out
