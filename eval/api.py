"""The public Python API; the CLI calls these functions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config.load import DEFAULT_METRICS, Config, load_config
from .errors import ConfigError, CorpusError, RunError
from .lang import lang_from_suffix
from .metrics import make_metrics
from .metrics.scoring import score_systems
from .metrics.significance import Settings
from .records import Scores
from .textio import check_aligned, read_lines

if TYPE_CHECKING:
    from .runs.reader import Run


def score(
    hypotheses: dict[str, Sequence[str]],
    references: Sequence[Sequence[str]],
    metrics: Sequence[str] = DEFAULT_METRICS,
    tgt_lang: str = "en",
    significance: Settings | None = None,
    sources: Sequence[str] | None = None,
) -> Scores:
    """Corpus scores `{system: {metric: ScoreRecord}}` ("score", "signature", "higher_is_better").

    `references` is a list of reference streams (one list of segments per reference), as in sacreBLEU; `metrics`
    are names or `{"name": ..., option: ...}` mappings; `sources` reach the metrics that use them (COMET,
    flags-mqm). With
    `significance` (e.g. `Settings(bootstrap=1000)`) every entry also gets `"ci"`, `"p_value"` against
    `"baseline"` and `"cluster"` (see `mteval.metrics.significance`).
    """
    if significance is not None and significance.baseline and significance.baseline not in hypotheses:
        raise ConfigError(f"baseline {significance.baseline!r} is not one of the systems: {', '.join(hypotheses)}")
    for name, hyps in hypotheses.items():
        check_aligned([(f"system {name!r}", hyps, "segments"),
                       *[(f"reference {i + 1}", ref, "segments") for i, ref in enumerate(references)],
                       *([("the sources", sources, "segments")] if sources is not None else [])])
    table = score_systems(dict(hypotheses), references, make_metrics(metrics, tgt_lang), sources)
    return table.corpus_scores(significance)


def score_files(
    hypotheses: Sequence[str],
    references: Sequence[str],
    src: str | None = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
    tgt_lang: str | None = None,
    significance: Settings | None = None,
) -> Scores:
    """`score` on files; each hypothesis is a path or NAME=PATH (the name defaults to the file name; an existing
    file whose name contains '=' is a path)."""
    make_metrics(metrics, "en")  # unknown metric names fail before any file is read
    ref_streams = [read_lines(path) for path in references]
    files = list(zip(references, ref_streams))
    sources = read_lines(src) if src else None
    if sources is not None:
        files.insert(0, (src, sources))
    systems: dict[str, list[str]] = {}
    for item in hypotheses:
        name, sep, path = item.partition("=")
        if not sep or Path(item).is_file():
            name, path = Path(item).name, item
        if name in systems:
            hint = "give each file its own NAME" if sep and name != Path(item).name else "name it with NAME=PATH"
            raise CorpusError(f"{path}: duplicate system name {name!r}; {hint}")
        lines = read_lines(path)
        check_aligned(files + [(path, lines)])
        systems[name] = lines
    lang = tgt_lang or lang_from_suffix(references[0]) or "en"
    return score(systems, ref_streams, metrics, lang, significance, sources)


def run(
    config: Config | str | Path,
    overrides: Sequence[str] = (),
    stages: Sequence[str] | None = None,
    shard: tuple[int, int] | str | None = None,
    log: Callable[[str], None] | None = None,
    after_stage: Callable[[str], None] | None = None,
) -> Run:
    """Run an evaluation config (a `Config`, or a path to YAML with `overrides` like `"metrics=[bleu]"`) and
    return its results.

    `stages` picks stages (default: all of translate, score, flag, report). With `shard=(i, n)` (or `"i/n"`) only
    the i-th of n blocks of every corpus is translated into the translation cache and no run folder is written.
    Progress lines go to `log` (default: stderr); `after_stage(name)` is called as each stage is done.
    """
    from .runs.pipeline import STAGES
    from .runs.pipeline import run as run_pipeline
    from .runs.reader import Run

    for stage in stages or ():
        if stage not in STAGES:
            raise ConfigError(f"unknown stage {stage!r} (known: {', '.join(STAGES)})")
    if isinstance(config, Config):
        if overrides:
            raise ConfigError("overrides apply to a config file; pass its path, or load_config(path, overrides)")
        cfg = config
    else:
        cfg = load_config(config, list(overrides))
    rundir = run_pipeline(cfg, list(stages) if stages else None, log=log, shard=_shard(shard), after_stage=after_stage)
    return Run(rundir.root)


def _shard(shard: tuple[int, int] | str | None) -> tuple[int, int] | None:
    """`(i, n)` or `"i/n"` → `(i, n)`; `ConfigError` unless 0 <= i < n."""
    if shard is None:
        return None
    value: object = shard
    if isinstance(shard, str):
        i, sep, n = shard.partition("/")
        value = (int(i), int(n)) if sep and i.isdigit() and n.isdigit() else None
    if not (isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value)
            and 0 <= value[0] < value[1]):
        raise ConfigError(f"shard {shard!r}: expected I/N with 0 <= I < N, e.g. 0/4")
    return value


def leaderboard(runs: Sequence[str | Path], corpora: Sequence[str] | None = None, metric: str | None = None,
                format: str = "rows") -> list[dict[str, Any]] | dict[str, Scores] | str:
    """One leaderboard over several run folders, corpus by corpus: systems of a corpus found in several runs are
    pooled and their CIs, p-values and clusters recomputed from the runs' statistics. `format`: "rows" (one dict
    per corpus × system, best first on `metric`), "md" or "csv" (the text), "scores" (`{corpus: Scores}`)."""
    from .report.leaderboard import leaderboard_rows, merge_runs, to_csv, to_markdown

    if format not in ("rows", "md", "csv", "scores"):
        raise ConfigError(f"leaderboard format {format!r}: expected one of rows, md, csv, scores")
    merged = merge_runs(runs, corpora)
    if metric:
        known = sorted({m for systems in merged.values() for by in systems.values() for m in by})
        if metric not in known:
            raise RunError(f"no metric {metric!r} in {', '.join(map(str, runs))} (known: {', '.join(known)})")
    if format == "scores":
        return merged
    rows = leaderboard_rows(merged, sort_by=metric)
    if format == "rows":
        return rows
    return to_markdown(rows) if format == "md" else to_csv(rows)
