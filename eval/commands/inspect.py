"""`mteval inspect RUN_DIR`: show segments in the terminal with flagged spans, a word diff and sentence scores."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "inspect", help="show segments of a run folder in the terminal",
        description="Show source, reference(s) and each system's hypothesis with flagged spans highlighted, a "
                    "word diff against the (first) reference and sentence scores. Plain text when not a "
                    "terminal. Exits 1 when no segment matches the filters.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="run folder (e.g. results/seed)")
    p.add_argument("--corpus", "-c", help="only this corpus")
    p.add_argument("--system", "-s", nargs="+", action="extend", metavar="S", help="only these systems")
    p.add_argument("--segment", nargs="+", action="extend", metavar="ID", help="only these segment ids")
    p.add_argument("--flag", metavar="KIND", help="only segments with a flag of this kind")
    p.add_argument("--severity", choices=("major", "minor"), help="only segments with a flag of this severity")
    p.add_argument("--min-confidence", type=float, default=0.0, metavar="P",
                   help="show only flags whose confidence (0–1) is at least P (most confident first)")
    p.add_argument("--worst", type=int, metavar="N",
                   help="the N worst segments per corpus by the mean sentence score of the selected systems")
    p.add_argument("--by", metavar="METRIC", help="metric for --worst (default: the first); alone, sorts by it")
    p.add_argument("--width", type=int, default=None, help="output width (default: the terminal's)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from rich.console import Console

    from ..errors import RunError
    from ..flags import check_kind
    from ..report.select import select
    from ..report.terminal import render
    from ..runs.reader import Run
    from .flagkinds import unflagged_corpus, unmatched_kind

    if args.worst is not None and args.worst < 1:
        raise RunError("--worst: expected a positive number of segments")
    check_kind(args.flag, "--flag")
    run = Run.open(args.run_dir, args.corpus)
    if args.min_confidence:
        for view in run.corpora.values():
            for by_seg in view.flags.values():
                for seg, flags in by_seg.items():
                    by_seg[seg] = [f for f in flags if (f.confidence or 0.0) >= args.min_confidence]
    selections = select(run, corpus=args.corpus, systems=args.system, segments=args.segment, flag=args.flag,
                        severity=args.severity, worst=args.worst, by=args.by)
    console = Console(width=args.width, highlight=False)
    if not render(console, selections):
        message = ((args.flag or args.severity) and unflagged_corpus(args.run_dir, args.corpus)) or (
            unmatched_kind(args.run_dir, args.flag) if args.flag else None)
        print(f"mteval inspect: {message or 'no segment matches the filters'}", file=sys.stderr)
        return 1
    return 0
