"""COMET-family metrics from local weights: `comet` (COMET-22 regression), `cometkiwi` (reference-free) and
`xcomet` (score and error spans). The network lives in `comet_model` (torch), imported only when scoring."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..config.schema import Option
from ..errors import MetricError
from .base import METRICS, SegmentMetric
from .cache import MetricCache, output_key

IMPLEMENTATION = "mteval-comet-1"
"""Version of this re-implementation; part of signatures and cache keys (bump when outputs change)."""

TOKENIZER_FILES = ("tokenizer.json", "sentencepiece.bpe.model", "tokenizer_config.json", "special_tokens_map.json")


def neural_options(default_model: str) -> list[Option]:
    """The keys of a metric that runs a model from a checkpoint folder or hub id."""
    return [
        Option("model", "str", "Checkpoint folder (with `checkpoints/model.ckpt` and `hparams.yaml`) or Hugging Face "
               "hub id (from the local cache).", default=default_model, example=default_model),
        Option("encoder", "str", "Folder or hub id of the encoder's config and tokenizer (default: `pretrained_model` "
               "in hparams.yaml, from the local cache).", default=None, example="xlm-roberta-large"),
        Option("batch_size", "int", "Segments per batch.", default=16, example=16),
        Option("device", "str", "Where to run the model (`auto`: cuda when available).", default="auto",
               example="cpu", choices=("auto", "cpu", "cuda")),
    ]


@dataclass(frozen=True)
class Checkpoint:
    """A resolved COMET model: its files and the hub revision (None for local folders)."""

    ckpt: Path
    hparams_file: Path
    hparams: dict[str, Any]
    encoder_dir: Path
    revision: str | None


def hub_cache() -> Path:
    """The Hugging Face hub cache folder (`HF_HUB_CACHE`, else `HF_HOME/hub`, else `~/.cache/huggingface/hub`)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return Path(home).expanduser() / "hub"


def _cached(repo_id: str, filename: str) -> Path | None:
    """A file of the `main` snapshot of a model in the hub cache (its documented layout; no hub client import)."""
    repo = hub_cache() / f"models--{repo_id.replace('/', '--')}"
    try:
        commit = (repo / "refs" / "main").read_text().strip()
    except OSError:
        return None
    path = repo / "snapshots" / commit / filename
    return path if path.is_file() else None


def _hub_file(repo_id: str, filename: str, what: str) -> Path:
    """A file of a hub repository from the local Hugging Face cache; missing files fail at once when offline."""
    from ..net import unreachable

    cached = _cached(repo_id, filename)
    if cached is not None:
        return cached
    endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    reason = unreachable(endpoint, timeout=0.5, names=("MTEVAL_OFFLINE", "HF_HUB_OFFLINE"))
    if reason:
        raise MetricError(f"{what} {repo_id!r} is not in the local Hugging Face cache ({hub_cache()}) and the hub "
                          f"is unreachable ({reason}): run `hf download {repo_id}` on a connected machine and copy "
                          f"the cache, or set the metric's model: to a local folder")
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo_id, filename))
    except Exception as exc:  # noqa: BLE001  (network and hub errors of many kinds)
        raise MetricError(f"{what} {repo_id!r}: cannot download {filename}: {str(exc).splitlines()[0]}") from None


def _encoder_dir(name: str, metric: str) -> Path:
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise MetricError(f"{metric}: encoder folder {name} has no config.json")
        return path
    config = _hub_file(name, "config.json", f"{metric}: encoder")
    for filename in ("tokenizer.json", "sentencepiece.bpe.model"):
        try:
            _hub_file(name, filename, f"{metric}: encoder")
            break
        except MetricError:
            continue
    else:
        raise MetricError(f"{metric}: encoder {name!r} has no tokenizer in the local Hugging Face cache")
    return config.parent


