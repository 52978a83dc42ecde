"""`mteval correlate`: how well each metric of a run agrees with human judgements (system or segment level)."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("correlate", help="correlate a run's metrics with human scores (e.g. WMT DA)",
                       description="System level: Pearson, Spearman, Kendall tau-b and pairwise ranking accuracy "
                       "per metric. Segment level: WMT DARR Kendall tau (pairs of translations of the same source "
                       "whose raw scores differ by > 25) and Pearson. Human files: WMT DA ad-seg-scores-*.csv, "
                       "ad-sys-scores-*.csv, ad-sys-ranking-*.csv, or a TSV with header system[, segment], score.")
    p.add_argument("run", metavar="RUN_DIR", help="run folder (scores.json, segments.jsonl)")
    p.add_argument("--human", required=True, metavar="FILE", help="human scores")
    p.add_argument("--level", choices=("system", "segment"), default="system")
    p.add_argument("--corpus", help="corpus in the run (default: the only one)")
    p.add_argument("--score", choices=("z", "raw"), default="z", help="WMT DA column (default: z)")
    p.add_argument("--format", "-f", choices=("md", "json"), default="md")
    p.set_defaults(func=main)


def correlate(run: str, human_path: str, level: str = "system", corpus: str | None = None, score: str = "z"
              ) -> dict[str, Any]:
    """`{"corpus", "level", "systems", "unmatched", "metrics": {metric: {statistic: value}}}`."""
    from ..correlation import read_human, segment_correlations, system_correlations
    from ..errors import RunError
    from ..runs.layout import RunDir
    from ..textio import read_jsonl

    rundir = RunDir(run)
    scores = rundir.read_json(rundir.scores)
    if corpus is None:
        if len(scores) != 1:
            raise RunError(f"{rundir.scores}: {len(scores)} corpora ({', '.join(scores)}); choose one with --corpus")
        corpus = next(iter(scores))
    if corpus not in scores:
        raise RunError(f"{rundir.scores}: no corpus {corpus!r} (corpora: {', '.join(scores)})")
    systems = scores[corpus]
    human = read_human(human_path, score)
    metrics = sorted({m for by in systems.values() for m in by}, key=list(next(iter(systems.values()), {})).index)
    higher = {m: next(by[m].get("higher_is_better", True) for by in systems.values() if m in by) for m in metrics}
    out: dict[str, Any] = {"corpus": corpus, "level": level, "human": human_path, "metrics": {}}
    if level == "system":
        hs = human.system_level()
        out["systems"] = sorted(s for s in systems if s in hs)
        out["unmatched"] = sorted(s for s in hs if s not in systems)
        for m in metrics:
            ms = {s: by[m]["score"] for s, by in systems.items() if m in by}
            out["metrics"][m] = system_correlations(ms, hs, higher[m])
    else:
        if not human.segment:
            raise RunError(f"{human_path}: has no segment-level scores (use --level system)")
        sentence: dict[str, dict[tuple[str, int], float]] = {m: {} for m in metrics}
        for _, row in read_jsonl(rundir.segments):
            if row.get("corpus") == corpus:
                for m, v in (row.get("scores") or {}).items():
                    if m in sentence and v is not None:
                        sentence[m][(row["system"], row["segment"])] = v
        judged = {s for s, _ in human.segment}
        out["systems"] = sorted(s for s in systems if s in judged)
        out["unmatched"] = sorted(s for s in judged if s not in systems)
        for m in metrics:
            out["metrics"][m] = segment_correlations(sentence[m], human.segment, higher[m])
    if not out["systems"]:
        raise RunError(f"{human_path}: none of its systems is in {rundir.scores} corpus {corpus!r}")
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "–" if math.isnan(v) else f"{v:.4f}"
    return str(v)


def main(args: argparse.Namespace) -> int:
    result = correlate(args.run, args.human, args.level, args.corpus, args.score)
    if args.format == "json":
        clean = {m: {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in values.items()}
                 for m, values in result["metrics"].items()}
        print(json.dumps({**result, "metrics": clean}, ensure_ascii=False, indent=2))
        return 0
    stats = list(next(iter(result["metrics"].values()), {}))
    print(f"{result['level']}-level agreement with {result['human']} on {result['corpus']} "
          f"({len(result['systems'])} systems)")
    print("| metric | " + " | ".join(stats) + " |")
    print("|---|" + "---|" * len(stats))
    for m, values in result["metrics"].items():
        print(f"| {m} | " + " | ".join(_fmt(values[s]) for s in stats) + " |")
    if result["unmatched"]:
        print(f"not in the run: {', '.join(result['unmatched'])}")
    return 0
