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


def parse_shard(value: str | None) -> tuple[int, int] | None:
    """'2/8' → (2, 8); raises `ConfigError` unless 0 <= I < N."""
    from ..errors import ConfigError

    if value is None:
        return None
    i, sep, n = value.partition("/")
    if not (sep and i.isdigit() and n.isdigit() and 0 <= int(i) < int(n)):
        raise ConfigError(f"--shard {value}: expected I/N with 0 <= I < N, e.g. 0/4")
    return int(i), int(n)


def main(args: argparse.Namespace) -> int:
    from ..api import run
    from ..errors import ConfigError
    from ..runs.pipeline import STAGES

    stages = args.stages.split(",") if args.stages else None
    for stage in stages or []:
        if stage not in STAGES:
            raise ConfigError(f"--stages: unknown stage {stage!r} (known: {', '.join(STAGES)})")
    shard = parse_shard(args.shard)
    result = run(args.config, args.overrides, stages, shard=shard)
    if shard is not None:
        return 0
    if result.rundir.scores.is_file():
        print(result.leaderboard(format="md"), end="")
    print(f"run folder: {result.root}")
    return 0
