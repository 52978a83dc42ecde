"""Re-segment a document-level hypothesis onto reference segments by minimum edit distance.

The idea of AS-WER / mwerSegmenter (Matusov et al., 2005): split the hypothesis token stream into exactly N
pieces so that the summed edit distance of piece i against reference segment i is minimal. One Levenshtein
alignment of the hypothesis against the concatenated references gives the split if the reference stream carries
a "split" column between consecutive segments: reaching it without consuming a reference token places the split
at the current hypothesis position, and hypothesis tokens inserted while in it belong to the next segment.
A split inside a hypothesis sentence costs `mid_sentence_cost` edits; among equally good splits, one right after
sentence-final punctuation (or at a line break) is preferred. Tokens are words and punctuation marks, or
characters for CJK targets; pieces are cut from the original text, so the hypothesis keeps its spelling and spacing.
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import CorpusError
from ..lang import base_lang

CJK_LANGS = frozenset({"zh", "ja", "ko", "yue", "th"})  # targets re-segmented character by character
_WORD_TOKEN = re.compile(r"\w+|[^\w\s]")
_CHAR_TOKEN = re.compile(r"\S")
_SENTENCE_END = frozenset(".!?。！？…")
_CLOSERS = frozenset("\"'”’)）」』")


def is_char_level(lang: str) -> bool:
    """Whether a target language is re-segmented by characters ('zh', 'zh-Hans', 'zho_Hans', 'ja', 'th', ...)."""
    return base_lang(lang) in CJK_LANGS


def _tokens(text: str, char_level: bool) -> list[tuple[str, int, int]]:
    pattern = _CHAR_TOKEN if char_level else _WORD_TOKEN
    return [(m.group().lower(), m.start(), m.end()) for m in pattern.finditer(text)]


def _split_penalties(hyp: list[tuple[str, int, int]], text: str, mid_sentence: int) -> np.ndarray:
    """pen[s]: cost of a segment boundary after s hypothesis tokens (in the DP's integer cost units).

    0 at either end and at a line break, 1 (a tie-break) after sentence-final punctuation (possibly followed by a
    closing quote or bracket), `mid_sentence` inside a sentence.
    """
    m = len(hyp)
    pen = np.full(m + 1, mid_sentence, dtype=np.int64)
    pen[0] = pen[m] = 0
    for s in range(1, m):
        tail = hyp[s - 1][0]
        if "\n" in text[hyp[s - 1][2]:hyp[s][1]]:
            pen[s] = 0
        elif tail in _SENTENCE_END or (tail in _CLOSERS and s > 1 and hyp[s - 2][0] in _SENTENCE_END):
            pen[s] = 1
    return pen


MAX_CELLS = 1_500_000_000  # one byte of backtrace per cell: hypothesis tokens × (reference tokens + segments)
_DIAG, _INS, _HORIZ = 0, 1, 2


def resegment(
    hypothesis: str, references: list[str], char_level: bool = False, mid_sentence_cost: float = 4.0
) -> list[str]:
    """Split a document `hypothesis` into len(references) segments aligned to `references`.

    A split inside a hypothesis sentence costs `mid_sentence_cost` edits (the translation's own sentence breaks
    are evidence; 0 gives pure minimum edit distance). Deterministic; every hypothesis token lands in exactly
    one segment, in order (segments may be empty). Raises `CorpusError` when the document is too long to align
    in one piece.
    """
    n = len(references)
    if n == 0:
        raise ValueError("resegment needs at least one reference segment")
    hyp = _tokens(hypothesis, char_level)
    m = len(hyp)
    if m == 0:
        return [""] * n

    # Integer costs, so that ties are exact: an edit costs `unit`, the sentence-end tie-break 1; all n - 1
    # tie-breaks together stay below one edit.
    unit = 2 * n
    pen = _split_penalties(hyp, hypothesis, round(mid_sentence_cost * unit) + 1)
    # The reference stream with a split column (-2) between consecutive segments.
    vocab: dict[str, int] = {}
    columns: list[int] = []
    for k, ref in enumerate(references):
        if k:
            columns.append(-2)
        columns.extend(vocab.setdefault(t, len(vocab)) for t, _, _ in _tokens(ref, char_level))
    ref_ids = np.array(columns, dtype=np.int64)
    width = len(columns) + 1
    if m * width > MAX_CELLS:
        raise CorpusError(f"document too long to re-segment in one piece ({m} hypothesis tokens × {width - 1} "
                          f"reference tokens); split it into documents")
    is_split = np.concatenate(([False], ref_ids == -2))  # column c is a split column
    hyp_ids = np.array([vocab.get(t, -1) for t, _, _ in hyp], dtype=np.int64)
    big = np.int64(1) << 60

    def relax(x: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Best cost per column after moving right along row j (deleting reference tokens, or entering a split
        column at cost pen[j]); also whether each column is best reached that way. On a tie a split column is
        entered as late as possible: a hypothesis fragment that fits two segments equally joins the earlier one."""
        step = np.where(is_split, pen[j], unit)
        step[0] = 0
        p = np.cumsum(step)
        d = p + np.minimum.accumulate(x - p)
        via = np.full(width, big)
        via[1:] = d[:-1] + step[1:]  # d[c] = min(x[c], d[c - 1] + step[c])
        return d, (via < x) | (is_split & (via == x))

    back = np.empty((m + 1, width), dtype=np.int8)
    x = np.full(width, big)
    x[0] = 0
    row, horiz = relax(x, 0)
    back[0] = np.where(horiz, _HORIZ, _INS)
    for j in range(1, m + 1):
        ins = row + unit
        diag = np.full(width, big)
        diag[1:] = row[:-1] + np.where(ref_ids == hyp_ids[j - 1], 0, unit)
        diag[is_split] = big
        take_diag = diag <= ins
        row, horiz = relax(np.where(take_diag, diag, ins), j)
        back[j] = np.where(horiz, _HORIZ, np.where(take_diag, _DIAG, _INS))

    # Backtrace from (m, last column): a horizontal move into a split column places that split at row j.
    splits: list[int] = []
    j, c = m, width - 1
    while c > 0 or j > 0:
        move = back[j, c]
        if move == _HORIZ:
            if is_split[c]:
                splits.append(j)
            c -= 1
        elif move == _DIAG:
            j, c = j - 1, c - 1
        else:
            j -= 1
    ends = splits[::-1] + [m]

    pieces, start = [], 0
    for end in ends:
        if end > start:
            text = hypothesis[hyp[start][1]:hyp[end - 1][2]]
            pieces.append(re.sub(r"\s*\n\s*", " ", text))
        else:
            pieces.append("")
        start = end
    return pieces
