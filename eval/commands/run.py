"""`mteval run CONFIG`: run an evaluation config into its run folder and print the leaderboard."""

from __future__ import annotations

import argparse

EPILOG = """examples:
  mteval run configs/seed.yaml
  mteval run configs/seed.yaml -o results/try --set systems.gemma-3-270m.batch_size=4
  mteval run configs/wmt22-zhen.yaml --stages translate,score --format csv > wmt22.csv"""


def register(sub: argparse._SubParsersAction) -> None:
    from ..report.table import FORMATS
    from ..runs import STAGE_NAMES

    p = sub.add_parser("run", help="run an evaluation config (translate, score, ...)",
                       description="Run an evaluation config into its run folder and print the leaderboard as "
                                   "soon as the scores are ready.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="YAML config file")
    p.add_argument("--output", "-o", metavar="DIR", help="run folder (default: the config's `output`, else "
                   "results/<name>)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key; list items by name or index, e.g. "
                        "--set systems.gemma-3-270m.batch_size=4 (repeatable)")
    p.add_argument("--stages", default=None, metavar="LIST",
                   help=f"comma-separated stages to run (default: all of {','.join(STAGE_NAMES)})")
    p.add_argument("--shard", default=None, metavar="I/N",
                   help="translate only block I of N (0 <= I < N) into the translation cache, for array jobs; "
                        "merge the caches with `mteval cache merge`, then run without --shard")
    p.add_argument("--format", "-f", choices=FORMATS, default="auto",
                   help="leaderboard on stdout: a table per corpus on a terminal (auto), else Markdown as "
                        "leaderboard.md; or csv, json")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import json

    from ..api import run
    from ..config.load import load_config
    from ..report.table import print_scores
    from ..runs.layout import RunDir

    stages = args.stages.split(",") if args.stages else None
    output = [f"output={json.dumps(args.output)}"] if args.output else []
    config = load_config(args.config, args.overrides + output)
    rundir = RunDir(config.output)
    shown = []

    def show_leaderboard(stage: str) -> None:
        if stage == "score" and not shown:
            print_scores(rundir.read_json(rundir.scores), args.format, sort_by=next(iter(config.metrics), None))
            shown.append(stage)

    result = run(config, stages=stages, shard=args.shard, after_stage=show_leaderboard)
    if args.shard is not None:
        return 0
    if not shown and result.rundir.scores.is_file():
        show_leaderboard("score")
    print(f"run folder: {result.root}", flush=True)
    return 0
