"""The flag stage of `configs/wmt22-zhen.yaml` against its score stage (1,000 bootstrap resamples), same run.

    .venv/bin/python benchmarks/bench_flag_stage.py [--output /tmp/wt-flagstage] [--all-corpora]

Runs the translate (file outputs), score and flag stages into a scratch run folder and reports the wall time of
score and flag, their ratio (target: flag ≤ score), the size of flags.jsonl (target < 10 MB), the most major
flags per segment of any corpus × system (target ≤ 1), and per flagged corpus and system the share of segments
with a major flag next to the share the WMT22 MQM experts scored −5 or lower (at least one major error, or
five minor ones): how the volume fitted on newstest2021 transfers to another year's systems and annotation.

`--breakdown` instead runs the flag stage in this one process and prints its CPU seconds per detector and for the
shared caches each step prepares (`flags.prepare`): where the time goes, without the workers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import mteval
from mteval.metrics.human import read_human

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import load_report

CONFIG = Path(__file__).resolve().parent.parent / "configs/wmt22-zhen.yaml"
MQM = Path(__file__).resolve().parent.parent.parent / "shared/data/mqm-wmt22-zhen/segment-scores.tsv"


def expert_major_share() -> dict[str, float]:
    """Per system: share of segments whose WMT22 MQM score is −5 or lower."""
    scores: dict[str, list[float]] = {}
    for (system, _), (score, _raw) in read_human(MQM).segment.items():
        scores.setdefault(system, []).append(score)
    return {s: sum(x <= -5 for x in v) / len(v) for s, v in scores.items()}


def _cpu() -> float:
    """CPU seconds of this process and its finished child processes (the forked workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", default=tempfile.mkdtemp(prefix="mteval-flagstage-"))
    parser.add_argument("--all-corpora", action="store_true",
                        help="flag all three corpora (refA, refB, refAB) instead of the config's `flags.corpora`")
    parser.add_argument("--breakdown", action="store_true",
                        help="one process: CPU seconds of the flag stage per detector and for the shared caches")
    args = parser.parse_args()
    overrides = [f"output={args.output}", "report=false"] + (["flags.corpora=null"] if args.all_corpora else [])
    os.chdir(CONFIG.parent.parent)
    if args.breakdown:
        breakdown(overrides)
        return
    with load_report("flag stage", cores=2):
        mteval.run(str(CONFIG), overrides, stages=["translate"], log=lambda _: None)
        times, cpu = {}, {}
        for stage in ("score", "flag"):
            began, cpu_began = time.perf_counter(), _cpu()
            mteval.run(str(CONFIG), overrides, stages=[stage], log=lambda _: None)
            times[stage], cpu[stage] = time.perf_counter() - began, _cpu() - cpu_began
    path = Path(args.output) / "flags.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    majors = Counter((r["corpus"], r["system"]) for r in rows if r["severity"] == "major")
    segments = 1875
    worst = max(majors.values(), default=0) / segments
    print(f"score {times['score']:.1f} s, flag {times['flag']:.1f} s: flag/score = {times['flag'] / times['score']:.2f} "
          f"(target ≤ 1); CPU (this process and its workers) score {cpu['score']:.1f} s, flag {cpu['flag']:.1f} s")
    print(f"flags.jsonl {path.stat().st_size / 1e6:.1f} MB (target < 10 MB), {len(rows)} flags, "
          f"{sum(majors.values())} major; most major flags per segment of a corpus × system {worst:.2f} (target ≤ 1)")
    flagged: dict[str, dict[str, set[int]]] = {}
    for r in rows:
        if r["severity"] == "major":
            flagged.setdefault(r["corpus"], {}).setdefault(r["system"], set()).add(r["segment"])
    experts = expert_major_share()
    for corpus, systems in sorted(flagged.items()):
        print(f"{corpus}: segments with a major flag / with MQM ≤ −5 (WMT22 experts):")
        for system in sorted(systems):
            ours = len(systems[system]) / segments
            if system in experts:
                print(f"  {system:20s} {ours:.3f} / {experts[system]:.3f} = {ours / experts[system]:.2f}")


def breakdown(overrides: list[str]) -> None:
    """The flag stage in this process (no workers), CPU seconds per detector and for `flags.prepare`."""
    import mteval.flags
    import mteval.parallel
    from mteval.flags.base import Detector

    spent: Counter = Counter()

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            began = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name(args)] += time.process_time() - began
        return wrapper

    mteval.run(str(CONFIG), overrides, stages=["translate"], log=lambda _: None)
    mteval.parallel.idle_cores = lambda *_, **__: 1
    Detector.run = timed(lambda a: a[0].name, Detector.run)
    mteval.flags.prepare = timed(lambda _: "shared caches (prepare)", mteval.flags.prepare)
    began = time.process_time()
    mteval.run(str(CONFIG), overrides, stages=["flag"], log=lambda _: None)
    total = time.process_time() - began
    print(f"flag stage in one process: {total:.1f} CPU-s")
    for name, secs in spent.most_common():
        print(f"  {name:28s} {secs:5.2f} s")
    print(f"  {'rest (read, load, write)':28s} {total - sum(spent.values()):5.2f} s")


if __name__ == "__main__":
    main()
