"""`mteval run`: corpus → systems (translate) → metrics (score) → …, each stage reading and writing the run folder."""

from __future__ import annotations

import bisect
import hashlib
import io
import itertools
import json
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .. import interrupt, progress
from ..config.load import Config
from ..corpus import load_corpus
from ..corpus.base import Corpus
from ..errors import ConfigError, RunError
from ..metrics import make_metrics
from ..metrics.scoring import score_systems
from ..metrics.significance import Settings
from ..records import SegmentRow, segment_row
from ..report.leaderboard import leaderboard_rows, to_csv, to_markdown
from ..systems import BACKENDS, Backend
from ..systems.outputs import OutputsBackend
from ..textio import atomic_write_lines, atomic_write_many, read_text
from . import STAGE_NAMES
from .layout import RunDir, now, package_versions


def _sha256_lines(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _file_sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


@lru_cache(maxsize=1)
def _code_sha256() -> str:
    """Hash of the installed `mteval` package's files (code, fitted weights, report assets)."""
    root = Path(__file__).parents[1]
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# The run-folder files each stage writes; a stage is up to date only if they exist.
STAGE_OUTPUTS: dict[str, Callable[[RunDir], list[Path]]] = {
    "score": lambda r: [r.scores, r.segments, r.leaderboard("md"), r.leaderboard("csv")],
    "flag": lambda r: [r.flags],
    "report": lambda r: [r.report],
}


def stage_inputs(ctx: RunContext, stage: str) -> str:
    """Digest of everything a stage's outputs depend on: code, package versions, the resolved config, corpus
    contents, the hypotheses, and the files the stage reads (glossary; the report's input files)."""
    parts: list[Any] = [stage, _code_sha256(), ctx.manifest.get("packages"), ctx.config.sha256()]
    for name, corpus in ctx.corpora.items():
        parts.append([name, corpus.src_lang, corpus.tgt_lang, _sha256_lines(corpus.sources), corpus.ids,
                      corpus.documents, [_sha256_lines(r) for r in corpus.references]])
        parts += [_file_sha256(ctx.rundir.hypotheses(name, s["name"])) for s in ctx.systems_for(name)]
    if stage == "flag" and ctx.config.data["flags"].get("glossary"):
        parts.append(_file_sha256(Path(ctx.config.data["flags"]["glossary"])))
    if stage == "report":
        parts += [_file_sha256(p) for p in (ctx.rundir.scores, ctx.rundir.segments, ctx.rundir.flags)]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class RunContext:
    """What every stage gets: the config, the run folder, the manifest being built and a logger."""

    config: Config
    rundir: RunDir
    manifest: dict[str, Any]
    log: Callable[[str], None] = progress.log
    corpora: dict[str, Corpus] = field(default_factory=dict)
    backends: dict[str, Backend] = field(default_factory=dict)
    shard: tuple[int, int] | None = None
    """`(i, n)`: translate only the i-th of n contiguous blocks into the translation cache (`--shard`)."""

    def systems_for(self, corpus: str) -> list[dict[str, Any]]:
        """The configured systems for `corpus`, then the system outputs that came with it (e.g. a WMT folder)."""
        configured = [s for s in self.config.systems if s["corpora"] is None or corpus in s["corpora"]]
        found = self.corpora[corpus].outputs if corpus in self.corpora else {}
        return configured + [self.backends[name].spec for name in found]

    def read_hypotheses(self, corpus: Corpus, system: str) -> list[str]:
        path = self.rundir.hypotheses(corpus.name, system)
        text = read_text(path)
        lines = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
        if len(lines) != len(corpus):
            raise RunError(f"{path}: {len(lines)} lines for {len(corpus)} segments of corpus {corpus.name!r}; the "
                           f"hypotheses are from another corpus version: re-run the translate stage")
        return lines


def prepare(config: Config, rundir: RunDir) -> RunContext:
    """Load every corpus and check every system against it before anything is written."""
    ctx = RunContext(config, rundir, rundir.load_manifest())
    for spec in config.corpora:
        with progress.timer(f"corpus: loading {spec['name']}"):
            ctx.corpora[spec["name"]] = load_corpus(spec, ctx.log)
    for spec in config.systems:
        backend = BACKENDS.get(spec["backend"]).create(spec)
        ctx.backends[spec["name"]] = backend
    configured = {s["name"] for s in config.systems}
    for name, corpus in ctx.corpora.items():
        for system in corpus.outputs:
            if system in configured:
                raise ConfigError(f"{config.path}: system {system!r} is configured and is also a system output "
                                  f"of corpus {name!r}; rename the configured system")
            ctx.backends.setdefault(system, OutputsBackend(system)).add(corpus)
    for name, corpus in ctx.corpora.items():
        for spec in ctx.systems_for(name):
            ctx.backends[spec["name"]].check_corpus(corpus)
    for metric in make_metrics(config.metrics, "und"):
        metric.check_available()  # missing weights fail now, not after translation
    return ctx


@contextmanager
def metric_cache(ctx: RunContext) -> Iterator[Any]:
    """The metric output cache beside the translation cache (`metrics.sqlite`), or None with `cache: false`."""
    from ..metrics.cache import MetricCache
    from ..systems.cache import cache_path

    path = cache_path(ctx.config.data.get("cache"), ctx.config.output)
    cache = MetricCache(path.parent / "metrics.sqlite") if path is not None else None
    try:
        yield cache
    finally:
        if cache is not None:
            cache.close()


def translate(ctx: RunContext) -> None:
    """Write hypotheses/<corpus>/<system>.txt: one line per segment (newlines inside a hypothesis become spaces).

    Model backends go through the translation cache (committed after every batch); with `ctx.shard` only that
    shard's segments are translated into the cache and the run folder is left alone.
    """
    from ..systems.cache import TranslationCache, cache_path
    from ..systems.model import ModelBackend, shard_range

    path = cache_path(ctx.config.data.get("cache"), ctx.config.output)
    models = [b for b in ctx.backends.values() if isinstance(b, ModelBackend)]
    cache = TranslationCache(path) if path is not None and models else None
    stats: dict[str, Any] = {}
    files: list[str] = []  # systems read from files: one line for all of them
    try:
        for name, corpus in ctx.corpora.items():
            for spec in ctx.systems_for(name):
                backend = ctx.backends[spec["name"]]
                is_model = isinstance(backend, ModelBackend)
                if is_model:
                    backend.cache = cache
                if ctx.shard is not None:
                    if is_model:
                        part = shard_range(len(corpus), ctx.shard)
                        ctx.log(f"translate: {name} × {spec['name']} shard {ctx.shard[0]}/{ctx.shard[1]} "
                                f"(segments {part.start}-{part.stop - 1}) into {path}")
                        backend.fill(corpus, part)
                    continue
                (ctx.log if is_model else progress.detail)(
                    f"translate: {name} × {spec['name']} ({len(corpus)} segments)")
                if not is_model:
                    files.append(spec["name"])
                hits, misses = (cache.hits, cache.misses) if cache else (0, 0)
                hyps = backend.translate(corpus)
                lines = [" ".join(h.splitlines()) for h in hyps]
                atomic_write_lines(ctx.rundir.hypotheses(name, spec["name"]), lines)
                ctx.manifest.setdefault("systems", {})[spec["name"]] = backend.identity()
                if is_model:
                    stats.setdefault(spec["name"], {})[name] = {
                        "cached": cache.hits - hits if cache else 0,
                        "translated": cache.misses - misses if cache else len(corpus),
                        "model_loads": backend.model_loads}
    finally:
        if cache is not None:
            cache.close()
    if files:
        n = len(set(files))
        ctx.log(f"translate: {n} system{'s' if n > 1 else ''} read from files")
    if ctx.shard is None:
        ctx.manifest["translation_cache"] = {"path": str(path) if cache else None, "systems": stats}


def score(ctx: RunContext) -> None:
    """Write scores.json, segments.jsonl, stats/<corpus>.npz and leaderboard.md/.csv from the hypotheses.

    All of them are replaced together, or none is (a failure leaves the previous results whole).
    """
    outputs: dict[Any, str | bytes] = {}
    scores: dict[str, Any] = {}
    segments: list[SegmentRow] = []
    signatures: dict[str, dict[str, str]] = {}
    significance = Settings(**ctx.config.data.get("significance") or {})
    with metric_cache(ctx) as cache:
        for name, corpus in ctx.corpora.items():
            hyps = {s["name"]: ctx.read_hypotheses(corpus, s["name"]) for s in ctx.systems_for(name)}
            metrics = [m for m in make_metrics(ctx.config.metrics, corpus.tgt_lang)
                       if corpus.references or not m.needs_references]
            for m in metrics:
                m.use_cache(cache)
            with progress.timer(f"score: {name} ({len(hyps)} systems × {len(metrics)} metrics, "
                                f"{len(corpus)} segments)"):
                table = score_systems(hyps, corpus.references, metrics, corpus.sources)
            scores[name] = table.corpus_scores(significance) if metrics else {system: {} for system in hyps}
            signatures[name] = {m.name: m.signature() for m in metrics}
            arrays = {f"{system}|{metric}": st for system, by in table.stats.items() for metric, st in by.items()}
            if arrays:
                buf = io.BytesIO()
                np.savez_compressed(buf, **arrays)
                outputs[ctx.rundir.stats(name)] = buf.getvalue()
            for system, lines in hyps.items():
                sentence = table.sentence_scores(system) if metrics else [{} for _ in lines]
                segments += [segment_row(name, system, i, corpus.ids[i],
                                         corpus.documents[i] if corpus.documents else None, corpus.sources[i],
                                         [r[i] for r in corpus.references], hyp, sentence[i])
                             for i, hyp in enumerate(lines)]
    rows = leaderboard_rows(scores)
    outputs[ctx.rundir.scores] = json.dumps(scores, ensure_ascii=False, indent=2) + "\n"
    outputs[ctx.rundir.segments] = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in segments)
    outputs[ctx.rundir.leaderboard("md")] = to_markdown(rows)
    outputs[ctx.rundir.leaderboard("csv")] = to_csv(rows)
    atomic_write_many(outputs)
    ctx.manifest["signatures"] = signatures
    ctx.manifest["significance"] = asdict(significance)


