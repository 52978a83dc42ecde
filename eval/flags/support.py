"""Reference-based and consensus spans: output words that the references / the other systems do not support.

Each word gets features of agreement (is its stem, its bigram, its trigram in the references / in the other
systems' outputs, how well the whole segment agrees, how well its neighbours agree); a logistic model gives
P(error) and P(major | error). Runs of words above the threshold become flags. The weights were fitted on the
development half of the WMT21 newstest zh→en MQM spans (every other document) by `benchmarks/fit_support.py`,
which writes `support_weights.json`; README reports the figures on all of the data and on the held-out half.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

import numpy as np

from .base import DETECTORS, Detector, Flag, Segment
from .text import STOPWORDS, stem, stems, words

WORD_FEATURES = ("bias", "ref", "others", "ref_bigram", "others_bigram", "others_trigram", "segment_support",
                 "window_support", "stopword", "capitalised", "digit", "word_length", "length_ratio",
                 "abs_length_ratio", "segment_support_sq", "support_x_segment", "ref_aligned", "others_aligned")
# The neighbours' agreement features are features of a word too (an error is usually a phrase).
CONTEXT = ("ref", "others", "ref_bigram", "others_bigram", "others_trigram", "stopword", "window_support",
           "ref_aligned", "others_aligned")
FEATURES = (*WORD_FEATURES, *(f"prev_{f}" for f in CONTEXT), *(f"next_{f}" for f in CONTEXT))

# With fewer translations to compare against, a word they lack is as likely a paraphrase as an error, and the
# flag stays minor (one reference cannot show that meaning changed).
MAJOR_MIN_TRANSLATIONS = 4
WEIGHTS_FILE = Path(__file__).with_name("support_weights.json")


@lru_cache(maxsize=1)
def weights() -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    """Fitted weights per evidence mode: P(error) and P(major | error) weights, error threshold.

    Written by `benchmarks/fit_support.py` (weights fitted on the development half of the MQM spans).
    """
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    if data["features"] != list(FEATURES):
        raise RuntimeError(f"{WEIGHTS_FILE}: fitted for other features; re-run benchmarks/fit_support.py")
    return {mode: (np.asarray(m["error"]), np.asarray(m["major"]), float(m["threshold"]))
            for mode, m in data["modes"].items()}


def _ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def _mean(values: Sequence[float]) -> float:
    """Mean of a short list (np.mean costs more than the work on lists this small)."""
    return sum(values) / len(values)


def _dice(a: set[str], b: set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _aligned(hyp: list[str], other: list[str]) -> np.ndarray:
    """1 for each hypothesis token inside a longest-common-subsequence block with `other` (order-aware)."""
    out = np.zeros(len(hyp))
    for block in SequenceMatcher(None, hyp, other, autojunk=False).get_matching_blocks():
        out[block.a:block.a + block.size] = 1.0
    return out


def word_features(segment: Segment, use_refs: bool, use_others: bool) -> tuple[list[tuple[int, int, str]], np.ndarray]:
    """The words of the hypothesis and their feature matrix (one row per word, columns `FEATURES`)."""
    ws = words(segment.hypothesis)
    st = [stem(w) for _, _, w in ws]
    refs = [[stem(w) for _, _, w in words(r)] for r in segment.references] if use_refs else []
    oth = [[stem(w) for _, _, w in words(o)] for o in segment.others.values()] if use_others else []
    n = len(ws)
    x = np.zeros((n, len(WORD_FEATURES)))
    if not n:
        return ws, np.zeros((0, len(FEATURES)))
    ref_sets = [set(r) for r in refs]
    oth_sets = [set(o) for o in oth]
    pool = ref_sets or oth_sets
    # Other systems weighted by how well they agree with the references (else with each other).
    quality = np.array([_mean([_dice(o, p) for p in pool if p is not o] or [0.0]) for o in oth_sets])
    quality = quality / quality.sum() if len(quality) and quality.sum() > 0 else quality
    left = [None] + [(st[i - 1], st[i]) for i in range(1, n)]
    right = [(st[i], st[i + 1]) for i in range(n - 1)] + [None]
    tri = [tuple(st[max(0, i - 1):i + 2]) for i in range(n)]
    x[:, 0] = 1.0
    if refs:
        ref_bi = [_ngrams(r, 2) for r in refs]
        x[:, 1] = [_mean([s in r for r in ref_sets]) for s in st]
        x[:, 3] = [max(_mean([b in rb for rb in ref_bi]) if b else 0.0 for b in (left[i], right[i]))
                   for i in range(n)]
        x[:, 16] = np.mean([_aligned(st, r) for r in refs], axis=0)
    if oth:
        oth_bi = [_ngrams(o, 2) for o in oth]
        oth_tri = [_ngrams(o, 2) | _ngrams(o, 3) for o in oth]
        x[:, 2] = [float(np.dot(quality, [s in o for o in oth_sets])) for s in st]
        x[:, 4] = [max(_mean([b in ob for ob in oth_bi]) if b else 0.0 for b in (left[i], right[i]))
                   for i in range(n)]
        x[:, 5] = [_mean([t in ot for ot in oth_tri]) for t in tri]
        x[:, 17] = np.dot(quality if quality.sum() > 0 else np.full(len(oth), 1 / len(oth)),
                          np.array([_aligned(st, o) for o in oth]))
    x[:, 8] = [w.lower() in STOPWORDS for _, _, w in ws]
    x[:, 9] = [i > 0 and w[:1].isupper() for i, (_, _, w) in enumerate(ws)]
    x[:, 10] = [any(c.isdigit() for c in w) for _, _, w in ws]
    x[:, 11] = [min(len(w), 12) / 12 for _, _, w in ws]
    sources = int(bool(refs)) + int(bool(oth))
    support = (x[:, 1] + x[:, 2]) / max(1, sources)
    content = x[:, 8] == 0
    seg_support = float(support[content].mean()) if content.any() else 1.0
    x[:, 6] = seg_support
    kernel = np.ones(5) / 5
    x[:, 7] = np.convolve(np.pad(support, 2, mode="edge"), kernel, mode="valid")
    lengths = [len(t) for t in ([*segment.references] if refs else []) + (list(segment.others.values()) if oth else [])]
    ratio = np.log(len(segment.hypothesis) / np.mean(lengths)) if lengths else 0.0
    x[:, 12] = ratio
    x[:, 13] = abs(ratio)
    x[:, 14] = seg_support ** 2
    x[:, 15] = support * seg_support
    cols = [WORD_FEATURES.index(f) for f in CONTEXT]
    pad = np.zeros((1, len(cols)))
    return ws, np.hstack([x, np.vstack([pad, x[:-1, cols]]), np.vstack([x[1:, cols], pad])])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def spans(words_: Sequence[tuple[int, int, str]], p_err: np.ndarray, p_major: np.ndarray, threshold: float,
          allow_major: bool = True, gap: int = 1) -> list[tuple[int, int, int, int, str]]:
    """Runs of words with P(error) > threshold, bridging up to `gap` words: (first, last, start, end, severity).

    A run is major when majors are allowed and the model finds a major error likelier than a minor one
    (mean P(major | error) > 0.5); otherwise minor.
    """
    bad = p_err > threshold
    out = []
    i = 0
    while i < len(words_):
        if not bad[i]:
            i += 1
            continue
        j = i
        while True:
            nxt = [k for k in range(j + 1, min(len(words_), j + 2 + gap)) if bad[k]]
            if not nxt:
                break
            j = nxt[0]
        major = allow_major and float(p_major[i:j + 1].mean()) > 0.5
        out.append((i, j, words_[i][0], words_[j][1], "major" if major else "minor"))
        i = j + 1
    return out


def allow_major(segment: Segment, use_refs: bool, use_others: bool) -> bool:
    """Majors need `MAJOR_MIN_TRANSLATIONS` independent translations (references + other systems) as evidence."""
    count = (len(segment.references) if use_refs else 0) + (len(segment.others) if use_others else 0)
    return count >= MAJOR_MIN_TRANSLATIONS


class Support(Detector):
    """Shared scorer: `evidence` picks what the words are compared with, and so the fitted weights."""

    def evidence(self, segment: Segment) -> tuple[bool, bool]:
        raise NotImplementedError

    def detect(self, segment: Segment) -> list[Flag]:
        use_refs, use_others = self.evidence(segment)
        mode = "reference+consensus" if use_refs and use_others else ("reference" if use_refs else "consensus")
        w_err, w_major, threshold = weights()[mode]
        ws, x = word_features(segment, use_refs, use_others)
        if not ws:
            return []
        p_err = _sigmoid(x @ w_err)
        p_major = _sigmoid(x @ w_major)
        other_stems = [stems(o) for o in segment.others.values()] if use_others else []
        flags = []
        majors = allow_major(segment, use_refs, use_others)
        for first, last, start, end, severity in spans(ws, p_err, p_major, threshold, majors):
            run = range(first, last + 1)
            evidence: dict = {"p_error": round(float(p_err[first:last + 1].max()), 3), "mode": mode}
            if use_refs:
                evidence["reference_supported"] = [ws[k][2] for k in run if x[k, 1] > 0]
            if use_others:
                evidence["others_supporting"] = {ws[k][2]: sum(stem(ws[k][2]) in o for o in other_stems) for k in run}
                evidence["others"] = len(segment.others)
            what = {"reference": "the reference", "consensus": "the other systems",
                    "reference+consensus": "the references or the other systems"}[mode]
            flags.append(segment.flag(start, end, severity, "unsupported" if use_refs else "no-consensus",
                                      f"not supported by {what}", **evidence))
        return flags


@DETECTORS.register("reference")
class ReferenceSupport(Support):
    """Output words the reference(s) do not support (when the `consensus` detector runs too and other systems are
    available, it scores with both and this detector stands down)."""

    name = "reference"
    needs = ("references",)
    description = "words not supported by the reference(s)"
    consensus_active = False

    def applies(self, segment: Segment) -> bool:
        return bool(segment.references) and not (segment.others and self.consensus_active)

    def evidence(self, segment: Segment) -> tuple[bool, bool]:
        return True, False


@DETECTORS.register("consensus")
class ConsensusSupport(Support):
    """Output words no other system's output supports (MBR-style agreement), with the references when given."""

    name = "consensus"
    needs = ("others",)
    description = "words the other systems do not support (uses the references too when present)"

    def evidence(self, segment: Segment) -> tuple[bool, bool]:
        return bool(segment.references), True
