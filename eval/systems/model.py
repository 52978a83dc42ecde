"""`ModelBackend`: the shared batched, cached, resumable translate loop of the model backends.

Subclasses implement `load()` (heavy imports here, called only when some segment is not cached),
`translate_batch(sources, src_lang, tgt_lang)` and `params()` (what besides the weights determines the output).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from .. import progress
from ..config.schema import Located, Option
from ..corpus.base import Corpus
from ..errors import BackendError, MtevalError
from .base import Backend
from .generation import GENERATION_OPTIONS, check_generation
from .hub import ModelSource, resolve_model

if TYPE_CHECKING:
    from .cache import TranslationCache

MODEL_OPTIONS: list[Option] = [
    Option("model", "str", "Hub id, local model directory, .gguf file, or `package:NAME` (a packaged model).",
           example="Helsinki-NLP/opus-mt-zh-en"),
    Option("revision", "str", "Hub revision (branch, tag or commit).", default=None, example="main"),
    Option("batch_size", "int", "Segments per batch (batches are sorted by length).", default=16, example=8),
    Option("device", "str", "Where to run the model.", default="auto", example="cpu",
           choices=("auto", "cpu", "cuda")),
    Option("threads", "int", "CPU threads: torch's; for ct2 on CPU that many CTranslate2 workers, each batch split "
           "among them (default: torch's choice; ct2: the CPU count).", default=None, example=2),
]
"""Keys shared by the model backends."""

GENERATION_OPTION = Option("generation", "dict", "Generation parameters passed to `generate()` (greedy unless set).",
                           default={}, example={"num_beams": 4, "max_new_tokens": 256})
"""The transformers backends' `generate()` parameters."""


