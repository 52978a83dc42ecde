"""A run folder loaded for viewing: scores, segments and (when present) flags, organised by corpus."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RunError
from ..flags.base import SEVERITIES, Flag
from ..textio import read_jsonl
from .layout import RunDir

_SEGMENT_KEYS = ("corpus", "system", "segment", "source", "references", "hypothesis", "scores")
_FLAG_KEYS = ("corpus", "system", "segment", "start", "end", "severity", "kind", "message", "text")


@dataclass
class CorpusView:
    """One corpus of a run: per-segment text, each system's hypotheses, sentence scores, corpus scores, flags."""

    name: str
    systems: list[str]
    metrics: list[str]
    higher_is_better: dict[str, bool]
    scores: dict[str, dict[str, dict[str, Any]]]
    ids: list[str] = field(default_factory=list)
    documents: list[str | None] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    references: list[list[str]] = field(default_factory=list)
    hypotheses: dict[str, list[str]] = field(default_factory=dict)
    sentence: dict[str, dict[str, list[float | None]]] = field(default_factory=dict)
    flags: dict[str, dict[int, list[Flag]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sources)

    def flags_of(self, system: str, segment: int) -> list[Flag]:
        return self.flags.get(system, {}).get(segment, [])

    def all_flags(self) -> list[tuple[str, Flag]]:
        """(system, flag) pairs, system by system in segment order."""
        return [(system, f) for system in self.systems for seg in sorted(self.flags.get(system, {}))
                for f in self.flags[system][seg]]


@dataclass
class RunView:
    """Everything `inspect` and `report` show, read from a run folder."""

    root: Path
    corpora: dict[str, CorpusView]
    manifest: dict[str, Any]
    has_flags: bool

    def corpus(self, name: str) -> CorpusView:
        if name not in self.corpora:
            raise RunError(f"{self.root}: no corpus {name!r} in this run (known: {', '.join(self.corpora)})")
        return self.corpora[name]


def _jsonl(path: Path, corpora: set[str] | None = None) -> list[tuple[int, dict[str, Any]]]:
    """Rows with their line numbers; with `corpora`, rows whose line starts `{"corpus": "<other>"` are skipped
    unparsed (mteval writes "corpus" first; rows written otherwise are parsed and kept, then filtered by key)."""
    prefixes = tuple(f'{{"corpus": {json.dumps(c, ensure_ascii=False)},' for c in corpora) if corpora else ()
    return read_jsonl(path, (lambda line: line.startswith('{"corpus": "') and not line.startswith(prefixes))
                      if prefixes else None)


def _require(row: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    missing = [k for k in keys if k not in row]
    if missing:
        raise RunError(f"{where}: missing key(s) {', '.join(missing)}")


def _corpus_views(scores: Any, path: Path) -> dict[str, CorpusView]:
    if not isinstance(scores, dict):
        raise RunError(f"{path}: expected {{corpus: {{system: {{metric: ...}}}}}}")
    views = {}
    for name, systems in scores.items():
        if not isinstance(systems, dict):
            raise RunError(f"{path}: corpus {name!r}: expected {{system: {{metric: ...}}}}")
        metrics: list[str] = []
        higher: dict[str, bool] = {}
        for system, by_metric in systems.items():
            for metric, info in by_metric.items():
                if not isinstance(info, dict) or not isinstance(info.get("score"), int | float):
                    raise RunError(f"{path}: {name}/{system}/{metric}: expected an object with a numeric score")
                if metric not in metrics:
                    metrics.append(metric)
                    higher[metric] = bool(info.get("higher_is_better", True))
        views[name] = CorpusView(name, list(systems), metrics, higher, systems)
    return views


def _add_segments(views: dict[str, CorpusView], path: Path, skip: set[str]) -> None:
    for lineno, row in _jsonl(path, set(views) if skip else None):
        where = f"{path}:{lineno}"
        _require(row, _SEGMENT_KEYS, where)
        if row["corpus"] in skip:
            continue
        view = views.get(row["corpus"])
        if view is None or row["system"] not in view.scores:
            raise RunError(f"{where}: {row['corpus']}/{row['system']} is not in scores.json (stale run folder?)")
        i, system = row["segment"], row["system"]
        if not isinstance(i, int) or i < 0:
            raise RunError(f"{where}: segment must be a 0-based integer, got {i!r}")
        hyps = view.hypotheses.setdefault(system, [])
        if i != len(hyps):
            raise RunError(f"{where}: segment {i} of {system} out of order (expected {len(hyps)})")
        hyps.append(str(row["hypothesis"]))
        sentence = view.sentence.setdefault(system, {m: [] for m in view.metrics})
        for metric in view.metrics:
            sentence[metric].append(row["scores"].get(metric))
        if i == len(view.sources):
            view.ids.append(str(row.get("id", i)))
            view.documents.append(row.get("document"))
            view.sources.append(str(row["source"]))
            view.references.append([str(r) for r in row["references"]])
        elif row["source"] != view.sources[i]:
            raise RunError(f"{where}: source of segment {i} differs from the other systems' rows")
    for view in views.values():
        for system in view.systems:
            n = len(view.hypotheses.get(system, []))
            if not n:
                raise RunError(f"{path}: no rows for {view.name}/{system} (stale or incomplete run folder?)")
            if n != len(view):
                raise RunError(f"{path}: {view.name}/{system} has {n} segments, expected {len(view)}")


def _add_flags(views: dict[str, CorpusView], path: Path, skip: set[str]) -> None:
    for lineno, row in _jsonl(path, set(views) if skip else None):
        where = f"{path}:{lineno}"
        _require(row, _FLAG_KEYS, where)
        if row["corpus"] in skip:
            continue
        view = views.get(row["corpus"])
        if view is None or row["system"] not in view.hypotheses:
            raise RunError(f"{where}: {row['corpus']}/{row['system']} is not in this run (stale flags.jsonl?)")
        seg, start, end = row["segment"], row["start"], row["end"]
        if not all(isinstance(v, int) for v in (seg, start, end)) or not 0 <= seg < len(view):
            raise RunError(f"{where}: segment/start/end must be integers, segment within 0..{len(view) - 1}")
        hyp = view.hypotheses[row["system"]][seg].strip()
        if not 0 <= start < end <= len(hyp):
            raise RunError(f"{where}: span [{start}, {end}) outside the hypothesis ({len(hyp)} characters)")
        if hyp[start:end] != row["text"]:
            raise RunError(f"{where}: text {row['text']!r} is not the hypothesis at [{start}, {end}) "
                           f"({hyp[start:end]!r}); flags.jsonl is stale, re-run the flag stage")
        if row["severity"] not in SEVERITIES:
            raise RunError(f"{where}: severity must be major or minor, got {row['severity']!r}")
        flag = Flag(seg, start, end, row["severity"], str(row["kind"]), str(row["message"]), row["text"],
                    row.get("evidence") or {})
        view.flags.setdefault(row["system"], {}).setdefault(seg, []).append(flag)
    for view in views.values():
        for by_seg in view.flags.values():
            for flags in by_seg.values():
                flags.sort(key=lambda f: (f.start, f.end))


def load_run(root: str | Path, corpus: str | None = None) -> RunView:
    """Read scores.json, segments.jsonl and flags.jsonl (optional) of a run folder, all corpora or only `corpus`;
    `RunError` on bad input."""
    rundir = RunDir(root)
    if not rundir.root.is_dir():
        raise RunError(f"{rundir.root}: run folder not found")
    views = _corpus_views(rundir.read_json(rundir.scores), rundir.scores)
    skip: set[str] = set()
    if corpus is not None:
        if corpus not in views:
            raise RunError(f"{rundir.root}: no corpus {corpus!r} in this run (known: {', '.join(views)})")
        skip = set(views) - {corpus}
        views = {corpus: views[corpus]}
    if not rundir.segments.is_file():
        raise RunError(f"{rundir.segments}: not found (has the score stage run?)")
    _add_segments(views, rundir.segments, skip)
    has_flags = rundir.flags.is_file()
    if has_flags:
        _add_flags(views, rundir.flags, skip)
    return RunView(rundir.root, views, rundir.load_manifest(), has_flags)
