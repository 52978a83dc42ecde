"""MetricX-24 (google/metricx-24-hybrid-*): an mT5 model that regresses an MQM-like error score in [0, 25]
(lower is better). `metricx` reads source, hypothesis and reference; `metricx-qe` the same hybrid checkpoints
without the reference (quality estimation).

Inference re-implemented after google-research/metricx `metricx24/predict.py` and `models.py`: the input is
"source: S candidate: H reference: R" (QE: "source: S candidate: H"), tokenised with the mT5 tokenizer as
transformers 4.30 (MetricX's pin) converts it, truncated to `max_input_length` tokens, the final token (EOS)
dropped; the decoder runs one step from token 0 and the score is the logit of id 250089 (<extra_id_10>), clipped
to [0, 25]. torch and transformers are imported only when a model is loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..config.schema import Option
from ..errors import BackendError, MetricError
from .base import METRICS, SegmentMetric
from .cache import MetricCache, output_key

IMPLEMENTATION = "mteval-metricx24-1"
"""Version of this re-implementation; part of the signature (bump when outputs change)."""
REGRESSION_ID = 250089
"""The vocabulary id whose first-step logit is the score (<extra_id_10> of mT5; fixed in the official code)."""
MAX_SCORE = 25.0

OPTIONS: list[Option] = [
    Option("model", "str", "MetricX-24 hybrid checkpoint: hub id (from the local Hugging Face cache) or a local "
           "directory with config.json and the weights.", default="google/metricx-24-hybrid-large-v2p6",
           example="google/metricx-24-hybrid-xl-v2p6"),
    Option("tokenizer", "str", "The mT5 tokenizer (hub id or directory); all mT5 sizes share it.",
           default="google/mt5-xl", example="google/mt5-xl"),
    Option("batch_size", "int", "Segments per batch (batches are sorted by length).", default=8, example=16),
    Option("device", "str", "Where to run the model (`auto`: cuda when available).", default="auto", example="cpu",
           choices=("auto", "cpu", "cuda")),
    Option("max_input_length", "int", "Input tokens kept (MetricX-24 was trained with 1536).", default=1536,
           example=1024),
]


def metricx_input(source: str, hypothesis: str, reference: str | None) -> str:
    """The model input of one segment, exactly as the official `predict.py` builds it."""
    text = "source: " + source + " candidate: " + hypothesis
    return text if reference is None else text + " reference: " + reference


def use_official_t5_pipeline(tokenizer: Any) -> None:
    """Tokenise as the official environment does (transformers 4.30's fast T5 tokenizer): the sentencepiece
    charsmap, runs of spaces collapsed, one Metaspace split. transformers 5 splits on whitespace first, which
    drops a trailing space (4.30 keeps it as a "▁" token) and treats other Unicode spaces differently."""
    from tokenizers import Regex, normalizers, pre_tokenizers

    backend = tokenizer.backend_tokenizer
    collapse = normalizers.Replace(Regex(" {2,}"), " ")
    current = backend.normalizer
    backend.normalizer = collapse if current is None else normalizers.Sequence([current, collapse])
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)


class MetricXScorer:
    """A loaded MetricX model and tokenizer."""

    def __init__(self, model_path: str, model_revision: str | None, tokenizer_path: str,
                 tokenizer_revision: str | None, device: str) -> None:
        from transformers import AutoTokenizer, MT5ForConditionalGeneration
        from transformers.utils import logging

        self.tokenizer = AutoTokenizer.from_pretrained(tokenizer_path, revision=tokenizer_revision)
        use_official_t5_pipeline(self.tokenizer)
        verbosity = logging.get_verbosity()
        logging.set_verbosity_error()  # a spurious "will NOT tie shared and lm_head" warning (they are separate)
        try:
            self.model = MT5ForConditionalGeneration.from_pretrained(model_path, revision=model_revision,
                                                                     dtype="auto")
        finally:
            logging.set_verbosity(verbosity)
        if self.model.config.vocab_size <= REGRESSION_ID:
            raise MetricError(f"metricx: model {model_path!r} has vocab_size {self.model.config.vocab_size}; a "
                              f"MetricX checkpoint reads the logit of id {REGRESSION_ID}")
        self.model.to(device).eval()
        self.device = device

    def token_ids(self, texts: Sequence[str], max_length: int) -> list[list[int]]:
        """Truncated token ids without the final EOS (as `predict.py`: tokenise, truncate, drop the last token)."""
        encoded = self.tokenizer(list(texts), max_length=max_length, truncation=True, padding=False)
        return [ids[:-1] for ids in encoded["input_ids"]]

    def score_ids(self, batch: Sequence[list[int]]) -> list[float]:
        """Scores of one batch of token id lists (right-padded; padding is masked out)."""
        import torch

        width = max(len(ids) for ids in batch)
        pad = self.model.config.pad_token_id
        input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids in batch], device=self.device)
        mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids in batch], device=self.device)
        start = torch.zeros((len(batch), 1), dtype=torch.long, device=self.device)
        with torch.inference_mode():
            logits = self.model(input_ids=input_ids, attention_mask=mask, decoder_input_ids=start,
                                use_cache=False).logits
        return torch.clamp(logits[:, 0, REGRESSION_ID], 0, MAX_SCORE).float().tolist()

    def score(self, texts: Sequence[str], max_length: int, batch_size: int,
              advance: Callable[[int], None]) -> list[float]:
        """Scores of model inputs, in order; batches of similar length, longest first."""
        ids = self.token_ids(texts, max_length)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]), reverse=True)
        scores = [0.0] * len(ids)
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            for i, s in zip(chunk, self.score_ids([ids[i] for i in chunk]), strict=True):
                scores[i] = s
            advance(len(chunk))
        return scores


TOKENIZER_FILES = frozenset({"spiece.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"})


def _files_sha256(root: Path, names: frozenset[str] | None, digest: Callable[[Path], str]) -> str:
    """Digest of a directory's files (all, or those named `names`): names and contents."""
    files = sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith(".")
                   and (names is None or p.name in names))
    return hashlib.sha256("".join(f"{p.name}:{digest(p)}\n" for p in files).encode()).hexdigest()


