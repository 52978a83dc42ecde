"""Exact BLEU and chrF(++) sufficient statistics for many systems at once, vectorised with numpy.

sacreBLEU counts n-grams segment by segment in Python and rebuilds the reference n-grams for every system. Here
the references are indexed once: every token (word or character) gets a small per-segment id (its rank among the
reference tokens of that segment, 0 when no reference of the segment has it), each position's n-grams are packed
into one sorted int64 key `(segment, id1, ..., idN)`, and n-gram counts, clipping and matches become sorted-array
operations. The statistics are identical to sacreBLEU's (`tests/test_fast_stats.py`). When the packed key would
not fit in 63 bits (huge segments with many distinct tokens), callers fall back to sacreBLEU.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, repeat

import numpy as np

from .formulas import chrf_f
from .tok13a import bleu_tokens

Stream = tuple[np.ndarray, np.ndarray]  # (global token ids of all segments, one after another; segment lengths)


class TooWide(Exception):
    """The packed n-gram key needs more than 63 bits; use the reference implementation."""


def _bits(n: int) -> int:
    return max(int(n).bit_length(), 1)


def _concat(stream: Stream) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ids, the segment of each position and the segment lengths."""
    ids, lens = stream
    return ids, np.repeat(np.arange(len(lens), dtype=np.int64), lens), lens


class RefIndex:
    """Per-segment local ids of the reference tokens and, per reference stream and order, sorted n-gram counts."""

    def __init__(self, refs: Sequence[Stream], max_order: int) -> None:
        self.max_order = max_order
        self.n_segments = len(refs[0][1])
        cat = [_concat(r) for r in refs]
        ids = np.concatenate([c[0] for c in cat])
        seg = np.concatenate([c[1] for c in cat])
        top = int(ids.max()) + 1 if len(ids) else 1
        uniq = np.unique(ids)
        self.dense = np.zeros(top + 1, dtype=np.int64)  # global id → 1..G among reference tokens; top → 0
        self.dense[uniq] = np.arange(1, len(uniq) + 1)
        self.width = len(uniq) + 1
        pairs = np.unique(seg * self.width + self.dense[ids])
        starts = np.searchsorted(pairs, np.arange(self.n_segments + 1, dtype=np.int64) * self.width)
        local = np.arange(len(pairs), dtype=np.int64) - np.repeat(starts[:-1], np.diff(starts)) + 1
        self.pairs, self.local = pairs, local
        top_local = int(local.max()) if len(local) else 1
        self.id_bits = _bits(top_local)
        self.seg_bits = _bits(self.n_segments)
        if self.seg_bits + max_order * self.id_bits > 63:
            raise TooWide(f"{self.seg_bits} + {max_order}×{self.id_bits} bits")
        self.table = None
        if self.n_segments * self.width <= 1 << 25:
            self.table = np.zeros(self.n_segments * self.width, dtype=np.min_scalar_type(top_local))
            self.table[pairs] = local
        self.lens = [c[2] for c in cat]
        self.n_refs = len(refs)
        # per reference stream: sorted keys of all positions and, per order, each position's run (equal prefix)
        # id and the run sizes, i.e. the reference count of that (segment, n-gram)
        self.ref_keys, self.run_ids, self.run_sizes = [], [], []
        for ids_r, seg_r, _ in cat:
            keys = self.keys(ids_r, seg_r)
            ids_n, sizes_n = [], []
            for n in range(1, max_order + 1):
                prefix = keys >> ((max_order - n) * self.id_bits)
                change = np.concatenate(([True], prefix[1:] != prefix[:-1])) if len(keys) else np.zeros(0, bool)
                run = np.cumsum(change) - 1
                ids_n.append(run)
                sizes_n.append(np.bincount(run, minlength=1))
            self.ref_keys.append(keys)
            self.run_ids.append(ids_n)
            self.run_sizes.append(sizes_n)

    def local_ids(self, ids: np.ndarray, seg: np.ndarray) -> np.ndarray:
        """Per-segment local id of each token (0: in no reference of its segment)."""
        if not len(ids):
            return ids
        pk = seg * self.width + self.dense[np.minimum(ids, len(self.dense) - 1)]
        if self.table is not None:
            return self.table[pk].astype(np.int64)
        j = np.minimum(np.searchsorted(self.pairs, pk), len(self.pairs) - 1)
        return np.where(self.pairs[j] == pk, self.local[j], 0)

    def keys(self, ids: np.ndarray, seg: np.ndarray) -> np.ndarray:
        """Sorted packed keys: segment, then the local ids of the next `max_order` tokens (0 after the first
        unknown token or the segment end)."""
        local = self.local_ids(ids, seg)
        key = seg.copy()
        alive = np.ones(len(local), dtype=bool)
        for k in range(self.max_order):
            c = np.zeros(len(local), dtype=np.int64)
            if k < len(local):
                same = seg[k:] == seg[: len(seg) - k]
                c[: len(local) - k] = np.where(same, local[k:], 0)
            c[~alive] = 0
            alive &= c != 0
            key = (key << self.id_bits) | c
        key.sort()
        return key


