"""Meta-evaluation statistics of WMT's metrics task (after google-research/mt-metrics-eval `stats.py`), vectorised.

Segment-level inputs are matrices of shape (systems, items): `human` with NaN where a segment is not rated,
`metric` oriented so that higher is better. System-level inputs are vectors over systems.

- system level: Pearson, Spearman, Kendall tau-b, pairwise ranking accuracy (Kocmi et al. 2021), soft pairwise
  accuracy (SPA, Thompson et al. 2024: 1 − mean |p_human − p_metric| over system pairs, p from paired permutation
  tests on segment statistics);
- segment level: Kendall tau-b over all rated segments (no grouping), item-grouped tau-b (the mean over source
  segments of the tau-b across systems, items where it is undefined left out), acc-eq (Deutsch et al. 2023:
  item-grouped pairwise accuracy that credits tied pairs, with the metric tie threshold ε calibrated to maximise
  it), the WMT DARR Kendall-like statistic for DA;
- bootstrap confidence intervals over segments, and paired permutation tests "metric B beats metric A"
  (PERM-BOTH, Deutsch et al. 2021; pairs are swapped for acc-eq, as mt-metrics-eval's PairwisePermutationSigDiff).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DARR_MARGIN = 25.0


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    dx, dy = x - x.mean(), y - y.mean()
    denom = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy / denom) if denom else float("nan")


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean rank)."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2)[inverse]


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    return pearson(_ranks(np.asarray(x, float)), _ranks(np.asarray(y, float)))


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall tau-b in O(n²), for system-level sizes."""
    i, j = np.triu_indices(len(x), 1)
    x, y = np.asarray(x, float), np.asarray(y, float)
    a, b = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
    denom = math.sqrt(float(np.count_nonzero(a)) * float(np.count_nonzero(b)))
    return float((a * b).sum() / denom) if denom else float("nan")


def pairwise_accuracy(metric: np.ndarray, human: np.ndarray) -> np.ndarray | float:
    """Share of system pairs the metric orders as the humans do (a metric tie agrees only with a human tie).
    `metric` may be a batch (rows of system scores)."""
    m, h = np.asarray(metric, float), np.asarray(human, float)
    i, j = np.triu_indices(h.shape[-1], 1)
    agree = np.sign(m[..., i] - m[..., j]) == np.sign(h[..., i] - h[..., j])
    return agree.mean(axis=-1) if m.ndim > 1 else float(agree.mean())


def pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of corresponding rows of two (batch, n) arrays."""
    dx = x - x.mean(axis=-1, keepdims=True)
    dy = y - y.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (dx * dy).sum(-1) / np.sqrt((dx * dx).sum(-1) * (dy * dy).sum(-1))


# --- segment level ---------------------------------------------------------------------------------------------

def _pair_diffs(x: np.ndarray) -> np.ndarray:
    """x[..., a, :] − x[..., b, :] for every system pair a < b: shape (..., pairs, items)."""
    a, b = np.triu_indices(x.shape[-2], 1)
    return x[..., a, :] - x[..., b, :]


def kendall_items(human: np.ndarray, metric: np.ndarray) -> np.ndarray:
    """Tau-b across systems for each item (NaN where a side has no untied rated pair); `metric` may have
    leading batch dimensions."""
    dh = np.sign(_pair_diffs(human))
    dm = np.sign(_pair_diffs(metric))
    rated = ~np.isnan(dh)
    dh = np.where(rated, dh, 0.0)
    dm = np.where(rated, dm, 0.0)
    s = (dh * dm).sum(-2)
    denom = np.sqrt(np.count_nonzero(dh, axis=-2) * np.count_nonzero(dm, axis=-2).astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, s / np.where(denom > 0, denom, 1), np.nan)


def mean_finite(values: np.ndarray) -> float:
    """Mean of the finite values (NaN when there is none)."""
    ok = np.isfinite(values)
    return float(values[ok].mean()) if ok.any() else float("nan")


def kendall_item_grouped(human: np.ndarray, metric: np.ndarray) -> float:
    """Mean over items of the tau-b across systems (mt-metrics-eval `Kendall(average_by='item')`)."""
    return mean_finite(kendall_items(human, metric))


def kendall_flat(human: np.ndarray, metric: np.ndarray) -> float:
    """Tau-b over all rated (system, item) scores, no grouping (scipy's O(n log n) tau-b)."""
    from scipy.stats import kendalltau

    rated = ~np.isnan(human)
    return float(kendalltau(human[rated], metric[rated]).statistic)


@dataclass
class AccEq:
    """acc-eq: the item-grouped pairwise accuracy with ties at the calibrated threshold `epsilon`; `credit` holds
    each rated pair's share of it (1/(pairs of its item × items) when the metric gets the pair right)."""

    accuracy: float
    epsilon: float
    credit: np.ndarray  # (pairs, items)
    rated: np.ndarray  # (items,) whether the item has a rated pair

    def per_item(self) -> np.ndarray:
        """Each item's accuracy (NaN for items without a rated pair); their mean is `accuracy`."""
        return np.where(self.rated, self.credit.sum(0) * np.count_nonzero(self.rated), np.nan)


def acc_eq(human: np.ndarray, metric: np.ndarray, epsilon: float | None = None) -> AccEq:
    """Pairwise accuracy with tie calibration (mt-metrics-eval `KendallWithTiesOpt(variant='acc23',
    average_by='item', sample_rate=1)`): a pair is right when both order it the same way or both tie it; metric
    differences |d| ≤ ε count as ties, and ε is the threshold that maximises the mean over items (or as given)."""
    dh = _pair_diffs(human)
    dm = np.abs(_pair_diffs(metric))
    sm = np.sign(_pair_diffs(metric))
    rated = ~np.isnan(dh)
    per_item = rated.sum(0)
    items = np.count_nonzero(per_item)
    weight = np.where(rated, 1.0 / (np.maximum(per_item, 1) * max(items, 1)), 0.0)
    sh = np.sign(np.where(rated, dh, 0.0))
    right_untied = (sh == sm) & rated  # credit with no tie introduced (a metric tie is right only on a human tie)
    right_tied = (sh == 0) & rated  # credit once the pair is a metric tie
    if epsilon is None:
        flat = np.flatnonzero(rated)
        order = flat[np.argsort(dm.flat[flat], kind="stable")]
        diffs = dm.flat[order]
        gain = (right_tied.flat[order].astype(float) - right_untied.flat[order]) * weight.flat[order]
        totals = float((right_untied * weight).sum()) + np.cumsum(gain)
        last = np.r_[diffs[1:] != diffs[:-1], True]  # the value after every pair with that difference is a tie
        candidates = np.r_[0.0, diffs[last]]
        values = np.r_[float((right_untied * weight).sum()), totals[last]]
        if diffs.size and diffs[0] == 0:  # threshold 0 already ties the exactly tied pairs
            candidates, values = candidates[1:], values[1:]
        best = int(np.argmax(values))
        epsilon = float(candidates[best])
    credit = np.where(dm <= epsilon, right_tied, right_untied) * weight
    return AccEq(float(credit.sum()), float(epsilon), credit, per_item > 0)


def darr_kendall(human_raw: np.ndarray, metric: np.ndarray, margin: float = DARR_MARGIN) -> tuple[float, int]:
    """WMT DARR Kendall-like: over pairs of systems on the same item whose raw DA scores differ by more than
    `margin`, (concordant − discordant) / (concordant + discordant); a metric tie is discordant."""
    dh = _pair_diffs(human_raw)
    dm = _pair_diffs(metric)
    keep = np.abs(np.nan_to_num(dh)) > margin
    agree = (np.sign(dh) == np.sign(dm)) & keep
    total = int(keep.sum())
    conc = int(agree.sum())
    return ((2 * conc - total) / total if total else float("nan")), total


# --- soft pairwise accuracy --------------------------------------------------------------------------------------

def permutation_p_values(stats: np.ndarray, score: Callable[[np.ndarray], np.ndarray], permutations: int = 1000,
                         seed: int = 4) -> np.ndarray:
    """p-values of "system a is better than system b" for every pair a < b by paired permutation over segments.

    `stats` (systems, segments, k) holds per-segment sufficient statistics and `score` maps totals (..., k) to
    scores (a mean for linear scores such as MQM, corpus BLEU from n-gram counts). Each permutation swaps the two
    systems' statistics on a random half of the segments (one mask for all pairs, as mt-metrics-eval's `pce.py`);
    p = share of permutations whose score difference reaches the observed one. Returns (systems, systems), upper
    triangle filled."""
    n_sys, n_seg, k = stats.shape
    rng = np.random.default_rng(seed)
    mask = (rng.random((permutations, n_seg)) < 0.5).astype(np.float64)
    out = np.full((n_sys, n_sys), np.nan)
    totals = stats.sum(1)
    observed = score(totals)
    swapped = (mask @ stats.transpose(1, 0, 2).reshape(n_seg, -1)).reshape(permutations, n_sys, k)
    for a in range(n_sys):
        for b in range(a + 1, n_sys):
            moved = swapped[:, a] - swapped[:, b]  # swapping a segment moves a's statistics to b and back
            total_a, total_b = totals[a] - moved, totals[b] + moved
            null = score(total_a) - score(total_b)
            out[a, b] = float(np.mean(null >= observed[a] - observed[b] - 1e-12))
    return out


def soft_pairwise_accuracy(human_p: np.ndarray, metric_p: np.ndarray) -> float:
    """SPA = 1 − mean over system pairs of |p_human − p_metric|."""
    a, b = np.triu_indices(human_p.shape[0], 1)
    return float(1 - np.mean(np.abs(human_p[a, b] - metric_p[a, b])))


# --- resampling -----------------------------------------------------------------------------------------------

def bootstrap_counts(n: int, resamples: int, seed: int = 12345) -> np.ndarray:
    """(resamples, n) multiplicities of n items drawn with replacement."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    counts = np.zeros((resamples, n), dtype=np.int32)
    np.add.at(counts, (np.arange(resamples)[:, None], idx), 1)
    return counts


def weighted_mean(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per resample: the mean of the finite `values` (items,) weighted by `counts` (resamples, items)."""
    ok = np.isfinite(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (counts @ np.where(ok, values, 0.0)) / (counts @ ok.astype(float))


def interval(samples: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of bootstrap samples."""
    lo, hi = np.nanpercentile(samples, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def zscore(x: np.ndarray) -> np.ndarray:
    ok = np.isfinite(x)
    sd = x[ok].std()
    return (x - x[ok].mean()) / (sd if sd else 1.0)


def perm_both(statistic: Callable[[np.ndarray], np.ndarray | float], a: np.ndarray, b: np.ndarray,
              permutations: int = 1000, seed: int = 12345, batch: int = 20) -> tuple[float, float]:
    """PERM-BOTH test that metric `b` agrees better than `a`: the z-scored scores of the two metrics are swapped
    element by element at random; p = share of permutations whose difference statistic(b') − statistic(a')
    reaches the observed one. `statistic` maps a metric array (or a batch of them, leading axis) to its
    agreement; returns (p, observed difference)."""
    a, b = zscore(a), zscore(b)
    delta = float(np.ravel(statistic(b))[0] - np.ravel(statistic(a))[0])
    rng = np.random.default_rng(seed)
    hits = done = 0
    while done < permutations:
        k = min(batch, permutations - done)
        swap = rng.random((k, *a.shape)) < 0.5
        stat_a = np.asarray(statistic(np.where(swap, b, a)))
        stat_b = np.asarray(statistic(np.where(swap, a, b)))
        hits += int(np.sum(stat_b - stat_a >= delta - 1e-12))
        done += k
    return hits / permutations, delta


def perm_pairs(credit_a: np.ndarray, credit_b: np.ndarray, permutations: int = 1000, seed: int = 12345
               ) -> tuple[float, float]:
    """Paired permutation test on pair outcomes (mt-metrics-eval `PairwisePermutationSigDiff`): each metric keeps
    its own calibrated ε; every pair's credit is swapped between the two metrics at random. Returns (p that `b`
    is better, observed difference)."""
    diff = (credit_b - credit_a).ravel()
    diff = diff[diff != 0]
    delta = float(diff.sum())
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, permutations, 50):
        k = min(50, permutations - start)
        signs = np.where(rng.random((k, diff.size)) < 0.5, -1.0, 1.0)
        hits += int(np.sum(signs @ diff >= delta - 1e-12))
    return hits / permutations, delta
