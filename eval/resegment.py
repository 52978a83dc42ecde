"""Re-segment a document-level hypothesis onto reference segments by minimum edit distance.

The idea of AS-WER / mwerSegmenter (Matusov et al., 2005): split the hypothesis token stream into exactly N
pieces so that the summed edit distance of piece i against reference segment i is minimal. That minimum equals
the Levenshtein distance between the hypothesis and the concatenated references, so one alignment (a DP over
hypothesis tokens × reference tokens) gives the split: piece i ends where the alignment path leaves the end of
reference segment i. Among equally good splits, a split right after sentence-final punctuation is preferred
(a tie-break worth less than one edit in total), and a split inside a sentence pays a fixed number of edits. Tokens are words and punctuation marks, or characters for CJK
targets; pieces are cut from the original text, so the hypothesis keeps its own spelling and spacing.
"""

from __future__ import annotations

import re

import numpy as np

CJK_LANGS = frozenset({"zh", "ja", "ko", "yue", "th"})
_WORD_TOKEN = re.compile(r"\w+|[^\w\s]")
_CHAR_TOKEN = re.compile(r"\S")
_SENTENCE_END = frozenset(".!?。！？…")
_CLOSERS = frozenset("\"'”’)）」』")


def _tokens(text: str, char_level: bool) -> list[tuple[str, int, int]]:
    pattern = _CHAR_TOKEN if char_level else _WORD_TOKEN
    return [(m.group().lower(), m.start(), m.end()) for m in pattern.finditer(text)]


def _split_penalties(
    hyp: list[tuple[str, int, int]], text: str, mid_sentence_cost: float, eps: float
) -> np.ndarray:
    """pen[s]: cost of a segment boundary after s hypothesis tokens.

    0 at a line break, `eps` after sentence-final punctuation (possibly followed by a closing quote or bracket),
    `mid_sentence_cost + eps` inside a sentence.
    """
    m = len(hyp)
    pen = np.full(m + 1, mid_sentence_cost + eps)
    pen[0] = pen[m] = 0.0
    for s in range(1, m):
        tail = hyp[s - 1][0]
        if "\n" in text[hyp[s - 1][2]:hyp[s][1]]:
            pen[s] = 0.0
        elif tail in _SENTENCE_END or (tail in _CLOSERS and s > 1 and hyp[s - 2][0] in _SENTENCE_END):
            pen[s] = eps
    return pen


def resegment(
    hypothesis: str, references: list[str], char_level: bool = False, mid_sentence_cost: float = 4.0
) -> list[str]:
    """Split a document `hypothesis` into len(references) segments aligned to `references`.

    A split inside a hypothesis sentence costs `mid_sentence_cost` edits (the translation's own sentence breaks
    are evidence; 0 gives pure minimum edit distance). Deterministic; every hypothesis token lands in exactly
    one segment, in order (segments may be empty).
    """
    n = len(references)
    if n == 0:
        raise ValueError("resegment needs at least one reference segment")
    hyp = _tokens(hypothesis, char_level)
    ref_tokens: list[str] = []
    seg_end: list[int] = []  # column index (1-based prefix length) where each reference segment ends
    for ref in references:
        ref_tokens.extend(t for t, _, _ in _tokens(ref, char_level))
        seg_end.append(len(ref_tokens))
    m, r = len(hyp), len(ref_tokens)
    if m == 0:
        return [""] * n

    pen = _split_penalties(hyp, hypothesis, mid_sentence_cost, eps=0.5 / (n + 1))
    # boundary[c] is True where column c ends a reference segment and leaving it splits the hypothesis.
    boundary = np.zeros(r + 1, dtype=bool)
    boundary[seg_end[:-1]] = True
    vocab: dict[str, int] = {}
    ref_ids = np.array([vocab.setdefault(t, len(vocab)) for t in ref_tokens], dtype=np.int64)
    hyp_ids = [vocab.get(t, -1) for t, _, _ in hyp]
    cols = np.arange(r + 1, dtype=np.float64)

    def row_costs(prev: np.ndarray | None, j: int) -> np.ndarray:
        """Row j of the DP from row j-1; a move out of a boundary column pays the split penalty."""
        leave_del = np.where(boundary[:-1], pen[j], 0.0)  # deletion leaving column c-1 at split j
        if prev is None:
            x = np.full(r + 1, np.inf)
            x[0] = 0.0
        else:
            sub = (ref_ids != hyp_ids[j - 1]).astype(np.float64)
            leave_diag = np.where(boundary[:-1], pen[j - 1], 0.0)
            x = prev + 1.0  # insertion (an extra hypothesis token)
            x[1:] = np.minimum(x[1:], prev[:-1] + sub + leave_diag)
        # deletions along the row: D[c] = min over c' <= c of x[c'] + (c - c') + P[c] - P[c']
        p = np.concatenate(([0.0], np.cumsum(leave_del)))
        return cols + p + np.minimum.accumulate(x - cols - p)

    dp = np.empty((m + 1, r + 1))
    dp[0] = row_costs(None, 0)
    for j in range(1, m + 1):
        dp[j] = row_costs(dp[j - 1], j)

    # Backtrace from (m, r), recording the split where the path leaves each boundary column.
    splits = [m] * n
    j, c, tol = m, r, 1e-9
    seg = n - 1
    while c > 0:
        while seg > 0 and c <= seg_end[seg - 1]:
            seg -= 1
        left_boundary = boundary[c - 1]
        if j > 0:
            sub = 0.0 if hyp_ids[j - 1] == ref_ids[c - 1] else 1.0
            move = pen[j - 1] if left_boundary else 0.0
            if abs(dp[j, c] - (dp[j - 1, c - 1] + sub + move)) < tol:
                if left_boundary:
                    splits[seg - 1] = j - 1
                j, c = j - 1, c - 1
                continue
            if abs(dp[j, c] - (dp[j - 1, c] + 1.0)) < tol:
                j -= 1
                continue
        if left_boundary:
            splits[seg - 1] = j
        c -= 1
    for k in range(n - 2, -1, -1):  # an empty reference segment never saw its column: close it up
        splits[k] = min(splits[k], splits[k + 1])
    splits[n - 1] = m

    pieces, start = [], 0
    for end in splits:
        if end > start:
            text = hypothesis[hyp[start][1]:hyp[end - 1][2]]
            pieces.append(re.sub(r"\s*\n\s*", " ", text))
        else:
            pieces.append("")
        start = end
    return pieces
