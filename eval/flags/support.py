"""Likely mistranslations: output words that nothing supports — the source (by dictionary), the references, the
other systems — scored by a learned combination of word-level evidence.

Each output word gets evidence features: does it render a source word (CC-CEDICT alignment, `lexicon.py`), how much
of the source the output renders, the output/source length ratio, and when available whether its lemma, its
bigram, its trigram are in the references / in the other systems' outputs and how well the whole segment agrees
with them. A logistic model per evidence mode gives P(error) and P(major | error); runs of words above the
mode's threshold become flags; a flag's `confidence` is the probability that an expert marks an error on its span,
calibrated from the run's highest P(error) (Platt scaling on the development half). The weights were fitted on the
development half of the WMT21 newstest zh→en MQM spans (`eval.flags.mqm.dev_split`) by `benchmarks/fit_flags.py`,
which writes `flag_weights.json`.

Evidence agrees with the label: a word whose lemma a reference contains, or that most other systems wrote, is
never flagged, nor without them one that renders a source word by dictionary; a flag is major only when its confidence is at least 0.5.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

import numpy as np

from .base import DETECTORS, Detector, Flag, Segment
from .lexicon import align
from .text import STOPWORDS, lemma, words

WORD_FEATURES = ("bias", "ref", "others", "ref_bigram", "others_bigram", "others_trigram", "segment_support",
                 "window_support", "stopword", "capitalised", "digit", "word_length", "length_ratio",
                 "abs_length_ratio", "segment_support_sq", "support_x_segment", "ref_aligned", "others_aligned",
                 "source", "source_window", "source_coverage", "source_length_ratio", "abs_source_length_ratio",
                 "segment_source_support")
# The neighbours' features are features of a word too (an error is usually a phrase).
CONTEXT = ("ref", "others", "ref_bigram", "others_bigram", "others_trigram", "stopword", "window_support",
           "ref_aligned", "others_aligned", "source")
FEATURES = (*WORD_FEATURES, *(f"prev_{f}" for f in CONTEXT), *(f"next_{f}" for f in CONTEXT))
COLUMN = {f: i for i, f in enumerate(WORD_FEATURES)}
MODES = ("reference-free", "reference", "consensus", "reference+consensus")
# Fewer other systems than this are no consensus (one weak system's wording is not evidence).
MIN_OTHERS = 3
# Typical English characters per Chinese character (median of human references), for the source length ratio.
CHARS_PER_SOURCE_CHAR = {("zh", "en"): 3.1}
WEIGHTS_FILE = Path(__file__).with_name("flag_weights.json")


@lru_cache(maxsize=1)
def weights() -> dict[str, dict]:
    """Fitted weights per evidence mode: `error`, `major` (P(major | error)) weights, `threshold` for a flag,
    `platt` (a, b: confidence = sigmoid(a·logit(P(error)) + b)) and `major_threshold` on P(major | error).
    Written by `benchmarks/fit_flags.py`."""
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    if data["features"] != list(FEATURES):
        raise RuntimeError(f"{WEIGHTS_FILE}: fitted for other features; re-run benchmarks/fit_flags.py")
    return {mode: {**m, "error": np.asarray(m["error"]), "major": np.asarray(m["major"])}
            for mode, m in data["modes"].items()}


def mode_of(segment: Segment) -> str:
    refs, others = bool(segment.references), len(segment.others) >= MIN_OTHERS
    return {(False, False): "reference-free", (True, False): "reference", (False, True): "consensus",
            (True, True): "reference+consensus"}[(refs, others)]


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


def word_features(segment: Segment, mode: str) -> tuple[list[tuple[int, int, str]], np.ndarray]:
    """The words of the hypothesis and their feature matrix (one row per word, columns `FEATURES`)."""
    use_refs, use_others = mode in ("reference", "reference+consensus"), mode in ("consensus", "reference+consensus")
    alignment = align(segment.source, segment.hypothesis) if segment.src_lang == "zh" else None
    ws = words(segment.hypothesis)
    st = [lemma(w) for _, _, w in ws]
    refs = [[lemma(w) for _, _, w in words(r)] for r in segment.references] if use_refs else []
    oth = [[lemma(w) for _, _, w in words(o)] for o in segment.others.values()] if use_others else []
    n = len(ws)
    x = np.zeros((n, len(WORD_FEATURES)))
    if not n:
        return ws, np.zeros((0, len(FEATURES)))
    c = COLUMN
    x[:, c["bias"]] = 1.0
    x[:, c["stopword"]] = [s in STOPWORDS for s in st]
    x[:, c["capitalised"]] = [i > 0 and w[:1].isupper() for i, (_, _, w) in enumerate(ws)]
    x[:, c["digit"]] = [any(ch.isdigit() for ch in w) for _, _, w in ws]
    x[:, c["word_length"]] = [min(len(w), 12) / 12 for _, _, w in ws]
    if alignment is not None:
        src = np.array([j >= 0 for j in alignment.hyp_to_src], float)
        x[:, c["source"]] = src
        x[:, c["source_window"]] = np.convolve(np.pad(src, 2, mode="edge"), np.ones(5) / 5, mode="valid")
        content = [k for k, sw in enumerate(alignment.src_words) if sw.is_content]
        x[:, c["source_coverage"]] = _mean([alignment.rendered[k] for k in content]) if content else 1.0
        hyp_content = x[:, c["stopword"]] == 0
        x[:, c["segment_source_support"]] = float(src[hyp_content].mean()) if hyp_content.any() else 1.0
    per_char = CHARS_PER_SOURCE_CHAR.get((segment.src_lang, segment.tgt_lang))
    if per_char and segment.source.strip():
        ratio = np.log(len(segment.hypothesis) / (per_char * len(segment.source.strip())))
        x[:, c["source_length_ratio"]], x[:, c["abs_source_length_ratio"]] = ratio, abs(ratio)
    if refs or oth:
        _agreement(x, st, refs, oth, segment)
    cols = [COLUMN[f] for f in CONTEXT]
    pad = np.zeros((1, len(cols)))
    return ws, np.hstack([x, np.vstack([pad, x[:-1, cols]]), np.vstack([x[1:, cols], pad])])


def _agreement(x: np.ndarray, st: list[str], refs: list[list[str]], oth: list[list[str]], segment: Segment) -> None:
    """Fill the reference / other-system agreement columns of `x` (lemmas `st` of the hypothesis words)."""
    c, n = COLUMN, len(st)
    ref_sets = [set(r) for r in refs]
    oth_sets = [set(o) for o in oth]
    pool = ref_sets or oth_sets
    # Other systems weighted by how well they agree with the references (else with each other).
    quality = np.array([_mean([_dice(o, p) for p in pool if p is not o] or [0.0]) for o in oth_sets])
    quality = quality / quality.sum() if len(quality) and quality.sum() > 0 else np.full(len(oth), 1 / max(1, len(oth)))
    left = [None] + [(st[i - 1], st[i]) for i in range(1, n)]
    right = [(st[i], st[i + 1]) for i in range(n - 1)] + [None]
    tri = [tuple(st[max(0, i - 1):i + 2]) for i in range(n)]
    if refs:
        ref_bi = [_ngrams(r, 2) for r in refs]
        x[:, c["ref"]] = [_mean([s in r for r in ref_sets]) for s in st]
        x[:, c["ref_bigram"]] = [max(_mean([b in rb for rb in ref_bi]) if b else 0.0 for b in (left[i], right[i]))
                                 for i in range(n)]
        x[:, c["ref_aligned"]] = np.mean([_aligned(st, r) for r in refs], axis=0)
    if oth:
        oth_bi = [_ngrams(o, 2) for o in oth]
        oth_tri = [_ngrams(o, 2) | _ngrams(o, 3) for o in oth]
        x[:, c["others"]] = [float(np.dot(quality, [s in o for o in oth_sets])) for s in st]
        x[:, c["others_bigram"]] = [max(_mean([b in ob for ob in oth_bi]) if b else 0.0 for b in (left[i], right[i]))
                                    for i in range(n)]
        x[:, c["others_trigram"]] = [_mean([t in ot for ot in oth_tri]) for t in tri]
        x[:, c["others_aligned"]] = np.dot(quality, np.array([_aligned(st, o) for o in oth]))
    support = (x[:, c["ref"]] + x[:, c["others"]]) / (bool(refs) + bool(oth))
    content = x[:, c["stopword"]] == 0
    seg_support = float(support[content].mean()) if content.any() else 1.0
    x[:, c["segment_support"]] = seg_support
    x[:, c["window_support"]] = np.convolve(np.pad(support, 2, mode="edge"), np.ones(5) / 5, mode="valid")
    lengths = [len(t) for t in ([*segment.references] if refs else []) + (list(segment.others.values()) if oth else [])]
    ratio = np.log(len(segment.hypothesis) / np.mean(lengths))
    x[:, c["length_ratio"]], x[:, c["abs_length_ratio"]] = ratio, abs(ratio)
    x[:, c["segment_support_sq"]] = seg_support ** 2
    x[:, c["support_x_segment"]] = support * seg_support


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def span_confidence(p_error: float, platt: Sequence[float]) -> float:
    """Calibrated probability that an expert marks an error on a span whose highest word P(error) is `p_error`."""
    p = min(max(p_error, 1e-6), 1 - 1e-6)
    return float(_sigmoid(platt[0] * np.log(p / (1 - p)) + platt[1]))


def contradicted(segment: Segment, mode: str, ws: Sequence[tuple[int, int, str]], x: np.ndarray) -> np.ndarray:
    """True for each word the evidence supports: its lemma is in a reference, or most other systems wrote it;
    without either, it renders a source word by dictionary (`x`: the words' features)."""
    out = x[:, COLUMN["source"]] > 0 if mode == "reference-free" else np.zeros(len(ws), bool)
    st = [lemma(w) for _, _, w in ws]
    if mode in ("reference", "reference+consensus"):
        ref = set().union(*(({lemma(w) for _, _, w in words(r)}) for r in segment.references))
        out |= np.array([s in ref for s in st], bool)
    if mode in ("consensus", "reference+consensus"):
        others = [{lemma(w) for _, _, w in words(o)} for o in segment.others.values()]
        out |= np.array([2 * sum(s in o for o in others) > len(others) for s in st], bool)
    return out


def spans(words_: Sequence[tuple[int, int, str]], p_err: np.ndarray, threshold: float, gap: int = 1,
          blocked: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Runs of words with P(error) > threshold, bridging up to `gap` words, trimmed of function words:
    (first, last) word indices. `blocked` words never join a run."""
    bad = p_err > threshold
    if blocked is not None:
        bad &= ~blocked
    out = []
    i = 0
    while i < len(words_):
        if not bad[i]:
            i += 1
            continue
        j = i
        while True:
            nxt = [k for k in range(j + 1, min(len(words_), j + 2 + gap))
                   if bad[k] and (blocked is None or not blocked[j + 1:k].any())]
            if not nxt:
                break
            j = nxt[0]
        first, last = i, j
        while first < last and words_[first][2].lower() in STOPWORDS:
            first += 1
        while last > first and words_[last][2].lower() in STOPWORDS:
            last -= 1
        if words_[first][2].lower() not in STOPWORDS:
            out.append((first, last))
        i = j + 1
    return out


def _what(mode: str) -> str:
    return {"reference-free": "no source word translates as this",
            "reference": "the reference has none of these words",
            "consensus": "most other systems wrote none of these words",
            "reference+consensus": "neither the reference nor most other systems have these words"
            }[mode]


@DETECTORS.register("mistranslation")
class Mistranslation(Detector):
    """Words no evidence supports (source by dictionary, references, other systems), by a learned model; major when
    P(major | error) passes the threshold calibrated on MQM volumes and the confidence is at least 0.5."""

    name = "mistranslation"
    kinds = ("mistranslation",)
    description = "words nothing supports: the source by dictionary, the references, the other systems (learned)"

    def detect(self, segment: Segment) -> list[Flag]:
        mode = mode_of(segment)
        w = weights()[mode]
        ws, x = word_features(segment, mode)
        if not ws:
            return []
        p_err, p_major = _sigmoid(x @ w["error"]), _sigmoid(x @ w["major"])
        supported = contradicted(segment, mode, ws, x)
        flags = []
        for first, last in spans(ws, p_err, w["threshold"], blocked=supported):
            run = slice(first, last + 1)
            confidence = span_confidence(float(p_err[run].max()), w["platt"])
            pm = float(p_major[run].mean())
            major = confidence >= 0.5 and pm > w["major_threshold"]
            evidence = {"mode": mode, "p_error_word": round(float(p_err[run].max()), 3), "p_major": round(pm, 3)}
            flags.append(segment.flag(ws[first][0], ws[last][1], "major" if major else "minor", "mistranslation",
                                      f"likely mistranslation: {_what(mode)}", confidence=confidence, **evidence))
        return flags
