"""Confidence of rule-detector flags: per evidence mode, kind and severity, the share of such flags on the
development half whose span overlaps an expert MQM error span (a zero-width flag: an expert span within `NEAR`
characters). A name no reference or other system vouches for is a wrong entity far more often when there are
references or other systems to vouch (0.46 with a reference, 0.19 without), so the same kind has a confidence per
mode. Fitted by `benchmarks/fit_flags.py` into `flag_weights.json` (`rule_confidence`: per mode, and `pooled` over
the modes for a kind a mode never produced); the learned `mistranslation` detector sets its own confidence (its
span model's probability that an expert span overlaps)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache

from .base import Flag
from .support import WEIGHTS_FILE

NEAR = 10
# Kinds the MQM data cannot calibrate (no glossary there): a glossary is the user's own rule.
UNCALIBRATED = {"terminology/major": 0.9, "terminology/minor": 0.7}
PRIOR = 0.5


@lru_cache(maxsize=1)
def table() -> dict[str, dict[str, float]]:
    """Evidence mode (or `pooled`) → "kind/severity" → confidence."""
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))["rule_confidence"]
    return {mode: {**UNCALIBRATED, **shares} for mode, shares in data.items()}


def calibrate(flags: Sequence[Flag], modes: Mapping[int, str]) -> list[Flag]:
    """The flags, each without a confidence given the calibrated one of its segment's evidence mode (`modes`:
    segment → mode), kind and severity."""
    conf = table()
    for f in flags:
        if f.confidence is None:
            key = f"{f.kind}/{f.severity}"
            f.confidence = conf.get(modes.get(f.segment, ""), {}).get(key, conf["pooled"].get(key, PRIOR))
    return list(flags)


def overlaps(row, f) -> bool:
    """The event confidence estimates: an expert span of MQM `row` overlaps flag `f` (a zero-width flag: an expert
    span lies within `NEAR` characters of it). Offsets of `f` are into the stripped target."""
    shift = len(row.target) - len(row.target.lstrip())
    s, e = f.start + shift, f.end + shift
    if s == e:
        return any(gs - NEAR <= s <= ge + NEAR for gs, ge, _ in row.spans)
    return any(gs < e and s < ge for gs, ge, _ in row.spans)