@contextmanager
def hf_loading(system: str, what: str, model: str) -> Iterator[None]:
    """Quiet transformers' logging and progress bars while loading; loading errors become one `BackendError`."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    except (OSError, ValueError, KeyError, ImportError) as exc:
        raise BackendError(f"system {system!r}: cannot load {what} model {model!r}: "
                           f"{str(exc).splitlines()[0]}") from None
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()


def torch_device(want: str, who: str, error: type[MtevalError]) -> str:
    """The torch device for a `device:` option: `auto` is cuda when torch sees a GPU, else cpu; `cuda` without
    one raises `error` naming `who`."""
    import torch

    if want == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if want == "cuda" and not torch.cuda.is_available():
        raise error(f"{who}: device cuda requested but torch sees no CUDA device")
    return want


def shard_range(n_segments: int, shard: tuple[int, int] | None) -> range:
    """Contiguous block of segment indices of shard (i, n), 0 ≤ i < n; all segments without a shard."""
    if shard is None:
        return range(n_segments)
    i, n = shard
    return range(i * n_segments // n, (i + 1) * n_segments // n)


class ModelBackend(Backend):
    """A backend that runs a model: sorted batches, a translation cache, lazy loading, progress on stderr."""

    options: ClassVar[list[Option]] = MODEL_OPTIONS
    generation_options: ClassVar[tuple[Option, ...] | None] = GENERATION_OPTIONS
    """The keys `generation:` accepts (None: passed on unchecked, e.g. to a server)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.cache: TranslationCache | None = None
        self.model_loads = 0
        self._source: ModelSource | None = None
        self._loaded = False
        self._identity: dict[str, Any] | None = None
        self._advance: Callable[[int], None] | None = None
        self._reported = 0

    @classmethod
    def prepare(cls, values: dict[str, Any], loc: Located, path: tuple) -> None:
        if values["batch_size"] < 1:
            raise loc.error(path + ("batch_size",), "must be at least 1")
        if values.get("threads") is not None and values["threads"] < 1:
            raise loc.error(path + ("threads",), "must be at least 1")
        if cls.generation_options is not None and values.get("generation"):
            check_generation(values["generation"], cls.generation_options, loc, path + ("generation",))

    # -- what subclasses provide -------------------------------------------------------------------------------

    def load(self) -> None:
        """Load the model and tokenizer (heavy imports here)."""
        raise NotImplementedError

    def translate_batch(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """Everything besides the weights that determines the output (generation parameters, prompt)."""
        return {"generation": self.spec["generation"]}

    def load_label(self) -> str:
        """What the progress line says while `load()` runs."""
        return f"{self.name}: loading {self.spec['model']}"

    def segments_done(self, n: int) -> None:
        """Called by `translate_batch` as rows of its batch finish, so that the bar moves per segment."""
        if self._advance is not None and n > 0:
            self._advance(n)
            self._reported += n

    # -- shared machinery --------------------------------------------------------------------------------------

    def source(self) -> ModelSource:
        if self._source is None:
            self._source = resolve_model(self.spec["model"], self.spec["revision"], self.spec.get("gguf_file"))
        return self._source

    def check_corpus(self, corpus: Corpus) -> None:
        self.source()

    def weights_sha256(self) -> str | None:
        """Hash of local weights (memoised in the cache); hub models are identified by their commit instead."""
        from pathlib import Path

        from .cache import sha256_file

        src = self.source()
        if src.weights_sha256 or src.kind == "hub":
            return src.weights_sha256
        root = Path(src.load_path)
        files = [root / src.gguf_file] if src.gguf_file else sorted(
            p for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
        hasher = self.cache.file_sha256 if self.cache else sha256_file
        if len(files) == 1:
            return hasher(files[0])
        from hashlib import sha256

        return sha256("".join(f"{p.name}:{hasher(p)}\n" for p in files).encode()).hexdigest()

    def identity(self) -> dict[str, Any]:
        if self._identity is None:
            src = self.source()
            self._identity = {"backend": self.spec["backend"], "model": self.spec["model"], "revision": src.revision,
                              "gguf_file": src.gguf_file, "weights_sha256": self.weights_sha256(), **self.params()}
        return self._identity

    def device(self) -> str:
        return torch_device(self.spec["device"], f"system {self.name!r}", BackendError)

    def ensure_loaded(self) -> None:
        if not self._loaded:
            if self.spec.get("threads"):
                import torch

                torch.set_num_threads(self.spec["threads"])
            with progress.timer(self.load_label()):
                self.load()
            self._loaded = True
            self.model_loads += 1

    def translate(self, corpus: Corpus) -> list[str]:
        return self.fill(corpus, range(len(corpus)))

    def fill(self, corpus: Corpus, indices: range) -> list[str]:
        """Translate segments `indices` of `corpus` (cached ones are served from the cache); returns them in order.

        New translations are committed to the cache after every batch, so a killed run loses at most one batch.
        """
        from .cache import identity_key

        key = identity_key(self.identity())
        sources = [corpus.sources[i] for i in indices]
        cached = (self.cache.get_many(key, corpus.src_lang, corpus.tgt_lang, sources) if self.cache
                  else [None] * len(sources))
        done: dict[str, str] = {s: h for s, h in zip(sources, cached, strict=True) if h is not None}
        todo = sorted({s for s in sources if s not in done}, key=len, reverse=True)
        for s in [s for s in todo if not s.strip()]:
            done[s] = ""
        todo = [s for s in todo if s.strip()]
        if todo:
            self.ensure_loaded()
            size = self.spec["batch_size"]
            with progress.bar(f"{self.name} → {corpus.name}", len(todo)) as advance:
                for start in range(0, len(todo), size):
                    batch = todo[start:start + size]
                    self._advance, self._reported = advance, 0
                    try:
                        hyps = self.translate_batch(batch, corpus.src_lang, corpus.tgt_lang)
                    except ValueError as exc:  # e.g. generation options transformers rejects together
                        raise BackendError(f"system {self.name!r}: generation failed: "
                                           f"{str(exc).splitlines()[0]}") from None
                    finally:
                        self._advance = None
                    if len(hyps) != len(batch) or not all(isinstance(h, str) for h in hyps):
                        raise BackendError(f"system {self.name!r}: backend returned {len(hyps)} outputs for a "
                                           f"batch of {len(batch)}")
                    pairs = list(zip(batch, hyps, strict=True))
                    if self.cache:
                        self.cache.put_many(key, corpus.src_lang, corpus.tgt_lang, pairs)
                    done.update(pairs)
                    advance(max(len(batch) - self._reported, 0))
        return [done[s] for s in sources]
