"""Metric–human agreement of a run: the tables of `mteval correlate` and `mteval.correlate` (statistics in
`meta.py`, human score files in `human.py`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MetricError, RunError
from . import meta
from .human import HumanScores, is_reference_system, read_human


@dataclass
class MetricScores:
    """One metric's scores of the systems being correlated, oriented so that higher is better."""

    name: str
    system: np.ndarray  # (systems,)
    segment: np.ndarray  # (systems, segments)
    stats: np.ndarray | None = None  # (systems, segments, k) sufficient statistics
    score: Callable[[np.ndarray], np.ndarray] | None = None  # totals (..., k) → oriented corpus scores


@dataclass
class Correlation:
    """Agreement of each metric with the human scores at one level; `ci` are 95% bootstrap intervals over
    segments, `p_values[metric][statistic]` the paired-test p-value that `metric` agrees better than `versus`."""

    corpus: str
    level: str
    human: str
    systems: list[str]
    unmatched: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    segments: int = 0
    values: dict[str, dict[str, float]] = field(default_factory=dict)
    ci: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)
    p_values: dict[str, dict[str, float]] = field(default_factory=dict)
    versus: str | None = None
    epsilon: dict[str, float] = field(default_factory=dict)  # acc-eq tie thresholds
    human_scores: dict[str, float] = field(default_factory=dict)  # system → human system score
    metric_scores: dict[str, dict[str, float]] = field(default_factory=dict)  # metric → system → corpus score

    def to_dict(self) -> dict[str, Any]:
        def clean(v):
            if isinstance(v, float) and math.isnan(v):
                return None
            return list(v) if isinstance(v, tuple) else v

        nested = {k: {m: {s: clean(v) for s, v in by.items()} for m, by in getattr(self, k).items()}
                  for k in ("values", "ci", "p_values")}
        return {"corpus": self.corpus, "level": self.level, "human": self.human, "systems": self.systems,
                "unmatched": self.unmatched, "excluded": self.excluded, "segments": self.segments,
                "metrics": nested["values"], "ci": nested["ci"], "p_values": nested["p_values"],
                "versus": self.versus, "epsilon": self.epsilon, "human_scores": self.human_scores,
                "metric_scores": self.metric_scores}

    def to_markdown(self) -> str:
        stats = list(next(iter(self.values.values()), {}))
        head = (f"{self.level}-level agreement with {self.human} on {self.corpus} ({len(self.systems)} systems"
                + (f", {self.segments} segments" if self.level == "segment" else "") + ")")
        lines = [head, "", "| metric | " + " | ".join(stats) + " |", "|---|" + "---|" * len(stats)]
        for m, by in self.values.items():
            cells = []
            for s in stats:
                cell = _fmt(by[s])
                if s in self.ci.get(m, {}):
                    lo, hi = self.ci[m][s]
                    cell += f" [{_fmt(lo)}, {_fmt(hi)}]"
                if s in self.p_values.get(m, {}):
                    cell += f" p={self.p_values[m][s]:.3f}"
                cells.append(cell)
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
        notes = []
        if self.ci:
            notes.append("[lo, hi]: 95% bootstrap interval over segments")
        if self.versus:
            notes.append(f"p: paired permutation test that the metric agrees better than {self.versus}")
        if self.epsilon:
            notes.append("acc-eq tie thresholds: " + ", ".join(f"{m} {e:.4g}" for m, e in self.epsilon.items()))
        if self.excluded:
            notes.append(f"human references left out: {', '.join(self.excluded)}")
        if self.unmatched:
            notes.append(f"rated but not in the run: {', '.join(self.unmatched)}")
        return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def _fmt(v: float) -> str:
    return "–" if isinstance(v, float) and math.isnan(v) else f"{v:.3f}"


# --- the statistics of one level ----------------------------------------------------------------------------

