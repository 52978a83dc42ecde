"""`mteval flags`: list the flags of a run folder (flags.jsonl), filtered by corpus, system, kind, severity."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("flags", help="list the flags of a run folder",
                       description="Print the flagged fragments of a run folder's flags.jsonl.")
    p.add_argument("rundir", metavar="RUN_DIR")
    p.add_argument("--corpus", help="only this corpus")
    p.add_argument("--system", help="only this system")
    p.add_argument("--kind", help="only this kind of flag (e.g. broken-sentence, number, mistranslation)")
    p.add_argument("--severity", choices=("major", "minor"), help="only this severity")
    p.add_argument("--min-confidence", type=float, default=0.0, metavar="P",
                   help="only flags whose confidence (0–1) is at least P")
    p.add_argument("--sort", choices=("segment", "confidence"), default="segment",
                   help="order: by segment (default) or most confident first")
    p.add_argument("--format", "-f", choices=("text", "jsonl"), default="text")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..flags import check_kind
    from ..flags.base import format_flag
    from ..runs.reader import Run
    from .flagkinds import unflagged_corpus, unmatched_kind

    check_kind(args.kind, "--kind")
    rows = Run(args.rundir).flags(args.corpus, args.system, args.kind, args.severity, args.min_confidence)
    if args.sort == "confidence":
        rows.sort(key=lambda r: -r["confidence"])
    for row in rows:
        print(json.dumps(row, ensure_ascii=False) if args.format == "jsonl" else format_flag(row))
    if not rows and (message := unflagged_corpus(args.rundir, args.corpus)):
        print(f"mteval flags: {message}", file=sys.stderr)
        return 1
    if args.kind and (message := unmatched_kind(args.rundir, args.kind)):
        print(f"mteval flags: {message}", file=sys.stderr)
        return 1
    return 0
