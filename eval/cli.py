"""The `mteval` command line: a thin layer over the package's API. Subcommands live in `eval/commands/`."""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import MtevalError

COMMANDS = ("run", "score", "inspect", "report", "cache", "leaderboard", "correlate", "flag", "flags", "flags-eval")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand, or with `only` that one (its module alone is imported: fast start)."""
    parser = argparse.ArgumentParser(
        prog="mteval", description="Machine-translation evaluation: translate, score, flag and inspect."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in (only,) if only in COMMANDS else COMMANDS:
        importlib.import_module(f".commands.{name.replace('-', '_')}", __package__).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MtevalError as exc:
        print(f"mteval: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mteval: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
