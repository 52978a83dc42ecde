"""`mteval score`: score hypothesis files against references without a config (the quick path)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    from ..report.table import FORMATS

    p = sub.add_parser("score", help="score hypothesis files against references",
                       description="Score one or more hypothesis files (NAME=PATH or PATH) against references.")
    p.add_argument("hypotheses", nargs="+", metavar="HYP", help="hypothesis file, or NAME=PATH")
    p.add_argument("--ref", "-r", action="append", required=True, metavar="REF",
                   help="reference file (repeat for multi-reference scoring)")
    p.add_argument("--src", metavar="SRC", help="source file (checked for alignment)")
    p.add_argument("--metrics", "-m", default="bleu,chrf",
                   help="comma-separated metrics (default: bleu,chrf; also chrf++, ter — TER is slow on big sets)")
    p.add_argument("--tgt-lang", default=None, help="target language (default: the reference's suffix, else en)")
    p.add_argument("--format", "-f", choices=FORMATS, default="auto",
                   help="a table on a terminal (auto), else Markdown with the signatures; or csv, json")
    sig = p.add_argument_group("significance (paired, same resamples for every system; sacreBLEU-compatible)")
    sig.add_argument("--bootstrap", type=int, default=0, metavar="N",
                     help="bootstrap resamples: 95%% CIs, p-values vs the baseline, significance clusters")
    sig.add_argument("--ar", type=int, default=0, metavar="N", help="approximate-randomisation trials (p_value_ar)")
    sig.add_argument("--seed", type=int, default=12345, help="random seed (default: 12345, as sacreBLEU)")
    sig.add_argument("--baseline", metavar="NAME", help="system to compare against (default: best per metric)")
    sig.add_argument("--alpha", type=float, default=0.05, help="significance level for clusters (default: 0.05)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..api import score_files
    from ..errors import MetricError
    from ..metrics.significance import Settings
    from ..progress import timer
    from ..report.leaderboard import system_rows, to_csv, to_markdown
    from ..report.table import print_table, resolve_format

    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    if not metrics:
        raise MetricError(f"--metrics {args.metrics!r}: no metric named")
    settings = Settings(bootstrap=args.bootstrap, ar=args.ar, seed=args.seed, baseline=args.baseline,
                        alpha=args.alpha)
    with timer(f"score: {len(args.hypotheses)} system(s) × {', '.join(metrics)}"):
        result = score_files(args.hypotheses, args.ref, src=args.src, metrics=metrics, tgt_lang=args.tgt_lang,
                             significance=settings if settings.enabled else None)
    fmt = resolve_format(args.format)
    if fmt == "json":
        out: dict = {"systems": result}
        if settings.enabled:
            out["significance"] = vars(settings)
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    if fmt == "table":
        print_table({"": result})
    else:
        print((to_markdown if fmt == "md" else to_csv)(system_rows(result)), end="")
    if fmt != "csv":
        sigs = {m: info["signature"] for metrics in result.values() for m, info in metrics.items()}
        for metric, sig in sigs.items():
            print(f"{metric}: {sig}")
    return 0
