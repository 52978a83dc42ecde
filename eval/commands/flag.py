"""`mteval flag`: flag bad fragments of one hypothesis file (with optional references and other systems)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from ..flags import DETECTORS

    p = sub.add_parser("flag", help="flag bad fragments of a hypothesis file",
                       description="Flag character spans of a translation: broken sentences, untranslated text, "
                                   "number mismatches, repetitions, unsupported words. One flag per line.")
    p.add_argument("--src", required=True, metavar="SRC", help="source file, one segment per line")
    p.add_argument("--hyp", required=True, metavar="HYP", help="hypothesis file, aligned with the source")
    p.add_argument("--ref", action="append", default=[], metavar="REF", help="reference file (repeatable)")
    p.add_argument("--other", action="append", default=[], metavar="[NAME=]PATH",
                   help="another system's output of the same source, for consensus flags (repeatable)")
    p.add_argument("--src-lang", default=None, help="source language (default: SRC's suffix, else zh)")
    p.add_argument("--tgt-lang", default=None, help="target language (default: HYP's suffix, else en)")
    p.add_argument("--glossary", metavar="TSV", help="glossary: source term<TAB>allowed form|allowed form")
    p.add_argument("--detectors", metavar="LIST",
                   help=f"comma-separated detectors (default: all but embedding): {', '.join(DETECTORS.names())}")
    p.add_argument("--format", "-f", choices=("jsonl", "text"), default="jsonl")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..flags.api import flag
    from ..flags.base import format_flag
    from ..lang import lang_from_suffix
    from ..textio import check_aligned, read_lines

    src, hyp = read_lines(args.src), read_lines(args.hyp)
    refs = [read_lines(path) for path in args.ref]
    others = {}
    for item in args.other:
        name, sep, path = item.partition("=")
        if not sep:
            name, path = Path(item).name, item
        others[name] = read_lines(path)
    check_aligned([(args.src, src), (args.hyp, hyp), *zip(args.ref, refs),
                   *((f"--other {name}", lines) for name, lines in others.items())])
    flags = flag(src, hyp, refs, others,
                 src_lang=args.src_lang or lang_from_suffix(args.src) or "zh",
                 tgt_lang=args.tgt_lang or lang_from_suffix(args.hyp) or "en",
                 detectors=args.detectors.split(",") if args.detectors else None, glossary=args.glossary)
    for row in flags:
        print(json.dumps(row, ensure_ascii=False) if args.format == "jsonl" else format_flag(row))
    return 0
