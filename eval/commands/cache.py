"""`mteval cache`: inspect and merge translation caches (e.g. the caches of `--shard` array jobs)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cache", help="inspect or merge translation caches",
                       description="Inspect or merge translation caches (SQLite files written by model backends).")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    merge = actions.add_parser("merge", help="copy the entries of other caches into one cache")
    merge.add_argument("into", help="cache file to merge into (created if missing)")
    merge.add_argument("sources", nargs="+", help="cache files to copy from")
    info = actions.add_parser("info", help="check a cache's integrity and count its entries")
    info.add_argument("path", help="cache file")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import RunError
    from ..systems.cache import TranslationCache

    if args.action == "info":
        if not Path(args.path).is_file():
            raise RunError(f"{args.path}: no such cache file")
        with TranslationCache(args.path) as cache:
            print(f"{args.path}: ok, {cache.count()} translations")
        return 0
    for source in args.sources:
        if not Path(source).is_file():
            raise RunError(f"{source}: no such cache file")
    with TranslationCache(args.into) as cache:
        for source in args.sources:
            print(f"{source}: {cache.merge(source)} new translations")
        print(f"{args.into}: {cache.count()} translations")
    return 0
