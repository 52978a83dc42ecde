"""The public Python API; the CLI calls these functions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config.load import DEFAULT_METRICS, Config, load_config
from .errors import ConfigError, CorpusError
from .lang import lang_from_suffix
from .metrics import make_metrics
from .metrics.scoring import score_systems
from .metrics.significance import Settings
from .textio import check_aligned, read_lines

if TYPE_CHECKING:
    from .runs.reader import Run


def score(
    hypotheses: dict[str, Sequence[str]],
    references: Sequence[Sequence[str]],
    metrics: Sequence[str] = DEFAULT_METRICS,
    tgt_lang: str = "en",
    significance: Settings | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Corpus scores `{system: {metric: {"score", "signature", "higher_is_better"}}}`.

    `references` is a list of reference streams (one list of segments per reference), as in sacreBLEU. With
    `significance` (e.g. `Settings(bootstrap=1000)`) every entry also gets `"ci"`, `"p_value"` against
    `"baseline"` and `"cluster"` (see `eval.significance`).
    """
    if significance is not None and significance.baseline and significance.baseline not in hypotheses:
        raise ConfigError(f"baseline {significance.baseline!r} is not one of the systems: {', '.join(hypotheses)}")
    for name, hyps in hypotheses.items():
        for i, ref in enumerate(references):
            if len(ref) != len(hyps):
                raise CorpusError(f"line counts differ: system {name!r} has {len(hyps)} segments, "
                                  f"reference {i + 1} has {len(ref)}")
    table = score_systems(dict(hypotheses), references, make_metrics(metrics, tgt_lang))
    return table.corpus_scores(significance)


def score_files(
    hypotheses: Sequence[str],
    references: Sequence[str],
    src: str | None = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
    tgt_lang: str | None = None,
    significance: Settings | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """`score` on files; each hypothesis is a path or NAME=PATH (the name defaults to the file name; an existing
    file whose name contains '=' is a path)."""
    make_metrics(metrics, "en")  # unknown metric names fail before any file is read
    ref_streams = [read_lines(path) for path in references]
    files = list(zip(references, ref_streams))
    if src:
        files.insert(0, (src, read_lines(src)))
    systems: dict[str, list[str]] = {}
    for item in hypotheses:
        name, sep, path = item.partition("=")
        if not sep or Path(item).is_file():
            name, path = Path(item).name, item
        if name in systems:
            raise CorpusError(f"{path}: duplicate system name {name!r}; name it with NAME=PATH")
        lines = read_lines(path)
        check_aligned(files + [(path, lines)])
        systems[name] = lines
    lang = tgt_lang or lang_from_suffix(references[0]) or "en"
    return score(systems, ref_streams, metrics, lang, significance)


def run(
    config: Config | str | Path,
    overrides: Sequence[str] = (),
    stages: Sequence[str] | None = None,
    shard: tuple[int, int] | None = None,
    log: Callable[[str], None] | None = None,
) -> Run:
    """Run an evaluation config (a `Config`, or a path to YAML with `overrides` like `"metrics=[bleu]"`) and
    return its results.

    `stages` picks stages (default: all of translate, score, flag, report). With `shard=(i, n)` only the i-th of n
    blocks of every corpus is translated into the translation cache and no run folder is written. Progress lines
    go to `log` (default: stderr).
    """
    from .runs.pipeline import STAGES
    from .runs.pipeline import run as run_pipeline
    from .runs.reader import Run

    for stage in stages or ():
        if stage not in STAGES:
            raise ConfigError(f"unknown stage {stage!r} (known: {', '.join(STAGES)})")
    if shard is not None and not (isinstance(shard, tuple) and len(shard) == 2 and 0 <= shard[0] < shard[1]):
        raise ConfigError(f"shard {shard!r}: expected (i, n) with 0 <= i < n")
    if isinstance(config, Config):
        if overrides:
            raise ConfigError("overrides apply to a config file; pass its path, or load_config(path, overrides)")
        cfg = config
    else:
        cfg = load_config(config, list(overrides))
    return Run(run_pipeline(cfg, list(stages) if stages else None, log=log, shard=shard).root)
