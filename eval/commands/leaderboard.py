"""`mteval leaderboard`: merge run folders (corpora × systems) into one leaderboard with CIs and clusters."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from ..report.table import FORMATS

    p = sub.add_parser("leaderboard", help="merge run folders into one leaderboard (CIs, p-values, clusters)",
                       description="Merge the scores of one or more run folders, corpus by corpus. When a corpus "
                       "is in several folders, its systems are pooled and CIs, p-values and clusters are "
                       "recomputed from stats/<corpus>.npz with the same resamples for every system.")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run folder (holds scores.json)")
    p.add_argument("--metric", "-m", help="sort by this metric (default: the first one)")
    p.add_argument("--corpus", action="append", help="only this corpus (repeatable)")
    p.add_argument("--format", "-f", choices=FORMATS, default="auto",
                   help="a table per corpus on a terminal (auto), else Markdown; or csv, json")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..api import leaderboard
    from ..report.table import print_scores

    scores = leaderboard(args.runs, corpora=args.corpus, metric=args.metric, format="scores")
    print_scores(scores, args.format, sort_by=args.metric)
    return 0
