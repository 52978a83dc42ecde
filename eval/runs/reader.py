"""`Run`: a run folder's results for Python users (what `eval.run` returns and `Run.open` reads back)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import ConfigError, RunError
from ..report.leaderboard import leaderboard_rows, to_csv, to_markdown
from .layout import RunDir
from .view import CorpusView, RunView, load_run

LEADERBOARD_FORMATS = ("rows", "md", "csv")


class Run:
    """The results of one run folder, read lazily (and validated) the first time they are asked for.

    `scores` is `scores.json` (`{corpus: {system: {metric: {"score", "signature", "higher_is_better", ...}}}}`);
    `segments()` and `flags()` return the rows of `segments.jsonl` and `flags.jsonl`. Reading a folder that is
    not a finished run, or whose files disagree, raises `RunError` naming the file and line.
    """

    def __init__(self, root: str | Path) -> None:
        self.rundir = RunDir(root)
        self._corpus_views: dict[str, CorpusView] = {}

    @classmethod
    def open(cls, path: str | Path) -> Run:
        """An existing run folder; `RunError` unless it holds `scores.json`."""
        run = cls(path)
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

    @cached_property
    def view(self) -> RunView:
        """Everything `mteval inspect` and the report read: scores, segments and flags by corpus (validated)."""
        return load_run(self.root)

    def _views(self, corpus: str | None) -> list[CorpusView]:
        """All corpora's views, or only `corpus`'s (then only its rows are parsed)."""
        if corpus is None:
            return list(self.view.corpora.values())
        if "view" in self.__dict__:
            return [self.view.corpus(corpus)]
        if corpus not in self._corpus_views:
            self._corpus_views[corpus] = load_run(self.root, corpus).corpus(corpus)
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
                for i, hyp in enumerate(view.hypotheses[name]):
                    row: dict[str, Any] = {"corpus": view.name, "system": name, "segment": i, "id": view.ids[i]}
                    if view.documents[i] is not None:
                        row["document"] = view.documents[i]
                    row.update(source=view.sources[i], references=view.references[i], hypothesis=hyp,
                               scores={m: view.sentence[name][m][i] for m in view.metrics
                                       if view.sentence[name][m][i] is not None})
                    rows.append(row)
        return rows

    def flags(self, corpus: str | None = None, system: str | None = None, kind: str | None = None,
              severity: str | None = None) -> list[dict[str, Any]]:
        """Rows of `flags.jsonl` (corpus, system, segment, start, end, severity, kind, message, text, evidence),
        corpus by corpus, system by system, in segment order; `system`, `kind` and `severity` filter them (an
        unknown corpus is an error). `RunError` if the flag stage has not run or flags.jsonl is stale."""
        if not self.rundir.flags.is_file():
            raise RunError(f"{self.rundir.flags}: not found (has the flag stage run?)")
        return [{"corpus": view.name, "system": name, **flag.to_dict()}
                for view in self._views(corpus) for name, flag in view.all_flags()
                if system in (None, name) and kind in (None, flag.kind) and severity in (None, flag.severity)]

    def _systems(self, systems: list[str], system: str | None) -> list[str]:
        if system is None:
            return systems
        if system not in systems:
            raise RunError(f"{self.root}: no system {system!r} in this run (known: {', '.join(systems)})")
        return [system]
