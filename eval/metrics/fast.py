"""Exact BLEU and chrF(++) sufficient statistics for many systems at once, vectorised with numpy.

sacreBLEU counts n-grams segment by segment in Python and rebuilds the reference n-grams for every system. Here
the references are indexed once: every token (word or character) gets a small per-segment id (its rank among the
reference tokens of that segment, 0 when no reference of the segment has it), each position's n-grams are packed
into one sorted int64 key `(segment, id1, ..., idN)`, and n-gram counts, clipping and matches become sorted-array
operations. The statistics are identical to sacreBLEU's (`tests/test_fast_stats.py`). When the packed key would
not fit in 63 bits (huge segments with many distinct tokens), callers fall back to sacreBLEU.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import chain, repeat

import numpy as np

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


def _chrf_f(stats: np.ndarray, beta: int) -> np.ndarray:
    """sacreBLEU's chrF `_compute_f_score` (effective-order averaging) for rows of `[hyp, ref, match] × orders`."""
    factor = beta**2
    orders = stats.shape[-1] // 3
    avg_prec = np.zeros(stats.shape[:-1])
    avg_rec = np.zeros(stats.shape[:-1])
    eff = np.zeros(stats.shape[:-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(orders):
            n_hyp, n_ref, n_match = stats[..., 3 * i], stats[..., 3 * i + 1], stats[..., 3 * i + 2]
            ok = (n_hyp > 0) & (n_ref > 0)
            avg_prec = np.where(ok, avg_prec + n_match / np.where(ok, n_hyp, 1), avg_prec)
            avg_rec = np.where(ok, avg_rec + n_match / np.where(ok, n_ref, 1), avg_rec)
            eff += ok
        avg_prec = np.where(eff > 0, avg_prec / np.maximum(eff, 1), 0.0)
        avg_rec = np.where(eff > 0, avg_rec / np.maximum(eff, 1), 0.0)
        denom = factor * avg_prec + avg_rec
        score = (1 + factor) * avg_prec * avg_rec
        return np.where(avg_prec + avg_rec > 0, score / np.where(denom > 0, denom, 1) * 100, 0.0)


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
            best = np.argmax(_chrf_f(stacked, beta), axis=0)
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


_PUNCT = re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])")


def _13a_clean(line: str) -> str:
    return line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")


def tokenize_13a(lines: Sequence[str], split: bool = False) -> list[str] | list[list[str]]:
    """sacreBLEU's `13a` tokenizer on many lines at once, with equal output: the lines are padded with spaces
    (as 13a does) and joined by newlines, which no rule can match across; the first and busiest substitution
    (`' \\1 '` around punctuation and spaces) is a split-and-join; the others are sacreBLEU's own regexes.
    With `split`, each line comes back as its list of tokens."""
    text = "\n".join(f" {_13a_clean(line)} " for line in lines)
    if "&" in text:
        text = text.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    text = " ".join(_PUNCT.split(text))
    for pattern, repl in _RE_TAIL:
        text = pattern.sub(repl, text)
    if split:
        return [line.split() for line in text.split("\n")]
    return [" ".join(line.split()) for line in text.split("\n")]


def _tail_rules() -> list:
    """sacreBLEU's other 13a substitutions, with their templates as functions (same output, no template parsing)."""
    from sacrebleu.tokenizers.tokenizer_re import TokenizerRegexp

    rules = TokenizerRegexp()._re
    if rules[0][0].pattern != _PUNCT.pattern or rules[0][1] != r" \1 ":
        raise ImportError("sacreBLEU's 13a rules changed; update eval/metrics/fast.py")
    as_function = {r"\1 \2 ": lambda m: f"{m[1]} {m[2]} ", r" \1 \2": lambda m: f" {m[1]} {m[2]}"}
    return [(pattern, as_function.get(repl, repl)) for pattern, repl in rules[1:]]


_RE_TAIL = _tail_rules()


def bleu_tokens(sb) -> Callable[[Sequence[str]], list[list[str]]]:
    """BLEU's `_preprocess_segment(...).split()` over many lines (with the faster equal 13a tokenizer when that is
    the tokenizer)."""
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    if type(sb.tokenizer) is not Tokenizer13a:
        return lambda lines: [sb._preprocess_segment(x).split() for x in lines]
    lower = sb.lowercase
    return lambda lines: tokenize_13a([(x.lower() if lower else x).rstrip() for x in lines], split=True)