def hypothesis_matches(index: RefIndex, stream: Stream, clip_by_max: bool) -> tuple[np.ndarray, np.ndarray]:
    """Segment lengths and clipped n-gram matches `[reference, order, segment]` of one system.

    The system's sorted keys are located once in each reference's sorted keys; for every order, a run of equal
    hypothesis prefixes (one (segment, n-gram) and its count) finds its reference count through the neighbouring
    reference key (before or after) with the longer common prefix (the smaller xor): if any reference key shares
    the n-gram prefix, that one does. `clip_by_max` clips by the maximum count over the
    references (BLEU, one result row) instead of matching each reference separately (chrF, a row per reference).
    """
    ids, seg, lens = _concat(stream)
    keys = index.keys(ids, seg)
    rows = 1 if clip_by_max else index.n_refs
    out = np.zeros((rows, index.max_order, index.n_segments), dtype=np.int64)
    if not len(keys):
        return lens, out
    near = []  # per reference: the neighbouring reference key sharing the longest prefix, and the xor with it
    for rk in index.ref_keys:
        if not len(rk):
            near.append(None)
            continue
        j = np.searchsorted(rk, keys)
        before, after = rk[np.maximum(j - 1, 0)], rk[np.minimum(j, len(rk) - 1)]
        use = np.where((keys ^ before) <= (keys ^ after), np.maximum(j - 1, 0), np.minimum(j, len(rk) - 1))
        near.append((use, keys ^ rk[use]))
    id_mask = (1 << index.id_bits) - 1
    change = np.empty(len(keys), dtype=bool)
    change[0] = True
    for n in range(1, index.max_order + 1):
        shift = (index.max_order - n) * index.id_bits
        prefix = keys >> shift
        np.not_equal(prefix[1:], prefix[:-1], out=change[1:])
        starts = np.flatnonzero(change)
        first = prefix[starts]
        hyp = np.diff(np.append(starts, len(keys)))
        complete = (first & id_mask) != 0
        refs = []
        for r, found_near in enumerate(near):
            if found_near is None:
                refs.append(np.zeros(len(starts), dtype=np.int64))
                continue
            use, xor = found_near[0][starts], found_near[1][starts]
            found = complete & ((xor >> shift) == 0)
            refs.append(np.where(found, index.run_sizes[r][n - 1][index.run_ids[r][n - 1][use]], 0))
        if clip_by_max and len(refs) > 1:
            refs = [np.maximum.reduce(refs)]
        segment = first >> (n * index.id_bits)
        for r, ref in enumerate(refs):
            out[r, n - 1] = np.bincount(segment, weights=np.minimum(hyp, ref), minlength=index.n_segments)
    return lens, out


class Vocabulary:
    """Global token ids (1-based) for words; `ids` maps unknown words to 0 unless `grow`."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def encode(self, segments: list[list[str]], grow: bool) -> Stream:
        """Ids of every segment's tokens, one after another, and the segment lengths."""
        lens = np.fromiter(map(len, segments), dtype=np.int64, count=len(segments))
        tokens = list(chain.from_iterable(segments))
        if grow:
            for t in tokens:
                if t not in self.ids:
                    self.ids[t] = len(self.ids) + 1
        return np.fromiter(map(self.ids.get, tokens, repeat(0)), dtype=np.int64, count=len(tokens)), lens


def char_stream(texts: list[str]) -> Stream:
    """Unicode code points (+1, so that 0 stays free) of every text, one after another, and the text lengths."""
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    return np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1, lens


def _ngram_lengths(lens: np.ndarray, n: int) -> np.ndarray:
    return np.maximum(lens - n + 1, 0)


