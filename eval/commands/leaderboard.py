"""`mteval leaderboard`: merge run folders (corpora × systems) into one leaderboard with CIs and clusters."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("leaderboard", help="merge run folders into one leaderboard (CIs, p-values, clusters)",
                       description="Merge the scores of one or more run folders, corpus by corpus. When a corpus "
                       "is in several folders, its systems are pooled and CIs, p-values and clusters are "
                       "recomputed from stats/<corpus>.npz with the same resamples for every system.")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run folder (holds scores.json)")
    p.add_argument("--metric", "-m", help="sort by this metric (default: the first one)")
    p.add_argument("--corpus", action="append", help="only this corpus (repeatable)")
    p.add_argument("--format", "-f", choices=("md", "csv", "json"), default="md")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..api import leaderboard

    result = leaderboard(args.runs, corpora=args.corpus, metric=args.metric,
                         format="scores" if args.format == "json" else args.format)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.format == "json" else result, end="\n" if args.format == "json" else "")
    return 0
