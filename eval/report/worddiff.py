"""Word-level diff of a hypothesis against a reference (whitespace tokens, difflib alignment)."""

from __future__ import annotations

import difflib


def word_diff(reference: str, hypothesis: str) -> list[tuple[str, str]]:
    """`[(op, words)]` with op `=` (in both), `-` (reference only) or `+` (hypothesis only), in reading order."""
    ref, hyp = reference.split(), hypothesis.split()
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ref, hyp, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("=", " ".join(ref[i1:i2])))
            continue
        if i2 > i1:
            out.append(("-", " ".join(ref[i1:i2])))
        if j2 > j1:
            out.append(("+", " ".join(hyp[j1:j2])))
    return out
