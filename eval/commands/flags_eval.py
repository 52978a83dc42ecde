"""`mteval flags-eval`: score the detectors against expert MQM error spans, one evidence mode at a time."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("flags-eval", help="score the flag detectors against MQM error spans",
                       description="Run the detectors on every row of an MQM span file (WMT23 QE task-2 format) "
                                   "and report character-level P/R/F1 (wrong severity = half credit) and "
                                   "detection of segments with a major error, for each evidence mode.")
    p.add_argument("--gold", required=True, metavar="MQM_SPANS.tsv")
    p.add_argument("--mode", action="append", metavar="MODE",
                   help="evidence mode, repeatable: reference-free, reference, consensus, reference+consensus "
                        "(default: all)")
    p.add_argument("--split", choices=("all", "dev", "held-out"), default="all",
                   help="rows to score: all, or the development / held-out half (alternate documents)")
    p.add_argument("--detectors", metavar="LIST", help="comma-separated detectors (default: all but embedding)")
    p.add_argument("--src-lang", default="zh")
    p.add_argument("--tgt-lang", default="en")
    p.add_argument("--format", "-f", choices=("text", "json"), default="text")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..flags.mqm import BASELINE, MODE_HELP, MODES, run_modes

    modes = args.mode or list(MODES)
    for mode in modes:
        if mode not in MODES:
            raise ConfigError(f"--mode: unknown evidence mode {mode!r} (known: {', '.join(MODES)})")
    results = run_modes(args.gold, modes, split=args.split, src_lang=args.src_lang, tgt_lang=args.tgt_lang,
                        detectors=args.detectors.split(",") if args.detectors else None)
    if args.format == "json":
        print(json.dumps(results, indent=2))
        return 0
    base = results[BASELINE]["char"]["f1"]
    print(f"{'mode':20s} {'char P':>7s} {'char R':>7s} {'char F1':>7s} {'×base':>6s} {'major-seg P':>11s} {'R':>6s} "
          f"{'F1':>6s}  rows")
    for mode, r in results.items():
        c, s = r["char"], r["major_segments"]
        ratio = c["f1"] / base if base else 0.0
        print(f"{mode:20s} {c['precision']:7.3f} {c['recall']:7.3f} {c['f1']:7.3f} {ratio:6.2f} {s['precision']:11.3f} "
              f"{s['recall']:6.3f} {s['f1']:6.3f}  {r['rows']}  ({MODE_HELP.get(mode, 'every output wholly major')})")
    return 0
