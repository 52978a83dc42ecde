"""`mteval correlate`: how well each metric of a run agrees with human judgements (system or segment level)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "correlate", help="agreement of a run's metrics with human scores (MQM, DA), as WMT's metrics task",
        description="System level: Pearson, Spearman, Kendall tau-b, pairwise ranking accuracy and soft pairwise "
        "accuracy (SPA). Segment level: Kendall tau-b with no grouping, item-grouped tau-b (per source segment "
        "across systems), acc-eq (pairwise accuracy with tie calibration) and Pearson; with DA also the WMT "
        "DARR Kendall-like statistic. Human files: an MQM table (system, seg_id, doc, score), mt-metrics-eval "
        "NAME.seg.score / NAME.sys.score, WMT DA ad-seg-scores-*.csv, ad-sys-scores-*.csv, "
        "ad-sys-ranking-*.csv, or a TSV with header system[, segment], score. See docs/agreement.md.")
    p.add_argument("run", metavar="RUN_DIR", help="run folder (scores.json, segments.jsonl, stats/)")
    p.add_argument("--human", required=True, metavar="FILE", help="human scores")
    p.add_argument("--level", choices=("system", "segment"), default="system")
    p.add_argument("--exclude-refs", action="store_true",
                   help="leave out human references rated as systems (refA, refB, HUMAN-B)")
    p.add_argument("--corpus", help="corpus in the run (default: the only one)")
    p.add_argument("--score", choices=("z", "raw"), default="z", help="WMT DA column (default: z)")
    p.add_argument("--documents", metavar="DOCS", help="mt-metrics-eval documents file (domain<TAB>doc per line): "
                   "DA segment ids then count segments in document-id order, as in WMT22")
    p.add_argument("--bootstrap", type=int, default=0, metavar="N", help="95%% CIs from N resamples of segments")
    p.add_argument("--versus", metavar="METRIC", help="paired permutation test of every metric against METRIC")
    p.add_argument("--permutations", type=int, default=1000, metavar="N",
                   help="permutations of the paired tests and of SPA's p-values (default: 1000)")
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--format", "-f", choices=("md", "json"), default="md")
    p.add_argument("--plot", metavar="PNG", help="also write a plot: each metric against the human score per system")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..metrics.correlation import correlate

    result = correlate(args.run, args.human, args.level, args.corpus, args.score, args.exclude_refs, args.documents,
                       args.bootstrap, args.versus, args.permutations, args.seed)
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(result.to_markdown(), end="")
    if args.plot:
        from ..report.agreement import agreement_plot

        agreement_plot(result, args.plot)
    return 0
