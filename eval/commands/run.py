"""`mteval run CONFIG`: run an evaluation config into its run folder and print the leaderboard."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from ..pipeline import STAGES

    p = sub.add_parser("run", help="run an evaluation config (translate, score, ...)",
                       description="Run an evaluation config into its run folder and print the leaderboard.")
    p.add_argument("config", help="YAML config file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set systems.gemma.batch_size=4 (repeatable)")
    p.add_argument("--stages", default=None, metavar="LIST",
                   help=f"comma-separated stages to run (default: all of {','.join(STAGES)})")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..errors import ConfigError
    from ..pipeline import STAGES, run

    stages = args.stages.split(",") if args.stages else None
    for stage in stages or []:
        if stage not in STAGES:
            raise ConfigError(f"--stages: unknown stage {stage!r} (known: {', '.join(STAGES)})")
    config = load_config(args.config, args.overrides)
    rundir = run(config, stages)
    board = rundir.leaderboard("md")
    if board.is_file():
        print(board.read_text(encoding="utf-8"), end="")
    print(f"run folder: {rundir.root}")
    return 0
