"""Corpora: aligned source, references and segment ids, loaded by a registry of loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..config.schema import Located, Option
from ..errors import CorpusError
from ..registry import Registry


@dataclass
class Corpus:
    """One evaluation corpus: `references` is a list of reference streams, each aligned with `sources`.

    `outputs` are precomputed system outputs found with the corpus (e.g. a WMT folder), each run as a system.
    `origins` names the file of each stream (source, then references) and `first_line` the line of segment 0
    in them (None: not line-based, rows are reported instead); `locate` makes error locations from them.
    """

    name: str
    src_lang: str
    tgt_lang: str
    sources: list[str]
    references: list[list[str]]
    ids: list[str] = field(default_factory=list)
    documents: list[str] | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)
    origins: list[str] = field(default_factory=list)
    first_line: int | None = 1

    def __post_init__(self) -> None:
        if not self.ids:
            self.ids = [str(i) for i in range(len(self.sources))]

    def __len__(self) -> int:
        return len(self.sources)

    def locate(self, i: int, stream: int = 0) -> str:
        """Where segment `i` of `stream` (0 = source, k = reference k) comes from, e.g. 'data/dev.tsv:12'."""
        origin = self.origins[min(stream, len(self.origins) - 1)] if self.origins else f"corpus {self.name!r}"
        return locate(origin, self.first_line, i)


def locate(origin: str, first_line: int | None, i: int) -> str:
    """'file:line' of row `i` when the rows are lines starting at `first_line`, else 'file: row N' (1-based)."""
    return f"{origin}:{i + first_line}" if first_line is not None else f"{origin}: row {i + 1}"


class CorpusLoader:
    """Base for corpus loaders: `options` extend the common corpus keys; `load` builds the `Corpus`."""

    options: ClassVar[list[Option]] = []
    provides_systems: ClassVar[bool] = False  # the corpus brings system outputs (`Corpus.outputs`)

    @classmethod
    def prepare(cls, values: dict[str, Any], loc: Located, path: tuple) -> None:
        """At config time: complete the validated `values` in place (defaults that depend on other keys, e.g.
        languages from file names) and make cheap checks (files exist); errors point into the config."""

    @classmethod
    def load(cls, values: dict[str, Any]) -> Corpus:
        raise NotImplementedError


LOADERS: Registry[type[CorpusLoader]] = Registry("corpus type", CorpusError, group="mteval.loaders")


def check_file(path: str, loc: Located, key_path: tuple) -> None:
    if not Path(path).is_file():
        raise loc.error(key_path, f"file not found: {path}")