def flag(ctx: RunContext) -> None:
    """Write flags.jsonl: the flag detectors over every corpus × system (the corpus's other systems are the
    consensus evidence, its references the reference evidence); only the corpora `flags.corpora` lists, if any."""
    from ..flags import build_segments, flag_systems, gc_paused, make_detectors, prepare
    from ..parallel import fork_map, idle_cores

    spec = ctx.config.data.get("flags") or {}
    detectors = make_detectors(spec.get("detectors"), {"glossary": spec.get("glossary")})
    rows: list[dict[str, Any]] = []
    names = [d.name for d in detectors]
    with metric_cache(ctx) as cache, gc_paused():  # the segments, workers' results and rows: many small objects
        chosen = spec.get("corpora")
        flagged = [(name, corpus) for name, corpus in ctx.corpora.items() if chosen is None or name in chosen]
        for name, corpus in flagged:
            hyps = {s["name"]: ctx.read_hypotheses(corpus, s["name"]) for s in ctx.systems_for(name)}
            fed = _metric_detectors(ctx, corpus, cache)  # these replace the same detectors listed in `flags:`
            fed_names = {d.name for d in fed}
            names += [n for n in fed_names if n not in names]
            found: list[dict[str, Any]] = []
            dets = [d for d in detectors if d.name not in fed_names] + fed
            systems = [build_segments(corpus.sources, lines, corpus.references,
                                      {other: out for other, out in hyps.items() if other != system},
                                      corpus.src_lang, corpus.tgt_lang) for system, lines in hyps.items()]
            # Workers flag ranges of segments for every system, each preparing the caches of its own range; the
            # process-wide resources (dictionary, segmenter) are loaded here once, on one segment, and inherited.
            # Detectors fed by a model's metric stay in this process.
            jobs = 1 if fed else idle_cores()
            # Ranges of near-equal work (characters of every system's output), four per worker: neither core waits
            # long at the end, and the progress bar moves every second or so.
            work = [1 + sum(len(seg.hypothesis) for seg in column) for column in zip(*systems)]
            parts = _ranges(work, 1 if jobs == 1 else 4 * jobs) if systems else []
            if systems and jobs > 1:
                prepare(systems[0][:1], dets)
            per_system: list[list[Any]] = [[] for _ in systems]
            with progress.bar(f"flag: {name}", len(hyps) * len(corpus)) as advance:
                for (lo, hi), flags in zip(parts, fork_map(flag_systems, [(systems, dets, lo, hi) for lo, hi in parts],
                                                           jobs)):
                    for kept, more in zip(per_system, flags):
                        kept.extend(more)
                    advance(len(hyps) * (hi - lo))
            for system, flags in zip(hyps, per_system):
                found.extend({"corpus": name, "system": system, **f.to_dict()} for f in flags)
            ctx.log(f"flag: {name}: {len(hyps)} system{'s' if len(hyps) != 1 else ''}, "
                    f"{sum(r['severity'] == 'major' for r in found)} major, "
                    f"{sum(r['severity'] == 'minor' for r in found)} minor")
            rows.extend(found)
    atomic_write_many({ctx.rundir.flags: "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                                                 for r in rows)})
    ctx.manifest["flags"] = {"detectors": names, "glossary": spec.get("glossary"),
                             "corpora": [name for name, _ in flagged], "flags": len(rows)}


def _ranges(weights: Sequence[float], parts: int) -> list[tuple[int, int]]:
    """Items of these (positive) weights as up to `parts` contiguous (lo, hi) ranges of near-equal total weight."""
    if not weights:
        return []
    cum = list(itertools.accumulate(weights))
    bounds = [0, *(bisect.bisect_left(cum, cum[-1] * k / parts) + 1 for k in range(1, parts)), len(weights)]
    return [(lo, hi) for lo, hi in itertools.pairwise(bounds) if hi > lo]


def _metric_detectors(ctx: RunContext, corpus: Corpus, cache: Any) -> list[Any]:
    """Detectors fed by the configured metrics' outputs (xCOMET's error spans), for one corpus."""
    from ..flags import DETECTORS

    metrics = [m for m in make_metrics(ctx.config.metrics, corpus.tgt_lang)
               if m.detector and (corpus.references or not m.needs_references)]
    for m in metrics:
        m.use_cache(cache)
    return [DETECTORS.get(m.detector)({"metric": m}) for m in metrics]


def report(ctx: RunContext) -> None:
    """Write report.html (one self-contained file) from the run folder, unless the config says `report: false`."""
    if not ctx.config.data.get("report", True):
        return
    from ..report.html import write_report

    with progress.timer("report: writing report.html"):
        path = write_report(ctx.rundir.root, manifest=ctx.manifest)
    ctx.log(f"report: {path}")


STAGES: dict[str, Callable[[RunContext], None]] = dict(zip(STAGE_NAMES, (translate, score, flag, report),
                                                            strict=True))


def run(config: Config, stages: list[str] | None = None, log: Callable[[str], None] | None = None,
        shard: tuple[int, int] | None = None, after_stage: Callable[[str], None] | None = None) -> RunDir:
    """Run the selected stages (default: all) of `config` into its run folder and return the folder.

    Without `stages`, a stage whose inputs (`stage_inputs`) are those of its last completed run, and whose
    outputs exist, is up to date and skipped; named `stages` always run. Translation is always served through
    the translation cache. With `shard=(i, n)` only the translate stage runs, on the i-th of n blocks, filling
    the translation cache. `after_stage(stage)` is called when a stage is done or up to date (the CLI prints
    the leaderboard after `score`). A run folder this run created is removed again if the run fails before
    any stage completed.
    """
    rundir = RunDir(config.output)
    selected = stages or list(STAGES)
    ctx = prepare(config, rundir)
    if log is not None:
        ctx.log = log
    if shard is not None:
        ctx.shard = shard
        translate(ctx)
        return rundir
    created = not rundir.root.exists()
    try:
        _run_stages(ctx, selected, stages is not None, after_stage)
    except Exception:
        if created and rundir.root.is_dir() and not ctx.manifest.get("stages"):
            shutil.rmtree(rundir.root, ignore_errors=True)
        raise
    return rundir


def _run_stages(ctx: RunContext, selected: list[str], named: bool, after_stage: Callable[[str], None] | None
                ) -> None:
    """Run `selected` stages under the run folder's lock, skipping up-to-date ones unless they were `named`."""
    from ..systems.model import ModelBackend

    config, rundir = ctx.config, ctx.rundir
    with rundir.lock():
        manifest = ctx.manifest
        manifest.update(
            mteval_run=config.name,
            config_path=config.path,
            config_sha256=config.sha256(),
            config=config.data,
            packages=package_versions(models=any(isinstance(b, ModelBackend) for b in ctx.backends.values())),
            corpora={name: {"src_lang": c.src_lang, "tgt_lang": c.tgt_lang, "segments": len(c),
                            "references": len(c.references), "sources_sha256": _sha256_lines(c.sources),
                            "references_sha256": [_sha256_lines(r) for r in c.references],
                            "provenance": c.provenance} for name, c in ctx.corpora.items()},
            started=now(),
        )
        manifest.pop("finished", None)
        completed = manifest.setdefault("stages", {})
        previous = dict(completed)
        for stage in selected:
            inputs = stage_inputs(ctx, stage) if stage in STAGE_OUTPUTS else None
            outputs = STAGE_OUTPUTS[stage](rundir) if inputs else []
            if (not named and inputs and previous.get(stage, {}).get("inputs") == inputs
                    and all(p.is_file() for p in outputs)):
                completed[stage] = previous[stage]
                ctx.log(f"{stage}: up to date")
                if after_stage:
                    after_stage(stage)
                continue
            began = now()
            # this stage's outputs and those of every later stage are about to be (or become) stale
            for later in list(STAGES)[list(STAGES).index(stage):]:
                completed.pop(later, None)
            rundir.save_manifest(manifest)
            started = time.perf_counter()
            STAGES[stage](ctx)
            interrupt.check()  # a Ctrl-C swallowed by a finalizer still stops the run before the stage counts
            progress.detail(f"{stage}: done in {time.perf_counter() - started:.1f}s")
            completed[stage] = {"started": began, "finished": now(), "config_sha256": manifest["config_sha256"]}
            if inputs:
                completed[stage]["inputs"] = stage_inputs(ctx, stage)
            if after_stage:
                after_stage(stage)
        manifest["finished"] = now()
        rundir.save_manifest(manifest)
