"""flags-mqm vs chrF on WMT22 zh→en MQM (segment level), and the speed of the meta-evaluation statistics.

The 14 MQM-rated MT systems × 1875 segments, reference A. For each evidence mode — `reference` (reference A),
`systems` (reference A plus the other 13 systems' outputs) — both metrics get the same evidence: chrF is
sentence chrF against reference A, or multi-reference sentence chrF against reference A and the other systems
(sacreBLEU's rule: the best-matching reference); flags-mqm runs the flag detectors with that evidence. Printed
per statistic (no-grouping Kendall tau-b, item-grouped tau-b, acc-eq): both values with 95% bootstrap CIs and the
paired permutation p-value that flags-mqm agrees better than chrF. The flags version measured (commit of
eval/flags, whether flags carry a confidence) is printed first, so the figures can be re-run after the flag
detectors change.

Speed: the statistics of 4 metric matrices (14 × 1875) by `mteval.metrics.meta`, against the same statistics
computed the way mt-metrics-eval does (scipy per item, tau optimisation by a Python sweep over pairs), same run
(`--parts speed` alone times sentence chrF and BLEU against reference A and against B, without flagging).

Run from the repository root: `.venv/bin/python benchmarks/bench_meta.py [--bootstrap 1000] [--permutations
1000] [--repeat 3] [--parts agreement,speed]`.
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
WMT, MQM = SHARED / "wmt22-general-zhen", SHARED / "mqm-wmt22-zhen"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import load_report, ratio_spread, spread


def read(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").rstrip("\n").split("\n")


def load() -> tuple[list[str], dict[str, list[str]], list[str], np.ndarray]:
    rows = [line.split("\t") for line in read(MQM / "segment-scores.tsv")[1:]]
    systems = sorted({r[0] for r in rows} - {"refA", "refB"})
    human = np.full((len(systems), 1875), np.nan)
    for system, seg, _, score in rows:
        if system in systems:
            human[systems.index(system), int(seg) - 1] = float(score)
    hyps = {}
    for s in systems:
        path = WMT / f"system-outputs/generaltest2022.zh-en.hyp.{s}.en"
        hyps[s] = read(path if path.is_file() else MQM / f"system-outputs-extra/generaltest2022.zh-en.hyp.{s}.en")
    return read(WMT / "sources/generaltest2022.zh-en.src.zh"), hyps, read(
        WMT / "references/generaltest2022.zh-en.ref.A.en"), human


def sentence_scores(hyps: dict[str, list[str]], ref: list[str], with_systems: bool, metric: str = "chrf"
                    ) -> np.ndarray:
    """Sentence scores against reference A, or against reference A and the other systems (multi-reference)."""
    from mteval.metrics import make_metrics

    m = make_metrics([metric], "en")[0]
    out = []
    for name, lines in hyps.items():
        refs = [ref] + ([h for o, h in hyps.items() if o != name] if with_systems else [])
        out.append(m.sentence_scores(m.stats(lines, refs)))
    return np.array(out)


def flags_scores(src, hyps, ref, evidence: str) -> np.ndarray:
    from mteval.metrics import make_metrics

    metric = make_metrics([{"name": "flags-mqm", "evidence": evidence}], "en")[0]
    stats = metric.stats_systems(hyps, [ref], src)
    return np.array([stats[name][:, 0] for name in hyps]), metric.signature()


def loops_item_kendall(h: np.ndarray, m: np.ndarray) -> float:
    from scipy.stats import kendalltau

    return float(np.nanmean([kendalltau(h[:, j], m[:, j])[0] for j in range(h.shape[1])]))


def loops_acc_eq(h: np.ndarray, m: np.ndarray) -> float:
    """mt-metrics-eval's tau_optimization sweep (acc23, items as rows), pair by pair."""
    pairs, rows = [], {}
    for j in range(h.shape[1]):
        for a, b in itertools.combinations(range(h.shape[0]), 2):
            dh, dm = h[a, j] - h[b, j], m[a, j] - m[b, j]
            right = int((dh == 0 and dm == 0) or dh * dm > 0)
            pairs.append((abs(dm), j, right, int(dh == 0)))
            c, n = rows.get(j, (0, 0))
            rows[j] = (c + right, n + 1)
    rows = {j: list(v) for j, v in rows.items()}
    total = sum(c / n for c, n in rows.values())
    best = total
    pairs.sort()
    for k, (diff, j, right, tie) in enumerate(pairs):
        total -= rows[j][0] / rows[j][1]
        rows[j][0] += tie - right
        total += rows[j][0] / rows[j][1]
        if k + 1 == len(pairs) or pairs[k + 1][0] != diff:  # a threshold ties every pair with that difference
            best = max(best, total)
    return best / len(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--permutations", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="repeats of the speed comparison")
    ap.add_argument("--parts", default="agreement,speed",
                    help="agreement (flags-mqm vs chrF), speed (statistics vs loops; alone it times chrF and BLEU)")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    from mteval.flags import Flag

    commit = subprocess.run(["git", "log", "-1", "--format=%h %cs %s", "--", "eval/flags"], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout.strip()
    print(f"flags version: eval/flags at {commit or 'unknown'}; Flag has confidence: "
          f"{'confidence' in getattr(Flag, '__dataclass_fields__', {})}")
    src, hyps, ref, human = load()
    print(f"{len(hyps)} systems × {human.shape[1]} segments, reference A")
    matrices = {}
    if "agreement" in parts:
        with load_report("agreement", cores=1):
            for evidence in ("reference", "systems"):
                matrices[evidence] = agreement(args, src, hyps, ref, human, evidence)
    if "speed" in parts:
        with load_report("speed", cores=1):
            speed(args, hyps, ref, human, matrices)


def agreement(args: argparse.Namespace, src, hyps, ref, human, evidence: str) -> tuple[np.ndarray, np.ndarray]:
    """flags-mqm vs chrF with the same `evidence`: prints the table, returns both score matrices."""
    from mteval.metrics.correlation import MetricScores, segment_agreement

    start = time.perf_counter()
    flags, signature = flags_scores(src, hyps, ref, evidence)
    took = time.perf_counter() - start
    chrf = sentence_scores(hyps, ref, evidence == "systems")
    metrics = [MetricScores("chrf", chrf.mean(1), chrf), MetricScores("flags-mqm", flags.mean(1), flags)]
    values, ci, p, eps = segment_agreement(human, metrics, None, args.bootstrap, "chrf", args.permutations)
    print(f"\nevidence: {evidence}  ({signature}; flagging took {took:.0f} s)")
    print("| statistic | chrF | flags-mqm | p (flags-mqm better) |\n|---|---|---|---|")
    for stat in ("kendall", "kendall_item", "acc_eq"):
        cells = [f"{values[m][stat]:.3f} [{ci[m][stat][0]:.3f}, {ci[m][stat][1]:.3f}]" for m in ("chrf", "flags-mqm")]
        print(f"| {stat} | {cells[0]} | {cells[1]} | {p['flags-mqm'][stat]:.4f} |")
    print(f"acc-eq tie thresholds: chrF {eps['chrf']:.4g}, flags-mqm {eps['flags-mqm']:.4g}")
    return chrf, flags


def speed(args: argparse.Namespace, hyps, ref, human, matrices: dict) -> None:
    """The statistics of 4 metric matrices, ours vs loops, `args.repeat` times (the same values asserted)."""
    from mteval.metrics import meta

    ref_b = read(WMT / "references/generaltest2022.zh-en.ref.B.en")
    four = [m for pair in matrices.values() for m in pair] or [
        sentence_scores(hyps, r, False, metric) for r in (ref, ref_b) for metric in ("chrf", "bleu")]
    ours, loops = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        fast = [(meta.kendall_flat(human, m), meta.kendall_item_grouped(human, m), meta.acc_eq(human, m).accuracy)
                for m in four]
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        slow = [(meta.kendall_flat(human, m), loops_item_kendall(human, m), loops_acc_eq(human, m)) for m in four]
        loops.append(time.perf_counter() - start)
        assert np.allclose(fast, slow, atol=1e-9), (fast, slow)
    print(f"\nstatistics of 4 metrics × 14 systems × 1875 segments: ours {spread(ours)} s, "
          f"mt-metrics-eval-style loops {spread(loops)} s: {ratio_spread(loops, ours)} faster")


if __name__ == "__main__":
    main()
