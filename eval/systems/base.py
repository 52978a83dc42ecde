"""The backend interface: a system turns a corpus's sources into one hypothesis per segment."""

from __future__ import annotations

from typing import Any, ClassVar

from ..config.schema import Located, Option
from ..corpus.base import Corpus
from ..errors import BackendError
from ..registry import Registry


class Backend:
    """A translation system. `options` extend the common system keys; `identity` must be stable and secret-free."""

    options: ClassVar[list[Option]] = []

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.name: str = spec["name"]

    @classmethod
    def create(cls, spec: dict[str, Any]) -> Backend:
        """The backend that runs a validated `spec`: `cls(spec)`, unless a backend hands over to a fallback."""
        return cls(spec)

    @classmethod
    def prepare(cls, values: dict[str, Any], loc: Located, path: tuple) -> None:
        """At config time: complete the validated `values` in place (defaults that depend on other keys, e.g.
        languages from file names) and make cheap checks (files exist); errors point into the config."""

    def check_corpus(self, corpus: Corpus) -> None:
        """Check, before anything is written, that this system can run on `corpus` (e.g. line counts)."""

    def identity(self) -> dict[str, Any]:
        """What determines this system's output (model, weights hash, parameters, prompt); goes in the manifest."""
        raise NotImplementedError

    def translate(self, corpus: Corpus) -> list[str]:
        """One hypothesis per segment of `corpus`, in corpus order."""
        raise NotImplementedError


BACKENDS: Registry[type[Backend]] = Registry("backend", BackendError, group="mteval.backends")
