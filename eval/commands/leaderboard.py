"""`mteval leaderboard`: merge run folders (corpora × systems) into one leaderboard with CIs and clusters."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("leaderboard", help="merge run folders into one leaderboard (CIs, p-values, clusters)",
                       description="Merge the scores of one or more run folders, corpus by corpus. When a corpus "
                       "is in several folders, its systems are pooled and CIs, p-values and clusters are "
                       "recomputed from stats/<corpus>.npz with the same resamples for every system.")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run folder (holds scores.json)")
    p.add_argument("--metric", "-m", help="sort by this metric (default: the first one)")
    p.add_argument("--corpus", action="append", help="only this corpus (repeatable)")
    p.add_argument("--format", "-f", choices=("md", "csv", "json"), default="md")
    p.set_defaults(func=main)


def _corpus_key(info: dict[str, Any]) -> tuple:
    """What must agree for two runs' results on a corpus to be pooled: the same source and reference texts (by
    their sha256, wherever the files were) and target language."""
    return (info.get("sources_sha256"), info.get("tgt_lang"), info.get("references"),
            tuple(info.get("references_sha256") or ()))


def merge_runs(roots: list[str], corpora: list[str] | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """`{corpus: {system: {metric: info}}}` over several run folders; pooled corpora get fresh significance."""
    from ..errors import RunError
    from ..runs.layout import RunDir

    merged: dict[str, dict[str, dict[str, Any]]] = {}
    origin: dict[str, list[RunDir]] = {}
    meta: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}  # corpus → (manifest corpus info, significance)
    for root in roots:
        rundir = RunDir(root)
        scores = rundir.read_json(rundir.scores)
        manifest = rundir.load_manifest()
        for corpus, systems in scores.items():
            if corpora and corpus not in corpora:
                continue
            info = manifest.get("corpora", {}).get(corpus, {})
            if corpus in meta and _corpus_key(meta[corpus][0]) != _corpus_key(info):
                first = origin[corpus][0].root
                raise RunError(f"{rundir.scores}: corpus {corpus!r} differs from the one in {first} (sources, "
                               f"target language or references); cannot pool them")
            meta.setdefault(corpus, (info, manifest.get("significance") or {}))
            target = merged.setdefault(corpus, {})
            for system, by_metric in systems.items():
                if system in target and target[system] != by_metric:
                    raise RunError(f"{rundir.scores}: system {system!r} on corpus {corpus!r} is also in "
                                   f"{origin[corpus][0].root} with other scores; rename one of them")
                target[system] = by_metric
            origin.setdefault(corpus, []).append(rundir)
    if corpora:
        missing = [c for c in corpora if c not in merged]
        if missing:
            raise RunError(f"no corpus {', '.join(map(repr, missing))} in {', '.join(roots)}")
    for corpus, dirs in origin.items():
        if len(dirs) > 1:
            _resignify(corpus, dirs, merged[corpus], *meta[corpus])
    return merged


def _resignify(corpus: str, dirs: list, systems: dict[str, dict[str, Any]], info: dict[str, Any],
               settings: dict[str, Any]) -> None:
    """Recompute CIs, p-values and clusters of a corpus pooled from several runs, from their statistics."""
    import numpy as np

    from ..errors import RunError
    from ..metrics import make_metrics
    from ..metrics.significance import Settings, analyse

    names = sorted({m for by in systems.values() for m in by})
    signatures = {}
    for system, by_metric in systems.items():
        for m, entry in by_metric.items():
            if signatures.setdefault(m, entry.get("signature")) != entry.get("signature"):
                raise RunError(f"corpus {corpus!r}: metric {m!r} has different signatures across runs; "
                               f"cannot pool them")
    stats: dict[str, dict[str, np.ndarray]] = {}
    for rundir in dirs:
        path = rundir.stats(corpus)
        if not path.is_file():
            raise RunError(f"{path}: not found; re-run the score stage of {rundir.root}")
        with np.load(path) as npz:
            for key in npz.files:
                system, _, metric = key.partition("|")
                stats.setdefault(system, {})[metric] = npz[key]
    stats = {s: stats[s] for s in systems if s in stats and all(m in stats[s] for m in systems[s])}
    lengths = {len(a) for by in stats.values() for a in by.values()}
    if len(lengths) > 1:
        raise RunError(f"corpus {corpus!r}: statistics have different segment counts across runs {sorted(lengths)}")
    metrics = [m for m in make_metrics(names, info.get("tgt_lang") or "en")
               if all(m.name in by for by in stats.values())]
    allowed = {f.name for f in Settings.__dataclass_fields__.values()}
    settings = {k: v for k, v in settings.items() if k in allowed}
    settings["baseline"] = None  # a baseline named in one run need not be in the others
    result = analyse(metrics, stats, Settings(**settings))
    for system, by_metric in result.items():
        for metric, extra in by_metric.items():
            entry = systems[system][metric]
            for key in ("ci", "p_value", "p_value_ar", "cluster", "baseline"):
                entry.pop(key, None)
            entry.update(extra)


def main(args: argparse.Namespace) -> int:
    from ..errors import RunError
    from ..report.leaderboard import leaderboard_rows, to_csv, to_markdown

    merged = merge_runs(args.runs, args.corpus)
    if args.metric:
        known = sorted({m for systems in merged.values() for by in systems.values() for m in by})
        if args.metric not in known:
            raise RunError(f"no metric {args.metric!r} in {', '.join(str(Path(r)) for r in args.runs)} "
                           f"(known: {', '.join(known)})")
    if args.format == "json":
        print(json.dumps(merged, ensure_ascii=False, indent=2))
        return 0
    rows = leaderboard_rows(merged, sort_by=args.metric)
    print(to_markdown(rows) if args.format == "md" else to_csv(rows), end="")
    return 0
