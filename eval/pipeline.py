"""`mteval run`: corpus → systems (translate) → metrics (score) → …, each stage reading and writing the run folder."""

from __future__ import annotations

import hashlib
import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .config import Config
from .corpus import LOADERS, Corpus
from .leaderboard import leaderboard_rows, to_csv, to_markdown
from .metrics import make_metrics
from .rundir import RunDir, now, package_versions
from .scoring import score_systems
from .systems import BACKENDS, Backend
from .textio import atomic_write_lines, atomic_write_many, read_text


def _sha256_lines(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@dataclass
class RunContext:
    """What every stage gets: the config, the run folder, the manifest being built and a logger."""

    config: Config
    rundir: RunDir
    manifest: dict[str, Any]
    log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr)
    corpora: dict[str, Corpus] = field(default_factory=dict)
    backends: dict[str, Backend] = field(default_factory=dict)

    def systems_for(self, corpus: str) -> list[dict[str, Any]]:
        return [s for s in self.config.systems if s["corpora"] is None or corpus in s["corpora"]]

    def read_hypotheses(self, corpus: Corpus, system: str) -> list[str]:
        path = self.rundir.hypotheses(corpus.name, system)
        text = read_text(path)
        lines = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
        if len(lines) != len(corpus):
            raise RuntimeError(f"{path}: {len(lines)} lines for {len(corpus)} segments; re-run the translate stage")
        return lines


def prepare(config: Config, rundir: RunDir) -> RunContext:
    """Load every corpus and check every system against it before anything is written."""
    ctx = RunContext(config, rundir, rundir.load_manifest())
    for spec in config.corpora:
        ctx.corpora[spec["name"]] = LOADERS.get(spec["type"]).load(spec)
    for spec in config.systems:
        backend = BACKENDS.get(spec["backend"])(spec)
        ctx.backends[spec["name"]] = backend
    for name, corpus in ctx.corpora.items():
        for spec in ctx.systems_for(name):
            ctx.backends[spec["name"]].check_corpus(corpus)
    return ctx


def translate(ctx: RunContext) -> None:
    """Write hypotheses/<corpus>/<system>.txt: one line per segment (newlines inside a hypothesis become spaces)."""
    for name, corpus in ctx.corpora.items():
        for spec in ctx.systems_for(name):
            backend = ctx.backends[spec["name"]]
            ctx.log(f"translate: {name} × {spec['name']} ({len(corpus)} segments)")
            hyps = backend.translate(corpus)
            lines = [" ".join(h.splitlines()) for h in hyps]
            atomic_write_lines(ctx.rundir.hypotheses(name, spec["name"]), lines)
            ctx.manifest.setdefault("systems", {})[spec["name"]] = backend.identity()


def score(ctx: RunContext) -> None:
    """Write scores.json, segments.jsonl, stats/<corpus>.npz and leaderboard.md/.csv from the hypotheses.

    All of them are replaced together, or none is (a failure leaves the previous results whole).
    """
    outputs: dict[Any, str | bytes] = {}
    scores: dict[str, Any] = {}
    segments: list[dict[str, Any]] = []
    signatures: dict[str, dict[str, str]] = {}
    for name, corpus in ctx.corpora.items():
        hyps = {s["name"]: ctx.read_hypotheses(corpus, s["name"]) for s in ctx.systems_for(name)}
        metrics = make_metrics(ctx.config.metrics, corpus.tgt_lang) if corpus.references else []
        table = score_systems(hyps, corpus.references, metrics)
        scores[name] = table.corpus_scores() if metrics else {system: {} for system in hyps}
        signatures[name] = {m.name: m.signature() for m in metrics}
        arrays = {f"{system}|{metric}": st for system, by in table.stats.items() for metric, st in by.items()}
        if arrays:
            buf = io.BytesIO()
            np.savez_compressed(buf, **arrays)
            outputs[ctx.rundir.stats(name)] = buf.getvalue()
        for system, lines in hyps.items():
            sentence = table.sentence_scores(system) if metrics else [{} for _ in lines]
            for i, hyp in enumerate(lines):
                row = {"corpus": name, "system": system, "segment": i, "id": corpus.ids[i]}
                if corpus.documents:
                    row["document"] = corpus.documents[i]
                row.update(source=corpus.sources[i], references=[r[i] for r in corpus.references],
                           hypothesis=hyp, scores=sentence[i])
                segments.append(row)
    rows = leaderboard_rows(scores)
    outputs[ctx.rundir.scores] = json.dumps(scores, ensure_ascii=False, indent=2) + "\n"
    outputs[ctx.rundir.segments] = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in segments)
    outputs[ctx.rundir.leaderboard("md")] = to_markdown(rows)
    outputs[ctx.rundir.leaderboard("csv")] = to_csv(rows)
    atomic_write_many(outputs)
    ctx.manifest["signatures"] = signatures


STAGES: dict[str, Callable[[RunContext], None]] = {"translate": translate, "score": score}


def run(config: Config, stages: list[str] | None = None, log: Callable[[str], None] | None = None) -> RunDir:
    """Run the selected stages (default: all) of `config` into its run folder and return the folder."""
    rundir = RunDir(config.output)
    selected = stages or list(STAGES)
    ctx = prepare(config, rundir)
    if log is not None:
        ctx.log = log
    with rundir.lock():
        manifest = ctx.manifest
        manifest.update(
            mteval_run=config.name,
            config_path=config.path,
            config_sha256=config.sha256(),
            config=config.data,
            packages=package_versions(),
            corpora={name: {"src_lang": c.src_lang, "tgt_lang": c.tgt_lang, "segments": len(c),
                            "references": len(c.references), "sources_sha256": _sha256_lines(c.sources),
                            "provenance": c.provenance} for name, c in ctx.corpora.items()},
            started=now(),
        )
        manifest.pop("finished", None)
        manifest.setdefault("stages", {})
        for stage in selected:
            began = now()
            STAGES[stage](ctx)
            manifest["stages"][stage] = {"started": began, "finished": now()}
        manifest["finished"] = now()
        rundir.save_manifest(manifest)
    return rundir