def system_agreement(human: np.ndarray, metrics: list[MetricScores], human_segments: np.ndarray | None = None,
                     bootstrap: int = 0, versus: str | None = None, permutations: int = 1000, seed: int = 12345,
                     ) -> tuple[dict, dict, dict]:
    """System-level values, CIs and p-values (vs `versus`) per metric. `human` holds the system scores;
    `human_segments` (systems, segments; NaN unrated) enables SPA and the bootstrap."""
    values: dict[str, dict[str, float]] = {}
    human_p = None
    if human_segments is not None:
        rated = ~np.isnan(human_segments)
        human_stats = np.stack([np.where(rated, human_segments, 0.0), rated.astype(float)], axis=-1)
        human_p = meta.permutation_p_values(human_stats, _mean_score, permutations)
    for m in metrics:
        values[m.name] = {
            "pearson": meta.pearson(m.system, human), "spearman": meta.spearman(m.system, human),
            "kendall": meta.kendall_tau_b(m.system, human), "pairwise_accuracy": meta.pairwise_accuracy(m.system, human),
            "spa": (meta.soft_pairwise_accuracy(human_p, meta.permutation_p_values(m.stats, m.score, permutations))
                    if human_p is not None and m.stats is not None else float("nan")),
        }
    ci: dict[str, dict[str, tuple[float, float]]] = {}
    if bootstrap and human_segments is not None:
        counts = meta.bootstrap_counts(human_segments.shape[1], bootstrap, seed)
        rated = ~np.isnan(human_segments)
        h = (np.where(rated, human_segments, 0.0) @ counts.T / (rated.astype(float) @ counts.T)).T  # (B, systems)
        for m in metrics:
            if m.stats is not None:
                sys_b = np.stack([m.score(np.einsum("bn,nk->bk", counts, m.stats[s]))
                                  for s in range(len(m.system))], axis=1)
            else:
                sys_b = (counts @ m.segment.T) / counts.sum(1, keepdims=True)
            ci[m.name] = {
                "pearson": meta.interval(meta.pearson_rows(sys_b, h)),
                "pairwise_accuracy": meta.interval(meta.pairwise_accuracy(sys_b, h)),
                "spearman": meta.interval(np.array([meta.spearman(a, b) for a, b in zip(sys_b, h)])),
                "kendall": meta.interval(np.array([meta.kendall_tau_b(a, b) for a, b in zip(sys_b, h)])),
            }
    p_values: dict[str, dict[str, float]] = {}
    base = next((m for m in metrics if m.name == versus), None)
    for m in metrics:
        if base is None or m is base:
            continue
        p_values[m.name] = {
            "pearson": meta.perm_both(lambda x: meta.pearson_rows(np.atleast_2d(x), human[None]), base.system,
                                      m.system, permutations, seed)[0],
            "pairwise_accuracy": meta.perm_both(lambda x: meta.pairwise_accuracy(np.atleast_2d(x), human),
                                                base.system, m.system, permutations, seed)[0],
        }
    return values, ci, p_values


def _mean_score(totals: np.ndarray) -> np.ndarray:
    return totals[..., 0] / totals[..., 1]


