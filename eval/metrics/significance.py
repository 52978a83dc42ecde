"""Paired significance for many systems at once: bootstrap CIs, paired bootstrap and approximate-randomisation
p-values against a baseline, and WMT-style significance clusters.

Every system is resampled with the SAME indices (paired), drawn exactly as `sacrebleu.significance` draws them
(`numpy.random.default_rng(seed).choice(n, (resamples, n))`), so with the same seed the numbers agree with
sacreBLEU's `--paired-bs` / `--paired-ar`. Resampled corpus totals of all systems and metrics come from one
matrix product (resample counts × per-segment statistics), and scores from totals are vectorised per metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..progress import track
from . import Metric
from .formulas import scores_from_totals

CHUNK = 250  # resamples per block (bounds memory to CHUNK × segments)


@dataclass
class Settings:
    """`significance:` config section / `mteval score --bootstrap --ar --seed --baseline --alpha`."""

    bootstrap: int = 1000
    ar: int = 0
    seed: int | None = 12345
    baseline: str | None = None
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if self.bootstrap < 0 or self.ar < 0:
            raise ConfigError(f"significance: resample counts must be >= 0 (bootstrap {self.bootstrap}, ar {self.ar})")
        if not 0 < self.alpha < 1:
            raise ConfigError(f"significance: alpha must be between 0 and 1, got {self.alpha}")

    @property
    def enabled(self) -> bool:
        return self.bootstrap > 0 or self.ar > 0


def vector_scores(metric: Metric, totals: np.ndarray) -> np.ndarray:
    """Corpus scores for many rows of summed statistics (`totals` shape (rows, k)); sacreBLEU's formulas."""
    return scores_from_totals(metric, totals)


def resample_counts(n: int, resamples: int, seed: int | None):
    """Yield blocks of the (resamples, n) matrix counting how often each segment is drawn, from the same index
    stream as sacreBLEU (`default_rng(seed).choice(n, size=(resamples, n))`, generated block by block)."""
    rng = np.random.default_rng(seed)
    done = 0
    while done < resamples:
        rows = min(CHUNK, resamples - done)
        idx = rng.choice(n, size=(rows, n), replace=True)
        flat = (idx + np.arange(rows)[:, None] * n).ravel()
        done += rows
        yield np.bincount(flat, minlength=rows * n).reshape(rows, n).astype(np.float64)


def ar_masks(n: int, trials: int, seed: int | None):
    """Yield blocks of sacreBLEU's approximate-randomisation swap masks (`rng.integers(2, (trials, n), bool)`)."""
    rng = np.random.default_rng(seed)
    done = 0
    while done < trials:
        rows = min(1024, trials - done)  # whole 32-bit words per block keep the stream equal to one call
        yield rng.integers(2, size=(rows, n), dtype=bool)
        done += rows


def _p_value(sample_stats: np.ndarray, observed: float) -> float:
    """sacreBLEU's `_compute_p_value`: (#samples with a larger statistic + 1) / (#samples + 1)."""
    return float((np.sum(sample_stats > observed) + 1) / (len(sample_stats) + 1))


def bootstrap_p(resampled: np.ndarray, scores: np.ndarray, a: int, b: int) -> float:
    """Paired bootstrap p-value of the difference between systems a and b (sacreBLEU `_paired_bs_test`).

    Systems that score the same on every resample get 1.0 (sacreBLEU's formula would give 1 / (resamples + 1))."""
    diffs = np.abs(resampled[:, a] - resampled[:, b])
    if scores[a] == scores[b] and not diffs.any():
        return 1.0
    return _p_value(diffs - diffs.mean(), abs(scores[a] - scores[b]))


def ci_bounds(samples: np.ndarray) -> tuple[float, float]:
    """95% percentile interval with sacreBLEU's order statistics (`n // 40` from each end)."""
    s = np.sort(samples)
    lo = len(s) // 40
    return float(s[lo]), float(s[len(s) - lo - 1])


def clusters(order: list[int], resampled: np.ndarray, scores: np.ndarray, alpha: float,
             higher_is_better: bool = True) -> dict[int, int]:
    """WMT-style ranking with ties: walking from the best system down, a system joins the current cluster unless
    it is significantly worse (paired bootstrap p < alpha) than one of the cluster's members; then it opens the
    next cluster. Returns system position → cluster number (1 = top)."""
    out: dict[int, int] = {}
    members: list[int] = []
    number = 1
    for s in order:
        better = [m for m in members if (scores[m] > scores[s]) == higher_is_better and scores[m] != scores[s]]
        if any(bootstrap_p(resampled, scores, m, s) < alpha for m in better):
            number += 1
            members = []
        members.append(s)
        out[s] = number
    return out