@METRICS.register("metricx")
class MetricX(SegmentMetric):
    """MetricX-24 hybrid with the reference (the first reference stream; the source when the corpus has one)."""

    name = "metricx"
    higher_is_better = False
    loads_model: ClassVar[bool] = True
    options: ClassVar[list[Option]] = OPTIONS
    uses_reference: ClassVar[bool] = True

    def __init__(self, tgt_lang: str, **options: Any) -> None:
        defaults = {o.name: o.default for o in self.options}
        super().__init__(tgt_lang, **(defaults | options))
        for key in ("batch_size", "max_input_length"):
            if self.config[key] < 1:
                raise MetricError(f"{self.name}: {key} must be at least 1")
        self._resolved: tuple[Any, Any] | None = None
        self._scorer: MetricXScorer | None = None
        self._identity: str | None = None
        self.cache: MetricCache | None = None

    def use_cache(self, cache: MetricCache | None) -> None:
        self.cache = cache
        self._identity = None

    def resolved(self) -> tuple[Any, Any]:
        """The model's and the tokenizer's `ModelSource`s (local or Hugging Face cache); fails fast when missing."""
        from ..systems.hub import resolve_model

        if self._resolved is None:
            model, tokenizer = self.config["model"], self.config["tokenizer"]
            try:
                self._resolved = (resolve_model(model), resolve_model(tokenizer))
            except BackendError as exc:
                get = [f"hf download {model}"] if not Path(model).expanduser().exists() else []
                if not Path(tokenizer).expanduser().exists():
                    get.append(f"hf download {tokenizer} --include '*.json' --include spiece.model")  # no weights
                raise MetricError(f"{self.name}: {exc} (to get it: {'; '.join(get)})") from None
        return self._resolved

    def check_available(self) -> None:
        self.resolved()

    def device(self) -> str:
        from ..systems.model import torch_device

        return torch_device(self.config["device"], self.name, MetricError)

    def scorer(self) -> MetricXScorer:
        if self._scorer is None:
            model, tokenizer = self.resolved()
            try:
                self._scorer = MetricXScorer(model.load_path, model.revision, tokenizer.load_path, tokenizer.revision,
                                             self.device())
            except (OSError, ValueError, KeyError) as exc:
                raise MetricError(f"{self.name}: cannot load model {self.config['model']!r} with tokenizer "
                                  f"{self.config['tokenizer']!r}: {str(exc).splitlines()[0]}") from None
        return self._scorer

    def identity(self) -> str:
        """Digest of what determines the scores: weights (hub commit or file hashes), tokenizer, settings, code."""
        if self._identity is None:
            from ..systems.cache import sha256_file

            digest = self.cache.file_sha256 if self.cache is not None else sha256_file  # memoised in the cache
            parts = [IMPLEMENTATION, str(self.config["max_input_length"]), str(self.uses_reference)]
            for src, names in zip(self.resolved(), (None, TOKENIZER_FILES), strict=True):
                parts.append(src.revision if src.kind == "hub" else _files_sha256(Path(src.load_path), names, digest))
            self._identity = hashlib.sha256("\0".join(parts).encode()).hexdigest()
        return self._identity

    def signature(self) -> str:
        model = self.resolved()[0]
        where = f"rev:{model.revision[:12]}" if model.revision else "local"
        return (f"{self.name}|model:{self.config['model']}|{where}|maxlen:{self.config['max_input_length']}|"
                f"id:{self.identity()[:12]}|{IMPLEMENTATION}")

    def segment_scores(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]],
                       sources: Sequence[str] | None) -> list[float]:
        from ..progress import bar as progress_bar

        if self.uses_reference and not references:
            raise MetricError(f"{self.name}: needs references (use metricx-qe for corpora without them)")
        if not self.uses_reference and sources is None:
            raise MetricError(f"{self.name}: needs the source segments")
        srcs = sources if sources is not None else [""] * len(hypotheses)  # the README's choice without sources
        refs = references[0] if self.uses_reference else [None] * len(hypotheses)
        texts = [metricx_input(s, h, r) for s, h, r in zip(srcs, hypotheses, refs, strict=True)]
        unique = list(dict.fromkeys(texts))
        keys = [output_key(self.identity(), (t,)) for t in unique] if self.cache is not None else []
        found = self.cache.get_many(keys) if self.cache is not None else [None] * len(unique)
        by_text = {t: v for t, v in zip(unique, found, strict=True) if v is not None}
        todo = [t for t in unique if t not in by_text]
        if todo:
            scorer = self.scorer()
            with progress_bar(self.name, len(todo)) as advance:
                scores = scorer.score(todo, self.config["max_input_length"], self.config["batch_size"], advance)
            by_text.update(zip(todo, scores, strict=True))
            if self.cache is not None:
                self.cache.put_many(self.identity(), [(output_key(self.identity(), (t,)), by_text[t]) for t in todo])
        return [by_text[t] for t in texts]


@METRICS.register("metricx-qe")
class MetricXQE(MetricX):
    """MetricX-24 hybrid without the reference (quality estimation from source and hypothesis)."""

    name = "metricx-qe"
    needs_references: ClassVar[bool] = False
    uses_reference: ClassVar[bool] = False
