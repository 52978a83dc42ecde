"""Likely mistranslations: phrases of output words that nothing supports — the source (by dictionary), the
references, the other systems — found by a learned combination of word-level evidence.

Each output word gets evidence features: does it render a source word (CC-CEDICT alignment, `lexicon.py`), how much
of the source the output renders, the output/source length ratio, and when available whether its lemma, its
bigram, its trigram are in the references / in the other systems' outputs and how well the whole segment agrees
with them. A logistic model per evidence mode gives each word P(error) and P(major | error). Runs of words above
the mode's threshold, bridging up to `gap` words, are candidate phrases; a span model gives each its `confidence`
(the probability that an expert marks an error overlapping it) and P(major | error). The weights were fitted on the
development half of the WMT21 newstest zh→en MQM spans (`eval.flags.mqm.dev_split`) by `benchmarks/fit_flags.py`,
which writes `flag_weights.json`.

Evidence agrees with the label: a phrase is flagged only when it holds a content word its evidence does not
support — no reference has its lemma, at most half of the other systems wrote it, or (with neither) it renders no
source word — and the flag names those words (`evidence.unsupported`, the message); the phrase's other words are
context. A flag is major only when its confidence is at least 0.5. A candidate below the mode's fitted minimum
confidence is not flagged at all: with references, the candidates an expert is more likely not to mark add flags
but no character F1 (`fit_flags.py` keeps the highest floor that costs at most 1% of development F1)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from cydifflib import SequenceMatcher  # difflib's algorithm, compiled: the same blocks, 3× faster

from .base import DETECTORS, Detector, Flag, Segment
from .lexicon import align, prepare_sources
from .text import STOPWORDS, lemma_tokens, lemmas, supported_by, words

WORD_FEATURES = ("bias", "ref", "others", "ref_bigram", "others_bigram", "others_trigram", "segment_support",
                 "window_support", "stopword", "capitalised", "digit", "word_length", "length_ratio",
                 "abs_length_ratio", "segment_support_sq", "support_x_segment", "ref_aligned", "source",
                 "source_window", "source_coverage", "source_length_ratio", "abs_source_length_ratio",
                 "segment_source_support")
# The neighbours' features are features of a word too (an error is usually a phrase).
CONTEXT = ("ref", "others", "ref_bigram", "others_bigram", "others_trigram", "stopword", "window_support",
           "ref_aligned", "source")
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
    """Fitted weights per evidence mode: word-level `error` and `major` (P(major | error)) weights over `FEATURES`,
    the word `threshold` and bridging `gap` of a candidate phrase, span-level `confidence` and `severity` weights over
    `SPAN_FEATURES` (severity: plus the logit of the words' mean P(major | error)), `major_threshold` on the span's
    P(major | error) and `min_confidence`, the confidence below which a candidate is not flagged. Written by
    `benchmarks/fit_flags.py`."""
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    if data["features"] != list(FEATURES):
        raise RuntimeError(f"{WEIGHTS_FILE}: fitted for other features; re-run benchmarks/fit_flags.py")
    if data.get("span_features") != list(SPAN_FEATURES):
        raise RuntimeError(f"{WEIGHTS_FILE}: fitted for other span features; re-run benchmarks/fit_flags.py")
    return {mode: {**m, **{k: np.asarray(m[k]) for k in ("error", "major", "confidence", "severity")}}
            for mode, m in data["modes"].items()}


def mode_of(segment: Segment) -> str:
    refs, others = bool(segment.references), len(segment.others) >= MIN_OTHERS
    return {(False, False): "reference-free", (True, False): "reference", (False, True): "consensus",
            (True, True): "reference+consensus"}[(refs, others)]


def _ngrams(tokens: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


@lru_cache(maxsize=65536)
def _ngram_sets(text: str) -> tuple[frozenset, frozenset]:
    """The lemma bigrams of `text`, and its bigrams and trigrams (cached: each output is evidence for every other
    system)."""
    tokens = lemma_tokens(text)
    bigrams = frozenset(_ngrams(tokens, 2))
    return bigrams, bigrams | frozenset(_ngrams(tokens, 3))


def _mean(values: Sequence[float]) -> float:
    """Mean of a short list (np.mean costs more than the work on lists this small)."""
    return sum(values) / len(values)


def supported_matrix(tokens: Sequence[str], vocabularies: Sequence[frozenset[str]]) -> np.ndarray:
    """`supported_by(token, vocabulary)` for every token (rows) and vocabulary (columns), as booleans (set
    membership first; only hyphenated compounds need the parts)."""
    m = np.array([[t in v for t in tokens] for v in vocabularies], bool).T.reshape(len(tokens), len(vocabularies))
    for i, t in enumerate(tokens):
        if "-" in t:
            m[i] = [supported_by(t, v) for v in vocabularies]
    return m


_WINDOW = np.ones(5) / 5


def _window(v: np.ndarray) -> np.ndarray:
    """Mean of each value and its two neighbours either side (the ends repeated)."""
    return np.convolve(np.concatenate((v[:1], v[:1], v, v[-1:], v[-1:])), _WINDOW, mode="valid")


def _dice(a: set[str], b: set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


@lru_cache(maxsize=4096)
def _matcher(text: str) -> SequenceMatcher:
    """A difflib matcher whose second sequence is the lemma tokens of `text` (a reference: indexed once for every
    system's output)."""
    return SequenceMatcher(None, (), list(lemma_tokens(text)), autojunk=False)


def _aligned(hyp: Sequence[str], reference: str) -> list[int]:
    """1 for each hypothesis token inside a matching block with the lemma tokens of `reference` (order-aware)."""
    out = [0] * len(hyp)
    matcher = _matcher(reference)
    matcher.set_seq1(hyp)
    for block in matcher.get_matching_blocks():
        out[block.a:block.a + block.size] = [1] * block.size
    return out


def word_features(segment: Segment, mode: str) -> tuple[Sequence[tuple[int, int, str]], np.ndarray]:
    """The words of the hypothesis and their feature matrix (one row per word, columns `FEATURES`)."""
    use_refs, use_others = mode in ("reference", "reference+consensus"), mode in ("consensus", "reference+consensus")
    alignment = align(segment.source, segment.hypothesis) if segment.src_lang == "zh" else None
    ws = words(segment.hypothesis)
    st = list(lemma_tokens(segment.hypothesis))
    refs = list(segment.references) if use_refs else []
    oth = list(segment.others.values()) if use_others else []
    n = len(ws)
    x = np.zeros((n, len(WORD_FEATURES)))
    if not n:
        return ws, np.zeros((0, len(FEATURES)))
    c = COLUMN
    x[:, c["bias"]] = 1.0
    x[:, c["stopword"]] = [s in STOPWORDS for s in st]
    x[:, c["capitalised"]] = [i > 0 and w[:1].isupper() for i, (_, _, w) in enumerate(ws)]
    x[:, c["digit"]] = [not w.isalpha() and any(ch.isdigit() for ch in w) for _, _, w in ws]
    x[:, c["word_length"]] = [min(len(w), 12) / 12 for _, _, w in ws]
    if alignment is not None:
        src = np.array([j >= 0 for j in alignment.hyp_to_src], float)
        x[:, c["source"]] = src
        x[:, c["source_window"]] = _window(src)
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


def _counts(texts: Sequence[str]) -> tuple[Counter, Counter, Counter]:
    """In how many of `texts` each lemma occurs, each lemma bigram, each lemma bigram or trigram."""
    lem, bi, tri = Counter(), Counter(), Counter()
    for text in texts:
        lem.update(lemmas(text))
        bigrams, grams = _ngram_sets(text)
        bi.update(bigrams)
        tri.update(grams)
    return lem, bi, tri


@lru_cache(maxsize=1024)  # a flag step's segments (`flags.STEP`)
def _output_counts(outputs: tuple[str, ...]) -> tuple[Counter, Counter, Counter]:
    """`_counts` of one segment's outputs, every system's (sorted): the other systems' counts for any one output are
    these less its own (computed once per segment, not once per system)."""
    return _counts(outputs)


def _others_counts(segment: Segment) -> tuple[Counter, Counter, Counter]:
    """`_counts` of the segment's hypothesis and other systems' outputs."""
    return _output_counts(tuple(sorted((segment.hypothesis, *segment.others.values()))))


@lru_cache(maxsize=4096)
def _reference_counts(references: tuple[str, ...]) -> tuple[Counter, Counter, Counter]:
    """`_counts` of a segment's references (sorted), cached apart from the outputs' so neither evicts the other."""
    return _counts(references)


def _holding(token: str, counts: Counter, vocabularies: Sequence[frozenset[str]], own: int = 0) -> int:
    """How many of `vocabularies` support `token` (`supported_by`): its lemma count in `counts` less the `own` counted
    texts that are not among them (a hypothesis's own lemmas), or, for a hyphenated compound, each vocabulary
    checked (its parts may come from different words)."""
    return sum(supported_by(token, v) for v in vocabularies) if "-" in token else counts[token] - own


@lru_cache(maxsize=65536)
def _agreement_with(text: str, references: tuple[str, ...]) -> float:
    """Mean Dice overlap of the lemmas of `text` with those of each reference."""
    return _mean([_dice(lemmas(text), lemmas(r)) for r in references])


def _agreement(x: np.ndarray, st: list[str], refs: list[str], oth: list[str], segment: Segment) -> None:
    """Fill the reference / other-system agreement columns of `x` (lemmas `st` of the hypothesis words) from the
    evidence the mode uses: references `refs`, other systems' outputs `oth`."""
    c, n = COLUMN, len(st)
    oth_sets = [lemmas(o) for o in oth]
    # Other systems weighted by how well they agree with the references (else with each other).
    if refs:
        quality = np.array([_agreement_with(o, tuple(refs)) for o in oth])
    else:
        quality = np.array([_mean([_dice(o, p) for k, p in enumerate(oth_sets) if k != i] or [0.0])
                            for i, o in enumerate(oth_sets)])
    quality = quality / quality.sum() if len(quality) and quality.sum() > 0 else np.full(len(oth), 1 / max(1, len(oth)))
    pairs = [(st[i], st[i + 1]) for i in range(n - 1)]  # pairs[i]: words i and i + 1

    def bigram_share(counts: list[int], k: int) -> np.ndarray:
        """Per word, the larger share of `k` texts holding its left or right bigram (`counts`: per pair)."""
        share = np.array([m / k for m in counts] or [0.0])
        out = np.zeros(n)
        if pairs:
            out[:-1] = share  # right bigram
            out[1:] = np.maximum(out[1:], share)  # left bigram
        return out

    if refs:
        ref_lemmas, ref_bigrams, _ = _reference_counts(tuple(sorted(refs)))
        ref_sets = [lemmas(r) for r in refs]
        x[:, c["ref"]] = [_holding(t, ref_lemmas, ref_sets) / len(refs) for t in st]
        x[:, c["ref_bigram"]] = bigram_share([ref_bigrams[b] for b in pairs], len(refs))
        x[:, c["ref_aligned"]] = [sum(col) / len(refs) for col in zip(*(_aligned(st, r) for r in refs))]
    if oth:
        _, bi, tri = _others_counts(segment)
        own = _ngram_sets(segment.hypothesis)[1]
        x[:, c["others"]] = supported_matrix(st, oth_sets) @ quality
        x[:, c["others_bigram"]] = bigram_share([bi[b] - 1 for b in pairs], len(oth))  # less its own
        x[:, c["others_trigram"]] = [(tri[t] - (t in own)) / len(oth) for t in
                                     (tuple(st[max(0, i - 1):i + 2]) for i in range(n))]
    support = (x[:, c["ref"]] + x[:, c["others"]]) / (bool(refs) + bool(oth))
    content = x[:, c["stopword"]] == 0
    seg_support = float(support[content].mean()) if content.any() else 1.0
    x[:, c["segment_support"]] = seg_support
    x[:, c["window_support"]] = _window(support)
    ratio = np.log(len(segment.hypothesis) / _mean([len(t) for t in refs + oth]))
    x[:, c["length_ratio"]], x[:, c["abs_length_ratio"]] = ratio, abs(ratio)
    x[:, c["segment_support_sq"]] = seg_support ** 2
    x[:, c["support_x_segment"]] = support * seg_support


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def unsupported(segment: Segment, mode: str, ws: Sequence[tuple[int, int, str]], x: np.ndarray
                ) -> dict[str, np.ndarray]:
    """Per reason, True for each content word the evidence does not support: `reference` (no reference has its
    lemma), `others` (at most half of the other systems wrote it), `source` (without references or other systems:
    it renders no source word by dictionary). `x`: the words' features."""
    content = x[:, COLUMN["stopword"]] == 0
    st = lemma_tokens(segment.hypothesis)
    out = {}
    if mode == "reference-free":
        out["source"] = content & (x[:, COLUMN["source"]] == 0)
    if mode in ("reference", "reference+consensus"):
        ref = set().union(*(lemmas(r) for r in segment.references))
        out["reference"] = content & np.array([not supported_by(s, ref) for s in st], bool)
    if mode in ("consensus", "reference+consensus"):
        lem, others = _others_counts(segment)[0], [lemmas(o) for o in segment.others.values()]
        held = [_holding(s, lem, others, own=1) for s in st]
        out["others"] = content & (2 * np.array(held) <= len(others))
    return out


def spans(words_: Sequence[tuple[int, int, str]], p_err: np.ndarray, threshold: float, gap: int = 1
          ) -> list[tuple[int, int]]:
    """Runs of words with P(error) > threshold, bridging up to `gap` words, trimmed of function words:
    (first, last) word indices."""
    bad = np.flatnonzero(p_err > threshold)
    out = []
    k = 0
    while k < len(bad):
        j = k
        while j + 1 < len(bad) and bad[j + 1] - bad[j] <= gap + 1:
            j += 1
        first, last = int(bad[k]), int(bad[j])
        while first < last and words_[first][2].lower() in STOPWORDS:
            first += 1
        while last > first and words_[last][2].lower() in STOPWORDS:
            last -= 1
        if words_[first][2].lower() not in STOPWORDS:
            out.append((first, last))
        k = j + 1
    return out


SPAN_FEATURES = ("bias", "max_p_error", "mean_p_error", "words", "segment_p_error", "share_not_in_reference",
                 "capitalised", "digit", "share_no_source_word", "segment_support", "abs_source_length_ratio")


def span_features(x: np.ndarray, p_err: np.ndarray, first: int, last: int, segment_p: float) -> np.ndarray:
    """Features of the candidate span of words first..last (columns `SPAN_FEATURES`), for its confidence and
    severity models (`segment_p`: the mean of `p_err` over the segment)."""
    run, p, c, n = x[first:last + 1], p_err[first:last + 1], COLUMN, last - first + 1
    return np.array([1.0, _logit(float(p.max())), _logit(float(p.mean())), np.log(n),
                     _logit(segment_p),
                     np.count_nonzero(run[:, c["ref"]] == 0) / n, float(run[:, c["capitalised"]].max()),
                     float(run[:, c["digit"]].max()), np.count_nonzero(run[:, c["source"]] == 0) / n,
                     float(x[0, c["segment_support"]]), float(x[0, c["abs_source_length_ratio"]])])


@dataclass
class Candidate:
    """A span of words the model suspects, before its severity is decided."""

    first: int
    last: int
    features: np.ndarray  # `SPAN_FEATURES`
    p_major_word: float  # mean word-level P(major | error)
    unsupported: dict[str, list[str]]  # reason → the span's words it applies to


def candidates(segment: Segment, mode: str, w: dict, ws: Sequence[tuple[int, int, str]], x: np.ndarray
               ) -> list[Candidate]:
    """Runs of likely-wrong words (`w`: one mode's weights) that contain at least one content word the evidence
    does not support (a flag names what is wrong; supported words inside a run are its context)."""
    p_err, p_major = _sigmoid(x @ w["error"]), _sigmoid(x @ w["major"])
    reasons = unsupported(segment, mode, ws, x)
    runs = [(a, b) for a, b in spans(ws, p_err, w["threshold"], w["gap"])
            if any(r[a:b + 1].any() for r in reasons.values())]
    segment_p = float(p_err.mean())
    return [Candidate(a, b, span_features(x, p_err, a, b, segment_p), float(p_major[a:b + 1].mean()),
                      {k: [ws[i][2] for i in range(a, b + 1) if r[i]] for k, r in reasons.items() if r[a:b + 1].any()})
            for a, b in runs]


def confidence_and_major(c: Candidate, w: dict) -> tuple[float, float]:
    """The calibrated probability that an expert marks an error on the span, and P(major | error)."""
    conf = float(_sigmoid(c.features @ w["confidence"]))
    return conf, float(_sigmoid(np.append(c.features, _logit(c.p_major_word)) @ w["severity"]))


_WHY = {frozenset({"reference"}): "not in the reference",
        frozenset({"others"}): "not in most other systems",  # written by at most half of them
        frozenset({"reference", "others"}): "not in the reference or most other systems",
        frozenset({"source"}): "no source word translates as"}


def message(c: Candidate) -> str:
    """What is wrong, in a translator's words: the span's words each kind of evidence does not support, each word
    named once (under every reason that applies to it)."""
    reasons: dict[str, set[str]] = {}
    for kind, found in c.unsupported.items():
        for word in found:
            reasons.setdefault(word, set()).add(kind)
    groups: dict[frozenset[str], list[str]] = {}
    for word, kinds in reasons.items():
        groups.setdefault(frozenset(kinds), []).append(word)
    parts = [f"{_WHY[k]}{' ' if 'source' in k else ': '}{', '.join(repr(w) for w in ws)}"
             for k, ws in sorted(groups.items(), key=lambda kv: -len(kv[0]))]
    return "likely mistranslation; " + "; ".join(parts)


def make_flags(segment: Segment, mode: str, w: dict, cands: Sequence[Candidate], ws: Sequence[tuple[int, int, str]]
               ) -> list[Flag]:
    """The candidates as flags: confidence and severity from the mode's weights `w`; a candidate whose confidence
    is below the mode's `min_confidence` is not flagged."""
    flags = []
    for c in cands:
        conf, p_major = confidence_and_major(c, w)
        if conf < w["min_confidence"]:
            continue
        major = conf >= 0.5 and p_major >= w["major_threshold"]
        flags.append(segment.flag(ws[c.first][0], ws[c.last][1], "major" if major else "minor", "mistranslation",
                                  message(c), confidence=conf, mode=mode, p_major=round(p_major, 3),
                                  unsupported=c.unsupported))
    return flags


@DETECTORS.register("mistranslation")
class Mistranslation(Detector):
    """Phrases no evidence supports (source by dictionary, references, other systems), by a learned model; major when
    the calibrated confidence is at least 0.5 and P(major | error) passes the threshold fitted on MQM volumes.
    Option `min_confidence` replaces the mode's fitted floor (flags-mqm: 0, every candidate counts by its
    confidence)."""

    name = "mistranslation"
    kinds = ("mistranslation",)
    description = "phrases nothing supports: the source by dictionary, the references, the other systems (learned)"

    def prepare(self, segments: Sequence[Segment]) -> None:
        prepare_sources([s.source for s in segments if s.src_lang == "zh"])
        for s in segments:
            for text in (s.hypothesis, *s.references, *s.others.values()):
                lemmas(text)
                _ngram_sets(text)
            if s.others:
                _others_counts(s)

    def detect(self, segment: Segment) -> list[Flag]:
        mode = mode_of(segment)
        w = weights()[mode]
        if self.options.get("min_confidence") is not None:  # e.g. flags-mqm, which weights every candidate
            w = {**w, "min_confidence": self.options["min_confidence"]}
        ws, x = word_features(segment, mode)
        return make_flags(segment, mode, w, candidates(segment, mode, w, ws, x) if ws else [], ws)