def analyse(metrics: list[Metric], stats: dict[str, dict[str, np.ndarray]], settings: Settings
            ) -> dict[str, dict[str, dict[str, Any]]]:
    """`{system: {metric: {"ci", "p_value", ["p_value_ar"], "cluster", "baseline"}}}` for one corpus.

    `stats[system][metric]` are per-segment statistics (all systems on the same segments).
    """
    systems = list(stats)
    out: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in systems}
    if not systems or not metrics:
        return out
    n = len(next(iter(stats[systems[0]].values())))
    if n == 0:
        return out
    # one (segments, Σk) matrix: every system × metric block side by side
    blocks: list[tuple[Metric, int, int, int]] = []  # (metric, system index, start, stop)
    columns = []
    start = 0
    for m in metrics:
        for i, s in enumerate(systems):
            st = np.asarray(stats[s][m.name], dtype=np.float64)
            columns.append(st)
            blocks.append((m, i, start, start + st.shape[1]))
            start += st.shape[1]
    full = np.concatenate(columns, axis=1)
    totals = full.sum(axis=0)
    # integer statistics whose resampled sums stay below 2**24 are summed exactly in float32 (twice as fast)
    if np.array_equal(full, np.rint(full)) and n * float(np.abs(full).max(initial=0)) < 2**24:
        full = full.astype(np.float32)
    scores = {m.name: np.zeros(len(systems)) for m in metrics}
    for m, i, a, b in blocks:
        scores[m.name][i] = float(vector_scores(m, totals[None, a:b])[0])
    resampled = {m.name: np.zeros((0, len(systems))) for m in metrics}
    if settings.bootstrap > 0:
        parts: dict[str, list[np.ndarray]] = {m.name: [] for m in metrics}
        chunks = resample_counts(n, settings.bootstrap, settings.seed)
        for counts in track(chunks, "bootstrap", settings.bootstrap, "resamples", size=len):
            rt = (counts.astype(full.dtype) @ full).astype(np.float64)
            for m in metrics:
                cols = [vector_scores(m, rt[:, a:b]) for mm, _, a, b in blocks if mm is m]
                parts[m.name].append(np.column_stack(cols))
        resampled = {name: np.concatenate(p) for name, p in parts.items()}
    for m in metrics:
        sc, rs = scores[m.name], resampled[m.name]
        sign = 1.0 if m.higher_is_better else -1.0
        order = sorted(range(len(systems)), key=lambda i: (-sign * sc[i], i))
        base = systems.index(settings.baseline) if settings.baseline in systems else order[0]
        cl = clusters(order, rs, sc, settings.alpha, m.higher_is_better) if len(rs) else {}
        for i, s in enumerate(systems):
            entry: dict[str, Any] = {"baseline": systems[base]}
            if len(rs):
                entry["ci"] = list(ci_bounds(rs[:, i]))
                entry["p_value"] = None if i == base else bootstrap_p(rs, sc, i, base)
                entry["cluster"] = cl[i]
            out[s][m.name] = entry
    if settings.ar > 0:
        _add_ar(metrics, systems, stats, settings, scores, out, n)
    return out


def _add_ar(metrics: list[Metric], systems: list[str], stats: dict[str, dict[str, np.ndarray]], settings: Settings,
            scores: dict[str, np.ndarray], out: dict[str, dict[str, dict[str, Any]]], n: int) -> None:
    """Paired approximate randomisation against each metric's baseline (sacreBLEU `_paired_ar_test`)."""
    for m in metrics:
        base_name = out[systems[0]][m.name]["baseline"]
        base = systems.index(base_name)
        bl = np.asarray(stats[base_name][m.name], dtype=np.float64)
        others = [i for i in range(len(systems)) if i != base]
        if not others:
            continue
        k = bl.shape[1]
        deltas = np.concatenate([bl - np.asarray(stats[systems[i]][m.name], dtype=np.float64) for i in others],
                                axis=1)
        sys_totals = np.concatenate([np.asarray(stats[systems[i]][m.name], dtype=np.float64).sum(0)
                                     for i in others])
        both = np.tile(bl.sum(0), len(others)) + sys_totals
        diffs: list[np.ndarray] = []
        for mask in ar_masks(n, settings.ar, settings.seed):
            a = sys_totals[None, :] + mask.astype(np.float64) @ deltas  # shuffled pseudo-system A
            b = both[None, :] - a
            cols = [np.abs(vector_scores(m, a[:, j * k:(j + 1) * k]) - vector_scores(m, b[:, j * k:(j + 1) * k]))
                    for j in range(len(others))]
            diffs.append(np.column_stack(cols))
        d = np.concatenate(diffs)
        for j, i in enumerate(others):
            observed = abs(scores[m.name][base] - scores[m.name][i])
            out[systems[i]][m.name]["p_value_ar"] = _p_value(d[:, j], observed)
        out[base_name][m.name]["p_value_ar"] = None
