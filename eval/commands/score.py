"""`mteval score`: score hypothesis files against references without a config (the quick path)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score hypothesis files against references",
                       description="Score one or more hypothesis files (NAME=PATH or PATH) against references.")
    p.add_argument("hypotheses", nargs="+", metavar="HYP", help="hypothesis file, or NAME=PATH")
    p.add_argument("--ref", "-r", action="append", required=True, metavar="REF",
                   help="reference file (repeat for multi-reference scoring)")
    p.add_argument("--src", metavar="SRC", help="source file (checked for alignment)")
    p.add_argument("--metrics", "-m", default="bleu,chrf,chrf++,ter", help="comma-separated metrics")
    p.add_argument("--tgt-lang", default=None, help="target language (default: the reference's suffix, else en)")
    p.add_argument("--format", "-f", choices=("text", "json"), default="text")
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
    from ..report.leaderboard import system_rows, to_markdown

    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    if not metrics:
        raise MetricError(f"--metrics {args.metrics!r}: no metric named")
    settings = Settings(bootstrap=args.bootstrap, ar=args.ar, seed=args.seed, baseline=args.baseline,
                        alpha=args.alpha)
    result = score_files(args.hypotheses, args.ref, src=args.src, metrics=metrics, tgt_lang=args.tgt_lang,
                         significance=settings if settings.enabled else None)
    if args.format == "json":
        out: dict = {"systems": result}
        if settings.enabled:
            out["significance"] = vars(settings)
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(to_markdown(system_rows(result)), end="")
        sigs = {m: info["signature"] for metrics in result.values() for m, info in metrics.items()}
        for metric, sig in sigs.items():
            print(f"{metric}: {sig}")
    return 0
