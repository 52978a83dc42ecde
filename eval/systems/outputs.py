"""Systems that come with a corpus (the outputs in a WMT folder): `file` systems without a config entry."""

from __future__ import annotations

from typing import Any

from ..corpus.base import Corpus
from .base import Backend


class OutputsBackend(Backend):
    """Serves `corpus.outputs[name]` for every corpus it was added to; identity: each output's path and sha256."""

    def __init__(self, name: str) -> None:
        super().__init__({"name": name, "backend": "file", "corpora": []})
        self.files: dict[str, Any] = {}

    def add(self, corpus: Corpus) -> None:
        self.spec["corpora"].append(corpus.name)
        self.files[corpus.name] = corpus.provenance.get("outputs", {}).get(self.name, {})

    def identity(self) -> dict[str, Any]:
        return {"backend": "file", "level": "segment", "outputs": self.files}

    def translate(self, corpus: Corpus) -> list[str]:
        return corpus.outputs[self.name]
