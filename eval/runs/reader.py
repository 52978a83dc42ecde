"""Reading a finished run folder: `Run` (what `mteval.run` returns and `Run.open` reads back) and the validated
per-corpus data (`CorpusView`) that the API, `inspect`, the report and `leaderboard` use."""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import ConfigError, RunError
from ..flags.base import SEVERITIES, Flag
from ..records import segment_row
from ..report.leaderboard import leaderboard_rows, to_csv, to_markdown
from ..textio import read_jsonl
from .layout import RunDir

LEADERBOARD_FORMATS = ("rows", "md", "csv")
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


class Run:
    """The results of one run folder, read lazily (and validated) the first time they are asked for.

    `scores` is `scores.json` (`{corpus: {system: {metric: {"score", "signature", "higher_is_better", ...}}}}`);
    `segments()` and `flags()` return the rows of `segments.jsonl` and `flags.jsonl`. Reading a folder that is
    not a finished run, or whose files disagree, raises `RunError` naming the file and line.
    """

    def __init__(self, root: str | Path, corpus: str | None = None) -> None:
        self.rundir = RunDir(root)
        self.only = corpus
        """With a corpus name, `corpora` holds only that corpus (the others' rows are skipped unparsed)."""
        self._corpus_views: dict[str, CorpusView] = {}

    @classmethod
    def open(cls, path: str | Path, corpus: str | None = None) -> Run:
        """An existing run folder (only `corpus` of it, if given); `RunError` unless it holds `scores.json`."""
        run = cls(path, corpus)
        if not run.rundir.root.is_dir():
            raise RunError(f"{run.rundir.root}: run folder not found")
        if not run.rundir.scores.is_file():
            raise RunError(f"{run.root}: not a run folder (no scores.json; has the score stage run?)")
        return run

    @property
    def root(self) -> Path:
        """The run folder."""
        return self.rundir.root

    path = root

    def __repr__(self) -> str:
        return f"Run({str(self.root)!r})"

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """`manifest.json`: config, package versions, signatures, stage times, translation-cache counts."""
        return self.rundir.load_manifest()

    @cached_property
    def scores(self) -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
        """Corpus scores by corpus, system and metric, as in `scores.json`."""
        return self.rundir.read_json(self.rundir.scores)

    @property
    def has_flags(self) -> bool:
        """Whether the flag stage wrote flags.jsonl."""
        return self.rundir.flags.is_file()

    @cached_property
    def corpora(self) -> dict[str, CorpusView]:
        """Scores, segments and flags by corpus, validated (what `inspect` and the report show)."""
        return _read_corpora(self.rundir, self.only)

    def corpus(self, name: str) -> CorpusView:
        """One corpus of the run; `RunError` listing the known ones."""
        if name not in self.corpora:
            raise RunError(f"{self.root}: no corpus {name!r} in this run (known: {', '.join(self.corpora)})")
        return self.corpora[name]

    def _views(self, corpus: str | None) -> list[CorpusView]:
        """All corpora's views, or only `corpus`'s (then only its rows are parsed)."""
        if corpus is None:
            return list(self.corpora.values())
        if "corpora" in self.__dict__ or self.only is not None:
            return [self.corpus(corpus)]
        if corpus not in self._corpus_views:
            self._corpus_views[corpus] = _read_corpora(self.rundir, corpus)[corpus]
        return [self._corpus_views[corpus]]

    def leaderboard(self, metric: str | None = None, format: str = "rows") -> list[dict[str, Any]] | str:
        """One row per corpus × system, best first on `metric` (default: the first metric), with CI, p-value and
        cluster columns when significance was computed. `format="md"` or `"csv"` returns the text that
        `leaderboard.md` / `leaderboard.csv` hold."""
        if format not in LEADERBOARD_FORMATS:
            raise ConfigError(f"leaderboard format {format!r}: expected one of {', '.join(LEADERBOARD_FORMATS)}")
        if metric is not None:
            known = sorted({m for systems in self.scores.values() for by in systems.values() for m in by})
            if metric not in known:
                raise RunError(f"{self.root}: no metric {metric!r} in this run (known: {', '.join(known)})")
        rows = leaderboard_rows(self.scores, sort_by=metric)
        if format == "md":
            return to_markdown(rows)
        return to_csv(rows) if format == "csv" else rows

    def segments(self, corpus: str | None = None, system: str | None = None) -> list[dict[str, Any]]:
        """Rows of `segments.jsonl` (corpus, system, segment, id, [document], source, references, hypothesis,
        scores), corpus by corpus and system by system, optionally only one corpus and/or system."""
        rows = []
        for view in self._views(corpus):
            for name in self._systems(view.systems, system):
                rows += [segment_row(view.name, name, i, view.ids[i], view.documents[i], view.sources[i],
                                     view.references[i], hyp, {m: s for m in view.metrics
                                                               if (s := view.sentence[name][m][i]) is not None})
                         for i, hyp in enumerate(view.hypotheses[name])]
        return rows

    def flags(self, corpus: str | None = None, system: str | None = None, kind: str | None = None,
              severity: str | None = None, min_confidence: float = 0.0) -> list[dict[str, Any]]:
        """Rows of `flags.jsonl` (corpus, system, segment, start, end, severity, kind, message, text, evidence),
        corpus by corpus, system by system, in segment order; `system`, `kind`, `severity` and `min_confidence`
        filter them (an unknown corpus is an error). `RunError` if the flag stage has not run or flags.jsonl is stale."""
        if not self.rundir.flags.is_file():
            raise RunError(f"{self.rundir.flags}: not found (has the flag stage run?)")
        return [{"corpus": view.name, "system": name, **flag.to_dict()}
                for view in self._views(corpus) for name, flag in view.all_flags()
                if system in (None, name) and kind in (None, flag.kind) and severity in (None, flag.severity)
                and (flag.confidence or 0.0) >= min_confidence]

    def _systems(self, systems: list[str], system: str | None) -> list[str]:
        if system is None:
            return systems
        if system not in systems:
            raise RunError(f"{self.root}: no system {system!r} in this run (known: {', '.join(systems)})")
        return [system]


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


