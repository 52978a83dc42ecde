"""The `mteval` command line: a thin layer over the package's API. Subcommands live in `eval/commands/`."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import warnings

from .errors import MtevalError

COMMANDS = ("run", "score", "inspect", "report", "cache", "leaderboard", "correlate", "flag", "flags", "flags-eval")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mteval")
    except PackageNotFoundError:
        return "unknown"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand, or with `only` that one (its module alone is imported: fast start)."""
    parser = argparse.ArgumentParser(
        prog="mteval", description="Machine-translation evaluation: translate, score, flag and inspect."
    )
    parser.add_argument("--version", action="version", version=f"mteval {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in (only,) if only in COMMANDS else COMMANDS:
        importlib.import_module(f".commands.{name.replace('-', '_')}", __package__).register(sub)
        verbosity = sub.choices[name].add_mutually_exclusive_group()
        verbosity.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=0, default=1,
                               help="print only results and errors (no progress or stage lines)")
        verbosity.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=2,
                               help="also print per-system lines, step timings and library warnings")
    return parser


def _quiet_broken_pipe() -> None:
    """The reader of stdout went away (`| head`): send the rest to /dev/null so exit does not raise again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    from . import interrupt, progress

    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    progress.set_verbosity(args.verbosity)
    try:
        with interrupt.recorded(), warnings.catch_warnings():
            if args.verbosity < progress.VERBOSE:  # library warnings and info logs (numpy, jieba) are noise here
                warnings.simplefilter("ignore")
                logging.disable(logging.INFO)
            status = int(args.func(args) or 0)
            interrupt.check()
        return status
    except MtevalError as exc:
        print(f"mteval: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mteval: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _quiet_broken_pipe()
        return 0
    finally:
        logging.disable(logging.NOTSET)