def sacre_scores(sb, totals: np.ndarray) -> np.ndarray | None:
    """Vectorised `_compute_score_from_stats(...).score` of a sacreBLEU BLEU (exp smoothing, no effective
    order), CHRF (no eps smoothing) or TER object for rows of summed statistics; None when not supported."""
    from sacrebleu.metrics import BLEU, CHRF, TER

    totals = np.atleast_2d(np.asarray(totals, dtype=np.float64))
    if isinstance(sb, BLEU) and sb.smooth_method == "exp" and not sb.effective_order:
        n = sb.max_ngram_order
        sys_len, ref_len = totals[:, 0], totals[:, 1]
        correct, total = totals[:, 2:2 + n], totals[:, 2 + n:2 + 2 * n]
        with np.errstate(divide="ignore", invalid="ignore"):
            bp = np.where(sys_len < ref_len, np.where(sys_len > 0, np.exp(1 - ref_len / sys_len), 0.0), 1.0)
            smooth = np.ones(len(totals))
            broken = np.zeros(len(totals), dtype=bool)
            log_sum = np.zeros(len(totals))
            for i in range(n):
                broken |= total[:, i] == 0
                zero = (correct[:, i] == 0) & ~broken
                smooth = np.where(zero, smooth * 2, smooth)
                prec = np.where(zero, 100.0 / (smooth * total[:, i]), 100.0 * correct[:, i] / total[:, i])
                prec = np.where(broken, 0.0, prec)
                log_sum = log_sum + np.where(prec > 0, np.log(np.where(prec > 0, prec, 1.0)), -9999999999)
            score = bp * np.exp(log_sum / n)
        return np.where((correct != 0).any(axis=1), score, 0.0)
    if isinstance(sb, CHRF) and not sb.eps_smoothing:
        return _chrf_f(totals, sb.beta)
    if isinstance(sb, TER):
        edits, ref = totals[:, 0], totals[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            return 100 * np.where(ref > 0, edits / np.where(ref > 0, ref, 1), np.where(edits > 0, 1.0, 0.0))
    return None


def scores_from_totals(metric, totals: np.ndarray) -> np.ndarray:
    """Corpus scores of an `eval.metrics.Metric` for many rows of totals (vectorised for sacreBLEU metrics)."""
    sb = getattr(metric, "sb", None)
    fast = sacre_scores(sb, totals) if sb is not None else None
    if fast is not None:
        return fast
    return np.array([metric.score_from_totals(row) for row in np.atleast_2d(totals)], dtype=np.float64)


def _metric_stats(metric, hypotheses: dict[str, Sequence[str]], references: Sequence[Sequence[str]]
                  ) -> dict[str, np.ndarray]:
    sb = getattr(metric, "sb", None)
    refs = [list(r) for r in references]
    fast = sacre_stats_many(sb, hypotheses, refs) if sb is not None else None
    if fast is not None:
        return fast
    return {name: metric.stats(h, refs) for name, h in hypotheses.items()}


_TASKS: list = []  # set before forking workers, so that inputs are inherited rather than pickled


def _idle_cores(window: float = 0.02) -> int:
    """Cores idle right now: the idle share of CPU time over a short `window` (from /proc/stat) times the
    cores this process may use; the 1-minute load average where /proc/stat is unavailable (it lags: a
    benchmark's previous command still counts for a minute)."""
    import os
    import time

    cores = len(os.sched_getaffinity(0))

    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, total

    try:
        idle0, total0 = sample()
        time.sleep(window)
        idle1, total1 = sample()
        idle = cores * (idle1 - idle0) / max(1, total1 - total0)
    except OSError:
        idle = cores - os.getloadavg()[0]
    return max(1, min(cores, round(idle)))


def _job(i: int):
    metric, hypotheses, references = _TASKS[i]
    return metric.name, _metric_stats(metric, hypotheses, references)


def stats_many(metrics: list, hypotheses: dict[str, Sequence[str]], references: Sequence[Sequence[str]],
               jobs: int | None = None) -> dict[str, dict[str, np.ndarray]]:
    """`{system: {metric: per-segment statistics}}` for every system and metric, on up to `jobs` processes
    (default: the idle cores; small inputs stay in this process). Work is split by metric and, when there
    are several systems, by halves of them (a metric's statistics cost differ, halves balance the load)."""
    import sys

    names = list(hypotheses)
    size = sum(len(h) for h in hypotheses.values()) * max(len(metrics), 1)
    if "torch" in sys.modules or size < 20000:  # a process with a model's thread pools loaded must not fork
        jobs = 1
    elif not jobs:  # the idle cores: forking onto cores busy with other work only adds overhead
        jobs = _idle_cores()
    tasks = []
    split = 2 if jobs > 1 and len(names) > 1 else 1
    for m in metrics:
        for part in range(split):
            chunk = names[part::split]
            tasks.append((m, {n: hypotheses[n] for n in chunk}, references))
    _TASKS[:] = tasks
    try:
        if jobs > 1 and len(tasks) > 1:
            import multiprocessing as mp

            with mp.get_context("fork").Pool(min(jobs, len(tasks))) as pool:
                results = pool.map(_job, range(len(tasks)), chunksize=1)
        else:
            results = [_job(i) for i in range(len(tasks))]
    finally:
        _TASKS.clear()
    out: dict[str, dict[str, np.ndarray]] = {n: {} for n in names}
    for metric_name, by_system in results:
        for n, st in by_system.items():
            out[n][metric_name] = st
    return {n: {m.name: out[n][m.name] for m in metrics} for n in names}