def _rows(views: dict[str, CorpusView], path: Path, skip: set[str], keys: tuple[str, ...],
          systems: Callable[[CorpusView], Container[str]], stale: str) -> Iterator[tuple[str, CorpusView, dict]]:
    """(where, corpus view, row) for each row of a JSON-lines file of the run, checked to have `keys` and a
    corpus and system that `systems` knows; rows of the `skip` corpora are passed over."""
    for lineno, row in _jsonl(path, set(views) if skip else None):
        where = f"{path}:{lineno}"
        _require(row, keys, where)
        if row["corpus"] in skip:
            continue
        view = views.get(row["corpus"])
        if view is None or row["system"] not in systems(view):
            raise RunError(f"{where}: {row['corpus']}/{row['system']} is not in {stale}")
        yield where, view, row


def _add_segments(views: dict[str, CorpusView], path: Path, skip: set[str]) -> None:
    for where, view, row in _rows(views, path, skip, _SEGMENT_KEYS, lambda v: v.scores,
                                  "scores.json (stale run folder?)"):
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
    for where, view, row in _rows(views, path, skip, _FLAG_KEYS, lambda v: v.hypotheses,
                                  "this run (stale flags.jsonl?)"):
        seg, start, end = row["segment"], row["start"], row["end"]
        if not all(isinstance(v, int) for v in (seg, start, end)) or not 0 <= seg < len(view):
            raise RunError(f"{where}: segment/start/end must be integers, segment within 0..{len(view) - 1}")
        hyp = view.hypotheses[row["system"]][seg].strip()
        if not 0 <= start <= end <= len(hyp):  # empty: an insertion point (an omission flag)
            raise RunError(f"{where}: span [{start}, {end}) outside the hypothesis ({len(hyp)} characters)")
        if hyp[start:end] != row["text"]:
            raise RunError(f"{where}: text {row['text']!r} is not the hypothesis at [{start}, {end}) "
                           f"({hyp[start:end]!r}); flags.jsonl is stale, re-run the flag stage")
        if row["severity"] not in SEVERITIES:
            raise RunError(f"{where}: severity must be major or minor, got {row['severity']!r}")
        flag = Flag(seg, start, end, row["severity"], str(row["kind"]), str(row["message"]), row["text"],
                    row.get("evidence") or {},
                    None if row.get("confidence") is None else float(row["confidence"]))
        view.flags.setdefault(row["system"], {}).setdefault(seg, []).append(flag)
    for view in views.values():
        for by_seg in view.flags.values():
            for flags in by_seg.values():
                flags.sort(key=lambda f: (f.start, f.end))


def _read_corpora(rundir: RunDir, corpus: str | None = None) -> dict[str, CorpusView]:
    """Read scores.json, segments.jsonl and flags.jsonl (optional), all corpora or only `corpus`; `RunError` on
    bad input."""
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
    if rundir.flags.is_file():
        _add_flags(views, rundir.flags, skip)
    return views
