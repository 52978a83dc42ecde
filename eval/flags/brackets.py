"""Unbalanced quotes and brackets in the output where the source's are balanced."""

from __future__ import annotations

from .base import DETECTORS, Detector, Flag, Segment

# Opening → closing; source marks are mapped onto these ASCII/typographic pairs.
PAIRS = {"(": ")", "[": "]", "{": "}", "“": "”", "‘": "’"}
_FOLD = str.maketrans({"（": "(", "）": ")", "【": "[", "】": "]", "〔": "[", "〕": "]", "「": "“", "」": "”",
                       "『": "“", "』": "”", "《": "“", "》": "”"})
_CLOSERS = {v: k for k, v in PAIRS.items()}


def unmatched(text: str) -> list[int]:
    """Offsets of brackets/quotes without a partner (straight double quotes: an odd last one)."""
    stack: list[tuple[str, int]] = []
    bad: list[int] = []
    for i, c in enumerate(text):
        if c in PAIRS:
            stack.append((c, i))
        elif c in _CLOSERS:
            if c == "’" and i > 0 and text[i - 1].isalpha():
                continue  # apostrophe (China’s)
            if stack and stack[-1][0] == _CLOSERS[c]:
                stack.pop()
            else:
                bad.append(i)
    bad.extend(i for c, i in stack if c != "‘")
    straight = [i for i, c in enumerate(text) if c == '"']
    if len(straight) % 2:
        bad.append(straight[-1])
    return sorted(bad)


@DETECTORS.register("brackets")
class Brackets(Detector):
    """A bracket or quote with no partner when the source's marks are balanced (minor: the text is damaged)."""

    name = "brackets"
    kinds = ("brackets",)
    description = "unbalanced quotes and brackets relative to the source"

    def detect(self, segment: Segment) -> list[Flag]:
        hyp = segment.hypothesis
        if not any(c in hyp for c in '()[]{}“”‘"'):
            return []
        if unmatched(segment.source.translate(_FOLD)):
            return []
        return [segment.flag(i, i + 1, "minor", "brackets", f"unbalanced {hyp[i]!r} (the source's marks are balanced)")
                for i in unmatched(hyp)]
