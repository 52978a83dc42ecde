"""Hallucination signs: repetition loops, and length-ratio outliers (omission or over-generation)."""

from __future__ import annotations

import math
import re
import statistics

from .base import DETECTORS, Detector, Flag, Segment

# A chunk of 1–6 words repeated right after itself at least twice more ("the the the", "of the war of the war …").
LOOP_RE = re.compile(r"\b((?:[^\W_]+\W+){0,5}?[^\W_]+)(?:\W+\1\b){2,}", re.IGNORECASE)
# A chunk of 4+ words repeated once immediately ("in the field of science in the field of science").
WORD_RE = re.compile(r"[^\W_]+")
DOUBLE_RE = re.compile(r"\b((?:[^\W_]+\W+){3,9}[^\W_]+)\W+\1\b", re.IGNORECASE)

# Typical output/source character-length ratios by language pair (median of human references).
LENGTH_RATIO = {("zh", "en"): 3.1, ("ja", "en"): 2.6, ("en", "zh"): 0.32, ("en", "ja"): 0.4}
_SLACK = math.log(2.6)  # outside [expected / 2.6, expected * 2.6] is an outlier without other evidence
_SLACK_EVIDENCE = math.log(1.9)  # … and outside [÷1.9, ×1.9] of the references' / other systems' length


def _may_repeat(ws: list[str]) -> tuple[bool, bool]:
    """Whether the words `ws` (lower case) can hold a `LOOP_RE` match (a word at i, i + p and i + 2p, p ≤ 6) and a
    `DOUBLE_RE` one (4 words at i and again at i + p, 4 ≤ p ≤ 10): necessary conditions, far cheaper than the
    regexes."""
    at: dict[str, list[int]] = {}
    for i, w in enumerate(ws):
        at.setdefault(w, []).append(i)
    loop = double = False
    for positions in at.values():
        for k, a in enumerate(positions):
            for b in positions[k + 1:]:
                if b - a > 10:
                    break
                loop = loop or (b - a <= 6 and 2 * b - a < len(ws) and ws[2 * b - a] == ws[a])
                double = double or (b - a >= 4 and ws[a:a + 4] == ws[b:b + 4])
    return loop, double


@DETECTORS.register("repetition")
class Repetition(Detector):
    """A word or phrase looping (three or more times in a row, or a 4+ word phrase twice in a row) when the
    source does not repeat it (major: invented text)."""

    name = "repetition"
    kinds = ("repetition",)
    description = "repetition loops"

    def detect(self, segment: Segment) -> list[Flag]:
        hyp = segment.hypothesis
        regexes = [r for r, needed in zip((LOOP_RE, DOUBLE_RE), _may_repeat([w.lower() for w in WORD_RE.findall(hyp)]))
                   if needed]  # cheap pre-check: most outputs repeat too little for either pattern
        flags, taken = [], []  # taken: the (start, end) of each flagged match, first unit included
        for regex in regexes:
            for m in regex.finditer(hyp):
                unit = m.group(1)
                if unit.isdigit() or any(m.start() < end and start < m.end() for start, end in taken):
                    continue
                taken.append(m.span())
                repeat_start = m.start() + len(unit)
                while repeat_start < m.end() and not hyp[repeat_start].isalnum():
                    repeat_start += 1
                flags.append(segment.flag(repeat_start, m.end(), "major", "repetition",
                                          f"repeated {unit!r}", unit=unit, first=[m.start(), m.start() + len(unit)]))
        return flags


@DETECTORS.register("length")
class LengthRatio(Detector):
    """Output far shorter (omission) or longer (over-generation) than expected from the references and other
    systems, or else from the language pair's typical ratio. Major: content is missing or invented."""

    name = "length"
    kinds = ("omission", "over-generation")
    description = "length-ratio outliers (omission / over-generation)"

    def detect(self, segment: Segment) -> list[Flag]:
        hyp = segment.hypothesis
        evidence = [t for t in [*segment.references, *segment.others.values()] if t.strip()]
        if evidence:
            expected = statistics.median(len(t.strip()) for t in evidence)
            slack, basis = _SLACK_EVIDENCE, f"median of {len(evidence)} references/other outputs"
        else:
            ratio = LENGTH_RATIO.get((segment.src_lang, segment.tgt_lang))
            if ratio is None or len(segment.source.strip()) < 10:
                return []
            expected = ratio * len(segment.source.strip())
            slack, basis = _SLACK, f"typical {segment.src_lang}→{segment.tgt_lang} ratio {ratio}"
        if expected < 20 or len(hyp) < 1:
            return []
        log_ratio = math.log(len(hyp) / expected)
        if abs(log_ratio) <= slack:
            return []
        kind, what = ("omission", "shorter") if log_ratio < 0 else ("over-generation", "longer")
        return [segment.flag(0, len(hyp), "major", kind,
                             f"output is {math.exp(abs(log_ratio)):.1f}× {what} than expected ({basis})",
                             length=len(hyp), expected=round(expected, 1))]
