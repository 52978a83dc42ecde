"""Metric–human agreement: read human scores (WMT DA files first), correlate them with a run's metric scores.

System level: Pearson, Spearman, Kendall tau-b and pairwise ranking accuracy (the share of system pairs the
metric orders as the humans do, Kocmi et al. 2021). Segment level: the WMT DARR Kendall tau-like statistic (pairs
of translations of the same source whose raw human scores differ by more than 25 points; a metric tie counts as
discordant), plus the plain Pearson correlation over all judged segments.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import CorpusError
from .textio import read_text

DARR_MARGIN = 25.0
_SYS_ID = re.compile(r"^(.*)\.\d+$")  # WMT DA files name systems "JDExploreAcademy.6"


@dataclass
class HumanScores:
    """Human judgements: per system (`system`), and per system and 0-based segment (`segment`: z, raw)."""

    source: str
    system: dict[str, float] = field(default_factory=dict)
    segment: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)

    def system_level(self) -> dict[str, float]:
        """System scores as given, else the mean of each system's segment scores (as WMT ranks DA)."""
        if self.system:
            return self.system
        sums: dict[str, list[float]] = defaultdict(list)
        for (system, _), (z, _raw) in self.segment.items():
            sums[system].append(z)
        return {s: float(np.mean(v)) for s, v in sums.items()}


def _wmt_name(name: str) -> str:
    m = _SYS_ID.match(name)
    return m.group(1) if m else name


