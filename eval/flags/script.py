"""Untranslated text: source-script (Han) characters in a non-CJK output, and the source copied as output."""

from __future__ import annotations

import re

from .base import DETECTORS, Detector, Flag, Segment
from .text import HAN_RE

CJK_LANGS = frozenset({"zh", "ja", "ko"})
_SPACE_PUNCT_RE = re.compile(r"[\W_]+")


@DETECTORS.register("untranslated")
class Untranslated(Detector):
    """Han characters left in a non-CJK translation (major: the reader cannot understand them)."""

    name = "untranslated"
    kinds = ("untranslated",)
    description = "source-script (Han) text in the output"

    def applies(self, segment: Segment) -> bool:
        return segment.tgt_lang not in CJK_LANGS

    def detect(self, segment: Segment) -> list[Flag]:
        hyp = segment.hypothesis
        flags = []
        for m in HAN_RE.finditer(hyp):
            in_source = m.group() in segment.source
            flags.append(segment.flag(m.start(), m.end(), "major", "untranslated",
                                      f"untranslated source-script text {m.group()!r}", in_source=in_source))
        return flags


@DETECTORS.register("source-copy")
class SourceCopy(Detector):
    """The output is (nearly) the source itself (major: nothing was translated)."""

    name = "source-copy"
    kinds = ("source-copy",)
    description = "source copied into the output"

    def applies(self, segment: Segment) -> bool:
        return segment.src_lang != segment.tgt_lang

    def detect(self, segment: Segment) -> list[Flag]:
        hyp = _SPACE_PUNCT_RE.sub("", segment.hypothesis).lower()
        src = _SPACE_PUNCT_RE.sub("", segment.source).lower()
        if not hyp or not src or len(hyp) < 2:
            return []
        copied = hyp == src or (len(hyp) >= 8 and (hyp in src or src in hyp) and
                                min(len(hyp), len(src)) / max(len(hyp), len(src)) >= 0.8)
        if not copied:
            return []
        return [segment.flag(0, len(segment.hypothesis), "major", "source-copy",
                             "the output copies the source instead of translating it")]