def bleu_stats(tokenized_hyps: dict[str, list[list[str]]], tokenized_refs: Sequence[list[list[str]]],
               max_order: int = 4) -> dict[str, np.ndarray]:
    """sacreBLEU BLEU statistics `[hyp_len, ref_len, correct_1..N, total_1..N]` per segment for every system.

    Inputs are already pre-processed (tokenized, lower-cased) token lists, as BLEU's `_preprocess_segment`
    followed by `str.split()`. Multiple references: n-gram counts clipped by the maximum over references,
    reference length the closest one (the shorter on ties).
    """
    vocab = Vocabulary()
    refs = [vocab.encode(stream, grow=True) for stream in tokenized_refs]
    index = RefIndex(refs, max_order)
    ref_lens = np.stack(index.lens)  # (refs, segments)
    out = {}
    for system, hyps in tokenized_hyps.items():
        lens, matches = hypothesis_matches(index, vocab.encode(hyps, grow=False), clip_by_max=True)
        correct = matches[0]
        diff = np.abs(ref_lens - lens[None, :])
        best = np.lexsort((ref_lens, diff), axis=0)[0] if len(ref_lens) > 1 else np.zeros(len(lens), np.int64)
        closest = ref_lens[best, np.arange(len(lens))]
        totals = np.stack([_ngram_lengths(lens, n) for n in range(1, max_order + 1)])
        out[system] = np.column_stack([lens, closest, correct.T, totals.T]).astype(np.float64)
    return out


def chrf_stats(hyp_units: dict[str, list[Stream]], ref_units: Sequence[list[Stream]], orders: Sequence[int],
               beta: int) -> dict[str, np.ndarray]:
    """sacreBLEU chrF statistics `[hyp, ref, match]` per order (character orders, then word orders).

    `*_units[...][k]` is the stream of unit kind k (characters, words); `orders[k]` its maximum n-gram order.
    With several references the one with the best sentence chrF wins (the first on ties), as in sacreBLEU.
    """
    indexes = [(k, max_order, RefIndex([units[k] for units in ref_units], max_order))
               for k, max_order in enumerate(orders) if max_order]
    out = {}
    for system, units in hyp_units.items():
        per_ref: list[list[np.ndarray]] = [[] for _ in ref_units]  # per reference: (segments, 3) per order
        for k, max_order, index in indexes:
            lens, by_ref = hypothesis_matches(index, units[k], clip_by_max=False)
            for r, matches in enumerate(by_ref):
                for n in range(1, max_order + 1):
                    ref_count = _ngram_lengths(index.lens[r], n)
                    hyp_count = np.where(ref_count > 0, _ngram_lengths(lens, n), 0)
                    per_ref[r].append(np.column_stack([hyp_count, ref_count, matches[n - 1]]))
        blocks = [np.concatenate(b, axis=1).astype(np.float64) for b in per_ref]
        if len(blocks) == 1:
            out[system] = blocks[0]
        else:
            stacked = np.stack(blocks)  # (refs, segments, k)
            best = np.argmax(chrf_f(stacked, beta), axis=0)
            out[system] = stacked[best, np.arange(stacked.shape[1])]
    return out


def sacre_stats_many(sb, hypotheses: dict[str, Sequence[str]], references: Sequence[Sequence[str]]
                     ) -> dict[str, np.ndarray] | None:
    """Statistics of a sacreBLEU `BLEU` or `CHRF` object for every system, equal to its
    `_extract_corpus_statistics`; None for other metrics or when the packed keys do not fit (use sacreBLEU)."""
    from sacrebleu.metrics import BLEU, CHRF

    if any(r is None for stream in references for r in stream):
        return None
    try:
        if isinstance(sb, BLEU):
            tokens = bleu_tokens(sb)
            refs = [tokens(stream) for stream in references]
            hyps = {name: tokens(lines) for name, lines in hypotheses.items()}
            return bleu_stats(hyps, refs, sb.max_ngram_order)
        if isinstance(sb, CHRF):
            if sb.eps_smoothing:
                return None
            vocab = Vocabulary()

            def units(lines: Sequence[str], grow: bool) -> list[Stream]:
                texts = [sb._preprocess_segment(x) for x in lines]
                chars = char_stream(texts if sb.whitespace else ["".join(t.split()) for t in texts])
                words = vocab.encode([sb._remove_punctuation(t) for t in texts], grow) if sb.word_order else chars
                return [chars, words]

            ref_units = [units(stream, True) for stream in references]
            hyp_units = {name: units(lines, False) for name, lines in hypotheses.items()}
            return chrf_stats(hyp_units, ref_units, (sb.char_order, sb.word_order), sb.beta)
    except TooWide:
        return None
    return None
