"""`mteval report RUN_DIR [-o FILE]`: write the run's self-contained HTML report."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a one-file HTML report of a run folder",
                       description="Write a self-contained HTML report (leaderboard, figures, segment browser, "
                                   "flags) of a run folder; no network access is needed to view it.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="run folder (e.g. results/seed)")
    p.add_argument("--output", "-o", metavar="FILE", help="output file, or an existing folder to write "
                   "report.html into (default: RUN_DIR/report.html)")
    p.set_defaults(func=main)


def output_path(output: str) -> str:
    """`-o DIR` (an existing folder) means DIR/report.html; the folder of `-o FILE` must exist."""
    from pathlib import Path

    from ..errors import RunError

    path = Path(output)
    if path.is_dir():
        return str(path / "report.html")
    if not path.parent.is_dir():
        raise RunError(f"{output}: cannot write: folder {path.parent} does not exist")
    return output


def main(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import RunError
    from ..progress import timer
    from ..report.html import write_report
    from ..runs.layout import RunDir

    with timer("report: writing"):
        if args.output:
            path = write_report(args.run_dir, output_path(args.output))
        else:
            rundir = RunDir(args.run_dir)
            if not rundir.root.is_dir():
                raise RunError(f"{rundir.root}: run folder not found")
            with rundir.lock():
                path = write_report(rundir.root)
    size = Path(path).stat().st_size
    print(f"report: {path} ({size / 1e6:.1f} MB)")
    return 0
