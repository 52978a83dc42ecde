"""Corpus scores from summed sufficient statistics, for many rows at once (bootstrap resamples), exactly as
sacreBLEU computes them for one."""

from __future__ import annotations

import numpy as np


def chrf_f(stats: np.ndarray, beta: int) -> np.ndarray:
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
        return chrf_f(totals, sb.beta)
    if isinstance(sb, TER):
        edits, ref = totals[:, 0], totals[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            return 100 * np.where(ref > 0, edits / np.where(ref > 0, ref, 1), np.where(edits > 0, 1.0, 0.0))
    return None


def scores_from_totals(metric, totals: np.ndarray) -> np.ndarray:
    """Corpus scores of an `mteval.metrics.Metric` for many rows of totals (vectorised for sacreBLEU metrics)."""
    sb = getattr(metric, "sb", None)
    fast = sacre_scores(sb, totals) if sb is not None else None
    if fast is not None:
        return fast
    return np.array([metric.score_from_totals(row) for row in np.atleast_2d(totals)], dtype=np.float64)
