"""Throughput of the reference-free flag detectors (target ≥ 2,000 segments/s on one core), and of the optional ones.

    .venv/bin/python benchmarks/bench_flags.py [--repeat 3]
    .venv/bin/python benchmarks/bench_flags.py --optional 40   # embedding and surprisal on 40 outputs, both cores

Input: the 9,614 MT outputs and sources of the WMT21 newstest zh→en MQM file. Baseline in the same run:
sacreBLEU sentence-level chrF of the same outputs against ref.A (a cheap, familiar per-segment cost), so the
ratio stays meaningful on a loaded machine. Times are CPU seconds of this process (pinned to one core), the
median and range of `--repeat` runs of each, so other jobs on the machine do not inflate them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _load import load_report, spread, timed, try_renice
from mteval.flags import flag_segments, make_detectors
from mteval.flags.mqm import load_gold, segments_for
from sacrebleu.metrics import CHRF

GOLD = Path(__file__).resolve().parent.parent.parent / "shared/data/mqm-newstest2021-zhen/spans.tsv"
REFERENCE_FREE = ["broken-sentence", "fragment", "untranslated", "source-copy", "number", "repetition", "length",
                  "brackets", "glossary"]
GLOSSARY = Path(__file__).resolve().parent.parent / "corpora/xinhua-2021-04-13/glossary.tsv"


def cpu_times(repeat: int, fn) -> list[float]:
    times = []
    for _ in range(repeat):
        began = time.process_time()
        fn()
        times.append(time.process_time() - began)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gold", default=str(GOLD))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--optional", type=int, metavar="N",
                        help="instead: time the optional detectors (embedding, surprisal) on the first N outputs")
    args = parser.parse_args()
    if args.optional:
        optional(args.gold, args.optional)
        return
    print(try_renice(), flush=True)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rows = load_gold(args.gold)
    segments = segments_for(rows, "reference-free")
    detectors = make_detectors(REFERENCE_FREE, {"glossary": str(GLOSSARY)})
    with load_report("flag detectors", cores=1):
        flags = flag_segments(segments, detectors)  # warm-up (compiles regexes, fills caches)
        for det in detectors:
            (t,) = cpu_times(1, lambda det=det: det.run(segments))
            print(f"  {det.name:16s} {t:.3f} s CPU")
        ours = cpu_times(args.repeat, lambda: flag_segments(segments, detectors))
        refs = {r.key: r.target for r in rows if r.system == "ref.A"}
        pairs = [(r.target, refs.get(r.key, r.target)) for r in rows]
        chrf = CHRF()
        base = cpu_times(args.repeat, lambda: [chrf.sentence_score(h, [r]) for h, r in pairs])
    n = len(segments)
    rate = n / statistics.median(ours)
    print(f"segments: {n}, flags: {len(flags)} ({sum(f.severity == 'major' for f in flags)} major)")
    print(f"reference-free detectors ({len(detectors)}): {spread(ours, 3)} s CPU = {rate:,.0f} segments/s "
          f"(median; {n / max(ours):,.0f}–{n / min(ours):,.0f}; one core)")
    print(f"baseline sacreBLEU sentence chrF:    {spread(base, 3)} s CPU = {n / statistics.median(base):,.0f} "
          f"segments/s")
    print(f"ratio detectors / chrF time (medians): {statistics.median(ours) / statistics.median(base):.2f}; "
          f"target ≥ 2,000 segments/s: {'met' if rate >= 2000 else 'NOT met'}")


def optional(gold: str, n: int) -> None:
    """Model load and per-segment wall/CPU time of each optional detector on the first `n` MT outputs (both cores:
    the models use them), after one warm-up segment."""
    rows = load_gold(gold)
    segments = [s for s, r in zip(segments_for(rows, "reference-free"), rows) if not r.is_reference][:n + 1]
    for name in ("embedding", "surprisal"):
        with load_report(f"optional detector {name}", cores=2):
            (det,) = make_detectors([name])
            _, load = timed(lambda det=det: det.run(segments[:1]))  # loads the model
            flags, run = timed(lambda det=det: det.run(segments[1:]))
        print(f"  {name:10s} model load + 1 segment {load.wall:.1f} s; {n} segments {run.wall:.1f} s wall, "
              f"{run.cpu:.1f} s CPU = {n / run.wall:.2f} segments/s; {len(flags)} flags", flush=True)


if __name__ == "__main__":
    main()