def _kendall_flat_batch(human: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    def stat(x: np.ndarray) -> np.ndarray:
        return np.array([meta.kendall_flat(human, row) for row in x.reshape(-1, *human.shape)])
    return stat


def _pearson_flat(human: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    rated = ~np.isnan(human)

    def stat(x: np.ndarray) -> np.ndarray:
        rows = x.reshape(-1, *human.shape)[:, rated]
        return meta.pearson_rows(rows, np.broadcast_to(human[rated], rows.shape))
    return stat


def segment_agreement(human: np.ndarray, metrics: list[MetricScores], raw: np.ndarray | None = None,
                      bootstrap: int = 0, versus: str | None = None, permutations: int = 1000, seed: int = 12345,
                      ) -> tuple[dict, dict, dict, dict]:
    """Segment-level values, CIs, p-values (vs `versus`) and acc-eq thresholds per metric. `human` (systems,
    segments) has NaN where unrated; `raw` (DA raw scores) adds the DARR Kendall-like statistic."""
    values: dict[str, dict[str, float]] = {}
    acc: dict[str, meta.AccEq] = {}
    items: dict[str, np.ndarray] = {}
    for m in metrics:
        items[m.name] = meta.kendall_items(human, m.segment)
        acc[m.name] = meta.acc_eq(human, m.segment)
        values[m.name] = {
            "kendall": meta.kendall_flat(human, m.segment),
            "kendall_item": meta.mean_finite(items[m.name]),
            "acc_eq": acc[m.name].accuracy,
            "pearson": float(_pearson_flat(human)(m.segment)[0]),
        }
        if raw is not None:
            values[m.name]["kendall_darr"] = meta.darr_kendall(raw, m.segment)[0]
    ci: dict[str, dict[str, tuple[float, float]]] = {}
    if bootstrap:
        counts = meta.bootstrap_counts(human.shape[1], bootstrap, seed).astype(np.float64)
        rated = ~np.isnan(human)
        for m in metrics:
            flat = []
            for row in counts:
                idx = np.repeat(np.arange(len(row)), row.astype(np.int64))
                flat.append(meta.kendall_flat(human[:, idx], m.segment[:, idx]))
            h, x = np.where(rated, human, 0.0), np.where(rated, m.segment, 0.0)
            n, sh, sx, shx, shh, sxx = (counts @ v.sum(0) for v in (rated, h, x, h * x, h * h, x * x))
            cov = shx / n - (sh / n) * (sx / n)
            var_h = shh / n - (sh / n) ** 2
            var_x = sxx / n - (sx / n) ** 2
            ci[m.name] = {
                "kendall": meta.interval(np.array(flat)),
                "kendall_item": meta.interval(meta.weighted_mean(items[m.name], counts)),
                "acc_eq": meta.interval(meta.weighted_mean(acc[m.name].per_item(), counts)),
                "pearson": meta.interval(cov / np.sqrt(var_h * var_x)),
            }
    p_values: dict[str, dict[str, float]] = {}
    base = next((m for m in metrics if m.name == versus), None)
    for m in metrics:
        if base is None or m is base:
            continue
        p_values[m.name] = {
            "kendall": meta.perm_both(_kendall_flat_batch(human), base.segment, m.segment, permutations, seed)[0],
            "kendall_item": meta.perm_both(lambda x: np.nanmean(meta.kendall_items(human, x), axis=-1),
                                           base.segment, m.segment, permutations, seed)[0],
            "acc_eq": meta.perm_pairs(acc[base.name].credit, acc[m.name].credit, permutations, seed)[0],
            "pearson": meta.perm_both(_pearson_flat(human), base.segment, m.segment, permutations, seed)[0],
        }
    return values, ci, p_values, {name: a.epsilon for name, a in acc.items()}


# --- a run folder against a human score file ----------------------------------------------------------------

def _run_metrics(rundir, corpus: str, systems: list[str], all_systems: dict[str, dict]) -> list[MetricScores]:
    """The run's metrics on `systems`: corpus scores, sentence scores (segments.jsonl) and statistics (stats/)."""
    from ..textio import read_jsonl
    from . import make_metrics
    from .formulas import scores_from_totals

    first = next(iter(all_systems.values()), {})
    names = [m for m in first if all(m in all_systems[s] for s in systems)]
    higher = {m: first[m].get("higher_is_better", True) for m in names}
    index = {s: i for i, s in enumerate(systems)}
    n_seg = 0
    sentence: dict[str, dict[tuple[int, int], float]] = {m: {} for m in names}
    for _, row in read_jsonl(rundir.segments):
        if row.get("corpus") == corpus and row.get("system") in index:
            n_seg = max(n_seg, row["segment"] + 1)
            for m, v in (row.get("scores") or {}).items():
                if m in sentence and v is not None:
                    sentence[m][(index[row["system"]], row["segment"])] = v
    stats: dict[str, dict[str, np.ndarray]] = {}
    path = rundir.stats(corpus)
    if path.is_file():
        with np.load(path) as npz:
            for key in npz.files:
                system, _, metric = key.partition("|")
                stats.setdefault(metric, {})[system] = npz[key]
    tgt = (rundir.load_manifest().get("corpora", {}).get(corpus, {}) or {}).get("tgt_lang") or "en"
    out = []
    for name in names:
        sign = 1.0 if higher[name] else -1.0
        seg = np.full((len(systems), n_seg), np.nan)
        for (i, j), v in sentence[name].items():
            seg[i, j] = v
        if np.isnan(seg).any():
            raise RunError(f"{rundir.segments}: metric {name!r} has no sentence score for some segments")
        metric_stats, score = None, None
        if all(s in stats.get(name, {}) for s in systems):
            try:
                metric = make_metrics([name], tgt)[0]
            except MetricError:  # a metric this installation does not know: no SPA or system-level bootstrap
                metric = None
            if metric is not None:
                metric_stats = np.stack([stats[name][s] for s in systems]).astype(np.float64)

                def score(totals, metric=metric, sign=sign):
                    flat = np.asarray(totals, np.float64).reshape(-1, totals.shape[-1])
                    return sign * scores_from_totals(metric, flat).reshape(totals.shape[:-1])
        out.append(MetricScores(name, sign * np.array([all_systems[s][name]["score"] for s in systems]),
                                sign * seg, metric_stats, score))
    return out


def correlate(run: str | Path, human: str | Path, level: str = "system", corpus: str | None = None,
              score: str = "z", exclude_refs: bool = False, documents: str | Path | None = None,
              bootstrap: int = 0, versus: str | None = None, permutations: int = 1000, seed: int = 12345,
              ) -> Correlation:
    """Agreement of every metric of a run with human scores (see `mteval correlate --help`)."""
    from ..runs.layout import RunDir

    rundir = RunDir(run)
    scores = rundir.read_json(rundir.scores)
    if corpus is None:
        if len(scores) != 1:
            raise RunError(f"{rundir.scores}: {len(scores)} corpora ({', '.join(scores)}); choose one with --corpus")
        corpus = next(iter(scores))
    if corpus not in scores:
        raise RunError(f"{rundir.scores}: no corpus {corpus!r} (corpora: {', '.join(scores)})")
    judged: HumanScores = read_human(human, score, documents)
    rated = {s for s, _ in judged.segment} | set(judged.system)
    excluded = sorted(s for s in rated if is_reference_system(s)) if exclude_refs else []
    judged = judged.without(set(excluded))
    if level == "segment" and not judged.segment:
        raise RunError(f"{human}: has no segment-level scores (use --level system)")
    run_systems = scores[corpus]
    human_sys = judged.system_level()
    names = set(human_sys) if level == "system" else {s for s, _ in judged.segment}
    systems = sorted(s for s in run_systems if s in names)
    if len(systems) < 2:
        raise RunError(f"{human}: {len(systems)} of its systems in {rundir.scores} corpus {corpus!r}; "
                       f"need at least 2")
    if versus is not None and not all(versus in run_systems[s] for s in systems):
        raise RunError(f"{rundir.scores}: no metric {versus!r} on corpus {corpus!r}")
    metrics = _run_metrics(rundir, corpus, systems, run_systems)
    n_seg = metrics[0].segment.shape[1] if metrics else 0
    matrix = raw = None
    if judged.segment:
        matrix, raw = np.full((len(systems), n_seg), np.nan), np.full((len(systems), n_seg), np.nan)
        index = {s: i for i, s in enumerate(systems)}
        for (s, j), (v, r) in judged.segment.items():
            if s in index:
                if j >= n_seg:
                    raise RunError(f"{human}: segment {j + 1} of {s} is beyond the {n_seg} segments of the run")
                matrix[index[s], j], raw[index[s], j] = v, r
    result = Correlation(corpus, level, str(human), systems, sorted(names - set(run_systems)), excluded, n_seg,
                         versus=versus, human_scores={s: human_sys[s] for s in systems if s in human_sys},
                         metric_scores={m.name: {s: run_systems[s][m.name]["score"] for s in systems}
                                        for m in metrics})
    if level == "system":
        h = np.array([human_sys[s] for s in systems])
        result.values, result.ci, result.p_values = system_agreement(
            h, metrics, matrix if judged.segment and not judged.system else None, bootstrap, versus,
            permutations, seed)
    else:
        result.values, result.ci, result.p_values, result.epsilon = segment_agreement(
            matrix, metrics, raw if judged.kind == "da" else None, bootstrap, versus, permutations, seed)
    return result