def _float(value: str, where: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise CorpusError(f"{where}: expected a number, got {value!r}") from None


def read_human(path: str | Path, score: str = "z") -> HumanScores:
    """Read human scores. Formats, recognised by their first line:

    - WMT DA segment scores (`ad-seg-scores-*.csv`, header `SYS SID RAW.SCR Z.SCR N`; SID is the 1-based line);
    - WMT DA system scores (`ad-sys-scores-*.csv`, header `RAW.SCR Z.SCR N SYS N.ALL`);
    - WMT DA system rankings (`ad-sys-ranking-*.csv`, no header: raw, z, N, N.all, system id[, name]);
    - a TSV with header `system<TAB>score` or `system<TAB>segment<TAB>score` (0-based segment).
    `score` picks the WMT column: `z` (standardised, the official one) or `raw`.
    """
    text = read_text(path)
    lines = [(i, line) for i, line in enumerate(text.split("\n"), 1) if line.strip()]
    if not lines:
        raise CorpusError(f"{path}: file is empty")
    out = HumanScores(str(path))
    header = lines[0][1].split()
    pick_z = score == "z"
    if header[:4] == ["SYS", "SID", "RAW.SCR", "Z.SCR"]:
        for i, line in lines[1:]:
            cols = line.split()
            if len(cols) < 4:
                raise CorpusError(f"{path}:{i}: expected SYS SID RAW.SCR Z.SCR, got {line!r}")
            sid = int(_float(cols[1], f"{path}:{i}"))
            raw, z = _float(cols[2], f"{path}:{i}"), _float(cols[3], f"{path}:{i}")
            out.segment[(_wmt_name(cols[0]), sid - 1)] = (z if pick_z else raw, raw)
    elif header[:4] == ["RAW.SCR", "Z.SCR", "N", "SYS"]:
        for i, line in lines[1:]:
            cols = line.split()
            out.system[_wmt_name(cols[3])] = _float(cols[1] if pick_z else cols[0], f"{path}:{i}")
    elif "\t" in lines[0][1] and header[0].lower() == "system":
        names = [h.lower() for h in lines[0][1].split("\t")]
        for i, line in lines[1:]:
            cols = line.split("\t")
            if len(cols) != len(names):
                raise CorpusError(f"{path}:{i}: expected {len(names)} tab-separated columns, got {len(cols)}")
            value = _float(cols[-1], f"{path}:{i}")
            if len(names) == 3:
                seg = int(_float(cols[1], f"{path}:{i}"))
                out.segment[(cols[0], seg)] = (value, value)
            else:
                out.system[cols[0]] = value
    else:
        for i, line in lines:
            cols = line.split()
            if len(cols) not in (5, 6):
                raise CorpusError(f"{path}:{i}: unrecognised human-score format (see `mteval correlate --help`)")
            name = cols[5] if len(cols) == 6 else _wmt_name(cols[4])
            out.system[name] = _float(cols[1] if pick_z else cols[0], f"{path}:{i}")
    return out


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean rank), as Spearman needs."""
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    sx = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sx[j + 1] == sx[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    dx, dy = x - x.mean(), y - y.mean()
    denom = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy / denom) if denom else float("nan")


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    return pearson(_ranks(np.asarray(x, float)), _ranks(np.asarray(y, float)))


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall tau-b (ties in either variable accounted for); O(n²), for system-level sizes."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    sx = np.sign(x[:, None] - x[None, :])
    sy = np.sign(y[:, None] - y[None, :])
    iu = np.triu_indices(len(x), 1)
    a, b = sx[iu], sy[iu]
    denom = math.sqrt(float(np.count_nonzero(a)) * float(np.count_nonzero(b)))
    return float((a * b).sum() / denom) if denom else float("nan")


def pairwise_accuracy(metric: np.ndarray, human: np.ndarray) -> float:
    """Share of system pairs whose metric difference has the sign of the human difference."""
    m, h = np.asarray(metric, float), np.asarray(human, float)
    iu = np.triu_indices(len(m), 1)
    dm = np.sign(m[:, None] - m[None, :])[iu]
    dh = np.sign(h[:, None] - h[None, :])[iu]
    return float(np.mean(dm == dh)) if len(dm) else float("nan")


def system_correlations(metric_scores: dict[str, float], human: dict[str, float], higher_is_better: bool = True
                        ) -> dict[str, float]:
    """Correlations over the systems in both; metrics where lower is better (TER) are negated first."""
    systems = [s for s in metric_scores if s in human]
    sign = 1.0 if higher_is_better else -1.0
    m = np.array([sign * metric_scores[s] for s in systems])
    h = np.array([human[s] for s in systems])
    return {"systems": len(systems), "pearson": pearson(m, h), "spearman": spearman(m, h),
            "kendall": kendall_tau_b(m, h), "pairwise_accuracy": pairwise_accuracy(m, h)}


def darr_kendall(metric: dict[tuple[str, int], float], human: dict[tuple[str, int], tuple[float, float]],
                 higher_is_better: bool = True, margin: float = DARR_MARGIN) -> dict[str, float]:
    """WMT DARR Kendall tau-like: over pairs of systems judged on the same segment whose raw scores differ by more
    than `margin`, (concordant − discordant) / (concordant + discordant); a metric tie is discordant."""
    by_segment: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for key, (_, raw) in human.items():
        if key in metric:
            by_segment[key[1]].append((raw, metric[key] if higher_is_better else -metric[key]))
    conc = disc = 0
    for items in by_segment.values():
        if len(items) < 2:
            continue
        arr = np.array(items)
        iu = np.triu_indices(len(arr), 1)
        dh = (arr[:, 0][:, None] - arr[:, 0][None, :])[iu]
        dm = (arr[:, 1][:, None] - arr[:, 1][None, :])[iu]
        keep = np.abs(dh) > margin
        agree = np.sign(dh[keep]) == np.sign(dm[keep])
        conc += int(agree.sum())
        disc += int((~agree).sum())
    total = conc + disc
    return {"pairs": total, "kendall_darr": (conc - disc) / total if total else float("nan")}


def segment_correlations(metric: dict[tuple[str, int], float], human: dict[tuple[str, int], tuple[float, float]],
                         higher_is_better: bool = True) -> dict[str, float]:
    keys = [k for k in human if k in metric]
    sign = 1.0 if higher_is_better else -1.0
    m = np.array([sign * metric[k] for k in keys])
    h = np.array([human[k][0] for k in keys])
    out = {"segments": len(keys), "pearson": pearson(m, h) if len(keys) > 1 else float("nan")}
    out.update(darr_kendall(metric, human, higher_is_better))
    return out