def resolve_checkpoint(model: str, encoder: str | None, metric: str) -> Checkpoint:
    """Find a COMET model's checkpoint, hparams.yaml and encoder files, or raise a one-line `MetricError`."""
    import yaml

    path = Path(model).expanduser()
    revision = None
    if path.is_file() and path.suffix == ".ckpt":
        ckpt, hparams_file = path, path.parents[1] / "hparams.yaml"
    elif path.is_dir():
        ckpt, hparams_file = path / "checkpoints" / "model.ckpt", path / "hparams.yaml"
    elif path.exists() or model.startswith((".", "/", "~")) or model.count("/") != 1:
        raise MetricError(f"{metric}: model {model!r} is neither a COMET checkpoint folder nor a hub id")
    else:
        ckpt = _hub_file(model, "checkpoints/model.ckpt", f"{metric}: model")
        hparams_file = _hub_file(model, "hparams.yaml", f"{metric}: model")
        revision = ckpt.parents[1].name
    for f in (ckpt, hparams_file):
        if not f.is_file():
            raise MetricError(f"{metric}: model {model!r}: {f} not found (expected checkpoints/model.ckpt and "
                              f"hparams.yaml, the layout of the Unbabel hub repositories)")
    try:
        hparams = yaml.safe_load(hparams_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MetricError(f"{hparams_file}: cannot read the COMET hparams: {exc}") from None
    if not isinstance(hparams, dict) or "class_identifier" not in hparams:
        raise MetricError(f"{hparams_file}: not COMET hparams (no class_identifier)")
    encoder_name = encoder or hparams.get("pretrained_model", "xlm-roberta-large")
    return Checkpoint(ckpt, hparams_file, hparams, _encoder_dir(encoder_name, metric), revision)


@lru_cache(maxsize=2)
def _load(ckpt: Path, hparams_file: Path, encoder_dir: Path, device: str) -> Any:
    """The scorer of a checkpoint (loaded once per process)."""
    import yaml

    from .comet_model import CometScorer, build

    hparams = yaml.safe_load(hparams_file.read_text(encoding="utf-8"))
    net, tokenizer = build(hparams, str(ckpt), str(encoder_dir))
    return CometScorer(net, tokenizer, hparams, device)


class CometMetric(SegmentMetric):
    """A COMET-family metric: segment scores from a checkpoint, cached per model identity and segment."""

    options: ClassVar[list[Option]] = []
    loads_model: ClassVar[bool] = True
    classes: ClassVar[tuple[str, ...]] = ()
    """The hparams `class_identifier`s this metric accepts."""
    uses_reference: ClassVar[bool] = True

    def __init__(self, tgt_lang: str, **options: Any) -> None:
        super().__init__(tgt_lang, **options)
        self.cache: MetricCache | None = None
        self._checkpoint: Checkpoint | None = None
        self._identity: str | None = None

    def use_cache(self, cache: MetricCache | None) -> None:
        self.cache = cache
        self._identity = None

    def check_available(self) -> None:
        self.checkpoint()

    def checkpoint(self) -> Checkpoint:
        if self._checkpoint is None:
            cp = resolve_checkpoint(self.config["model"], self.config["encoder"], self.name)
            if cp.hparams["class_identifier"] not in self.classes:
                raise MetricError(f"{self.name}: model {self.config['model']!r} is a {cp.hparams['class_identifier']}"
                                  f", expected {' or '.join(self.classes)}")
            self._checkpoint = cp
        return self._checkpoint

    def identity(self) -> str:
        """Digest of what determines the outputs: weights, hparams, tokenizer and this implementation."""
        if self._identity is None:
            cp = self.checkpoint()
            digest = self.cache.file_sha256 if self.cache is not None else _sha256
            parts = [IMPLEMENTATION, digest(cp.ckpt), digest(cp.hparams_file)]
            parts += [digest(cp.encoder_dir / f) for f in TOKENIZER_FILES if (cp.encoder_dir / f).is_file()]
            self._identity = hashlib.sha256("\0".join(parts).encode()).hexdigest()
        return self._identity

    def signature(self) -> str:
        cp = self.checkpoint()
        where = f"rev:{cp.revision[:12]}" if cp.revision else "local"
        return f"{self.name}|model:{self.config['model']}|{where}|id:{self.identity()[:12]}|{IMPLEMENTATION}"

    def outputs(self, hypotheses: Sequence[str], references: Sequence[str] | None,
                sources: Sequence[str] | None) -> list[dict[str, Any]]:
        """Per segment `{"score": ...}` (and `"spans"` for xCOMET, offsets into the stripped hypothesis), from the
        cache or the model. Texts are stripped, as `comet-score` reads them."""
        if sources is None:
            raise MetricError(f"{self.name}: needs the source segments")
        hypotheses = [h.strip() for h in hypotheses]
        sources = [s.strip() for s in sources]
        refs: list[str | None] = [r.strip() for r in references] if references is not None and \
            self.uses_reference else [None] * len(hypotheses)
        keys = [output_key(self.identity(), (s, h, r)) for s, h, r in zip(sources, hypotheses, refs)]
        found = self.cache.get_many(keys) if self.cache is not None else [None] * len(keys)
        todo = list({k: i for i, k in reversed(list(enumerate(keys))) if found[i] is None}.values())
        if todo:
            from ..progress import bar as progress_bar
            from ..systems.model import torch_device

            cp = self.checkpoint()
            device = torch_device(self.config["device"], self.name, MetricError)
            scorer = _load(cp.ckpt, cp.hparams_file, cp.encoder_dir, device)
            with progress_bar(f"{self.name}", len(todo)) as advance:
                results = scorer.score([sources[i] for i in todo], [hypotheses[i] for i in todo],
                                       [refs[i] for i in todo], self.config["batch_size"], advance)
            computed = {keys[i]: r for i, r in zip(todo, results)}
            if self.cache is not None:
                self.cache.put_many(self.identity(), list(computed.items()))
            found = [f if f is not None else computed[k] for f, k in zip(found, keys)]
        return found

    def stats_systems(self, hypotheses: Mapping[str, Sequence[str]], references: Sequence[Sequence[str]],
                      sources: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """All systems' segments in one pass (batches mix systems; identical segments are scored once)."""
        names = list(hypotheses)
        n = len(next(iter(hypotheses.values()), []))
        flat_hyps = [h for name in names for h in hypotheses[name]]
        ref = [r for _ in names for r in references[0]] if references else None
        src = [s for _ in names for s in sources] if sources is not None else None
        scores = self.segment_scores_flat(flat_hyps, ref, src)
        self.num_refs = len(references)
        return {name: np.column_stack([scores[k * n:(k + 1) * n], np.ones(n)]).reshape(n, 2)
                for k, name in enumerate(names)}

    def segment_scores_flat(self, hypotheses: Sequence[str], references: Sequence[str] | None,
                            sources: Sequence[str] | None) -> np.ndarray:
        return np.asarray([o["score"] for o in self.outputs(hypotheses, references, sources)], dtype=np.float64)

    def segment_scores(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]],
                       sources: Sequence[str] | None) -> list[float]:
        """Scores against the first reference stream (COMET takes one reference)."""
        return self.segment_scores_flat(hypotheses, references[0] if references else None, sources).tolist()


def _sha256(path: Path) -> str:
    from ..systems.cache import sha256_file

    return sha256_file(path)


@METRICS.register("comet")
class Comet(CometMetric):
    """COMET-22 (regression on source, hypothesis and reference; Unbabel/wmt22-comet-da and compatible)."""

    name = "comet"
    options = neural_options("Unbabel/wmt22-comet-da")
    classes = ("regression_metric",)


@METRICS.register("cometkiwi")
class CometKiwi(CometMetric):
    """CometKiwi (reference-free: source and hypothesis; Unbabel/wmt22-cometkiwi-da, wmt23-cometkiwi-da-xl)."""

    name = "cometkiwi"
    options = neural_options("Unbabel/wmt22-cometkiwi-da")
    classes = ("unified_metric",)
    needs_references = False
    uses_reference = False


@METRICS.register("xcomet")
class XComet(CometMetric):
    """xCOMET (Unbabel/XCOMET-XL, XCOMET-XXL): score and error spans with severities; reference-free without
    references."""

    name = "xcomet"
    options = neural_options("Unbabel/XCOMET-XL")
    classes = ("xcomet_metric",)
    needs_references = False
    detector = "xcomet"
