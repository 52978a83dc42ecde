"""`mteval run CONFIG`: run an evaluation config into its run folder and print the leaderboard."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from ..runs.pipeline import STAGES

    p = sub.add_parser("run", help="run an evaluation config (translate, score, ...)",
                       description="Run an evaluation config into its run folder and print the leaderboard.")
    p.add_argument("config", help="YAML config file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set systems.gemma.batch_size=4 (repeatable)")
    p.add_argument("--stages", default=None, metavar="LIST",
                   help=f"comma-separated stages to run (default: all of {','.join(STAGES)})")
    p.add_argument("--shard", default=None, metavar="I/N",
                   help="translate only block I of N (0 <= I < N) into the translation cache, for array jobs; "
                        "merge the caches with `mteval cache merge`, then run without --shard")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..api import run

    stages = args.stages.split(",") if args.stages else None
    result = run(args.config, args.overrides, stages, shard=args.shard)
    if args.shard is not None:
        return 0
    if result.rundir.scores.is_file():
        print(result.leaderboard(format="md"), end="")
    print(f"run folder: {result.root}")
    return 0
