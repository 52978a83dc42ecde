"""Flag quality on the held-out half of WMT21 newstest zh→en MQM, with the all-major baseline of the same rows.

    .venv/bin/python benchmarks/bench_flags_quality.py [--split held-out] [--mode MODE ...]

Split (`eval.flags.mqm.dev_split`): documents sorted by id, the 1st, 3rd, 5th … are the development half (what
`fit_flags.py` fits on), the 2nd, 4th … are held out. For each evidence mode it prints character P/R/F1 (WMT23 QE
task-2 rule: pooled, wrong severity = half credit), the ratio to the baseline and the issue's target, the share
of the 10% most confident flags' characters inside an expert span, the reliability table of `confidence`, per
system the share of rows with a major flag against the experts' share, and (with references or other systems) how
often the 1% and 10% of output words the learned word model ranks most likely wrong are inside an expert span: the
precision its evidence allows at the top of the ranking.
"""

from __future__ import annotations

import argparse
import sys
import time
from itertools import pairwise
from pathlib import Path

import numpy as np
from mteval.flags import flag_segments, make_detectors, support
from mteval.flags.calibration import overlaps
from mteval.flags.mqm import BASELINE, all_major, dev_split, evaluate, load_gold, segments_for, word_labels

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import load_report

GOLD = Path(__file__).resolve().parent.parent.parent / "shared/data/mqm-newstest2021-zhen/spans.tsv"
TARGETS = {"reference-free": 1.1, "reference": 1.4, "consensus": None, "reference+consensus": 1.6}
BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.01)

def inside_share(rows, flags) -> tuple[float, int]:
    """Share of the flags' characters inside an expert span (any severity), and the characters counted."""
    inside = total = 0
    for f in flags:
        row = rows[f.segment]
        shift = len(row.target) - len(row.target.lstrip())
        gold = np.zeros(len(row.target), bool)
        for s, e, _ in row.spans:
            gold[s:e] = True
        span = gold[f.start + shift:f.end + shift]
        inside += int(span.sum())
        total += len(span)
    return (inside / total if total else 0.0), total



def reliability(rows, flags) -> list[tuple[str, int, float, float, float]]:
    """Per confidence bin: flags, mean confidence, share of flags an expert span overlaps (what confidence
    estimates), share of their characters inside expert spans."""
    out = []
    for lo, hi in pairwise(BINS):
        chosen = [f for f in flags if lo <= f.confidence < hi]
        if chosen:
            share, _ = inside_share(rows, chosen)
            hit = float(np.mean([overlaps(rows[f.segment], f) for f in chosen]))
            out.append((f"{lo:.1f}–{min(hi, 1.0):.1f}", len(chosen), float(np.mean([f.confidence for f in chosen])),
                        hit, share))
    return out


def word_ranking(rows, segments, mode: str) -> list[tuple[float, int, float]]:
    """For the top 1% and 10% of output words by the mode's word-level P(error), and for all words: (share, words,
    share of those words inside an expert span)."""
    w = support.weights()[mode]["error"]
    p_err, inside = [], []
    for row, seg in zip(rows, segments):
        ws, x = support.word_features(seg, mode)
        p_err.extend(support._sigmoid(x @ w))
        inside.extend(label > 0 for label in word_labels(row, ws))
    order = np.argsort(-np.asarray(p_err), kind="stable")
    hit = np.asarray(inside, float)[order]
    return [(q, k, float(hit[:k].mean())) for q in (0.01, 0.1, 1.0) for k in [max(1, int(len(hit) * q))]]


def major_shares(rows, flags) -> dict[str, tuple[float, float]]:
    """Per system: share of rows with a major flag, share of rows with an expert major span."""
    flagged = {f.segment for f in flags if f.severity == "major"}
    out: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        c = out.setdefault(r.system, [0, 0, 0])
        c[0] += 1
        c[1] += i in flagged
        c[2] += any(s == "major" for _, _, s in r.spans)
    return {s: (c[1] / c[0], c[2] / c[0]) for s, c in sorted(out.items())}

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gold", default=str(GOLD))
    parser.add_argument("--split", choices=("dev", "held-out"), default="held-out")
    parser.add_argument("--mode", action="append", choices=list(TARGETS))
    args = parser.parse_args()
    with load_report("flag quality", cores=1):  # the figures are counts; only the CPU seconds depend on the load
        run(args)


def run(args: argparse.Namespace) -> None:
    rows = load_gold(args.gold)
    dev, held = dev_split(rows)
    rows = [rows[i] for i in (held if args.split == "held-out" else dev)]
    base = evaluate(rows, all_major(rows))["char"]
    print(f"{args.split}: {len(rows)} rows, {len({r.doc for r in rows})} documents")
    print(f"{BASELINE:22s} P={base['precision']:.3f} R={base['recall']:.3f} F1={base['f1']:.3f}")
    detectors = make_detectors()
    for mode in args.mode or list(TARGETS):
        began = time.process_time()
        segments = segments_for(rows, mode)
        flags = flag_segments(segments, detectors)
        secs = time.process_time() - began
        c = evaluate(rows, flags)["char"]
        ratio = c["f1"] / base["f1"]
        target = TARGETS[mode]
        verdict = "" if target is None else f" target ≥ {target}× {'met' if ratio >= target else 'NOT met'}"
        print(f"\n{mode:22s} P={c['precision']:.3f} R={c['recall']:.3f} F1={c['f1']:.3f} = {ratio:.2f}× baseline"
              f"{verdict}; {len(flags)} flags ({sum(f.severity == 'major' for f in flags)} major), {secs:.1f} s CPU")
        ranked = sorted(flags, key=lambda f: -f.confidence)
        top, chars = inside_share(rows, ranked[:max(1, len(ranked) // 10)])
        print(f"  10% most confident flags: {top:.3f} of {chars} characters inside expert spans (target ≥ 0.5)")
        if mode != "reference-free":
            ranked_words = ", ".join(f"{'all' if q == 1 else f'top {q:.0%}'} ({k}) {share:.3f}"
                                     for q, k, share in word_ranking(rows, segments, mode))
            print(f"  words the word model ranks most likely wrong, share inside expert spans: {ranked_words}")
        print("  reliability: confidence bin, flags, mean confidence, share overlapped by an expert span, share of "
              "characters inside expert spans")
        for label, n, conf, hit, share in reliability(rows, flags):
            print(f"    {label}  {n:6d}  {conf:.3f}  {hit:.3f}  {share:.3f}")
        print("  per system: rows with a major flag / rows with an expert major (ratio, target 0.75–1.33)")
        for system, (ours, gold) in major_shares(rows, flags).items():
            r = ours / gold if gold else float("inf")
            print(f"    {system:22s} {ours:.3f} / {gold:.3f} = {r:.2f}{'' if 0.75 <= r <= 1.33 else '  OUT'}")

if __name__ == "__main__":
    main()
