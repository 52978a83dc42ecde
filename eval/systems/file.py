"""The `file` backend: precomputed output, one segment per line or a whole document to re-segment."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, ClassVar

from ..config.schema import Located, Option
from ..corpus.base import Corpus, check_file
from ..corpus.resegment import is_char_level, resegment
from ..errors import CorpusError
from ..textio import check_aligned, read_lines, read_text
from .base import BACKENDS, Backend


@BACKENDS.register("file")
class FileBackend(Backend):
    """Reads a system's output from a file; `level: document` re-segments it onto the reference segments."""

    options: ClassVar[list[Option]] = [
        Option("path", "str", "Output file: one segment per line, or a document with `level: document`.",
               example="corpora/xinhua-2021-04-13/seed-mt.en.txt"),
        Option("level", "str", "`segment` (aligned lines) or `document` (re-segmented onto the reference).",
               default="segment", example="document", choices=("segment", "document")),
    ]

    @classmethod
    def prepare(cls, values: dict[str, Any], loc: Located, path: tuple) -> None:
        check_file(values["path"], loc, path + ("path",))

    def identity(self) -> dict[str, Any]:
        data = Path(self.spec["path"]).read_bytes()
        return {"backend": "file", "path": self.spec["path"], "level": self.spec["level"],
                "sha256": hashlib.sha256(data).hexdigest()}

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self._outputs: dict[str, list[str]] = {}

    def check_corpus(self, corpus: Corpus) -> None:
        self._outputs[corpus.name] = self._read(corpus)

    def translate(self, corpus: Corpus) -> list[str]:
        if corpus.name not in self._outputs:
            self.check_corpus(corpus)
        return self._outputs[corpus.name]

    def _read(self, corpus: Corpus) -> list[str]:
        path = self.spec["path"]
        if self.spec["level"] == "document":
            if "limit" in corpus.provenance:
                raise CorpusError(f"{path}: a document-level output cannot be scored on part of a corpus; "
                                  f"remove `limit` from corpus {corpus.name!r}")
            if not corpus.references:
                raise CorpusError(f"{path}: a document-level output needs a reference to re-segment onto; "
                                  f"corpus {corpus.name!r} has none")
            text = read_text(path)
            if not text.strip():
                raise CorpusError(f"{path}: file is empty")
            return resegment(text, corpus.references[0], char_level=is_char_level(corpus.tgt_lang))
        lines = read_lines(path)
        if len(lines) == corpus.provenance.get("segments_total", -1):  # the corpus has a `limit`: keep its part
            lines = lines[:len(corpus)]
        check_aligned([(str(path), lines), (f"corpus {corpus.name!r}", corpus.sources, "segments")],
                      hint=" (for a document-level output set `level: document`)")
        return lines
