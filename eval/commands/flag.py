"""`mteval flag`: flag bad fragments of one hypothesis file (with optional references and other systems)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument("--level", choices=("segment", "document"), default="segment",
                   help="document: HYP is one document translation, re-segmented onto the source lines as `run` "
                        "does (onto the first --ref, else onto a dictionary sketch of the source)")
    p.add_argument("--glossary", metavar="TSV", help="glossary: source term<TAB>allowed form|allowed form[<TAB>major]")
    p.add_argument("--detectors", metavar="LIST",
                   help="comma-separated detectors (default: the standard set, docs/flags.md; an unknown name "
                        "lists the known ones)")
    p.add_argument("--min-confidence", type=float, default=0.0, metavar="P",
                   help="only flags whose confidence (0–1) is at least P")
    p.add_argument("--format", "-f", choices=("jsonl", "text"), default="jsonl")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..flags.api import flag
    from ..flags.base import format_flag
    from ..lang import lang_from_suffix
    from ..textio import check_aligned, read_lines

    src = read_lines(args.src)
    refs = [read_lines(path) for path in args.ref]
    tgt_lang = args.tgt_lang or lang_from_suffix(args.hyp) or "en"
    if args.level == "document":
        hyp = document_lines(args.hyp, src, refs, tgt_lang)
    else:
        hyp = read_lines(args.hyp)
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
                 tgt_lang=tgt_lang, detectors=args.detectors.split(",") if args.detectors else None,
                 glossary=args.glossary)
    for row in flags:
        if row["confidence"] < args.min_confidence:
            continue
        print(json.dumps(row, ensure_ascii=False) if args.format == "jsonl" else format_flag(row))
    return 0


def document_lines(path: str, sources: list[str], refs: list[list[str]], tgt_lang: str) -> list[str]:
    """A document translation cut into one piece per source line (`eval.resegment`, as `run` does for
    `level: document`): onto the first reference, or without one onto a dictionary sketch of each source line."""
    from ..corpus.resegment import is_char_level, resegment
    from ..flags.lexicon import sketch
    from ..textio import read_text

    targets = refs[0] if refs else [sketch(line) for line in sources]
    return resegment(read_text(path), targets, char_level=is_char_level(tgt_lang))
