"""COMET models on transformers + torch, read from the official layout (`checkpoints/model.ckpt`, `hparams.yaml`).

A re-implementation of unbabel-comet 2.2.7 inference (`comet/models/regression/regression_metric.py`,
`multitask/unified_metric.py`, `multitask/xcomet_metric.py`): an XLM-R encoder, a scalar mix of its layers
(softmax or sparsemax weights, optional masked layer norm), pooling, a feed-forward estimator and, for xCOMET,
a token-tagging head whose error spans enter the score. Importing this module imports torch and transformers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..errors import MetricError

ENCODERS = {"XLM-RoBERTa": "XLMRoberta", "XLM-RoBERTa-XL": "XLMRobertaXL"}
MODEL_CLASSES = ("regression_metric", "unified_metric", "xcomet_metric")
XCOMET_SCORE_WEIGHTS = (0.12, 0.33, 0.33, 0.22)  # src, ref, unified regression scores; MQM score from the spans
SPAN_INPUT_WEIGHTS = (0.1667, 0.3333, 0.5)  # tag probabilities of the [mt;src], [mt;ref], [mt;src;ref] passes
MQM_PENALTY = {"minor": 1, "major": 5, "critical": 10}


def sparsemax(z: torch.Tensor) -> torch.Tensor:
    """Sparsemax of a vector (Martins & Astudillo 2016): the Euclidean projection onto the simplex."""
    z_sorted, _ = torch.sort(z, descending=True)
    k = torch.arange(1, z.numel() + 1, dtype=z.dtype, device=z.device)
    cumsum = z_sorted.cumsum(0)
    support = k * z_sorted > cumsum - 1
    k_z = support.sum()
    tau = (cumsum[k_z - 1] - 1) / k_z.to(z.dtype)
    return torch.clamp(z - tau, min=0)


class LayerMix(nn.Module):
    """`gamma * sum(w_k * layer_k)` with w = softmax or sparsemax of scalars; each layer optionally normalised
    over its unmasked positions first (COMET's `LayerwiseAttention` at inference)."""

    def __init__(self, num_layers: int, layer_norm: bool, transformation: str) -> None:
        super().__init__()
        self.scalar_parameters = nn.ParameterList([nn.Parameter(torch.zeros(1)) for _ in range(num_layers)])
        self.gamma = nn.Parameter(torch.ones(1))
        self.layer_norm = layer_norm
        self.transform: Callable[[torch.Tensor], torch.Tensor] = (
            sparsemax if transformation == "sparsemax" else lambda w: torch.softmax(w, dim=0))

    def forward(self, layers: Sequence[torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        weights = torch.split(self.transform(torch.cat(list(self.scalar_parameters))), 1)
        if self.layer_norm:
            m = mask.float().unsqueeze(-1)
            count = mask.float().sum(1) * layers[0].size(-1)
            normed = []
            for t in layers:
                masked = t * m
                mean = (masked.view(t.size(0), -1).sum(1) / count).view(-1, 1, 1)
                var = (((masked - mean) * m) ** 2).view(t.size(0), -1).sum(1) / count
                normed.append((t - mean) / torch.sqrt(var + 1e-12).view(-1, 1, 1))
            layers = normed
        return self.gamma * sum(w * t for w, t in zip(weights, layers))


class FeedForward(nn.Module):
    """COMET's estimator: Linear/activation/Dropout blocks, a final Linear (state-dict names `ff.<i>`)."""

    def __init__(self, in_dim: int, hidden: Sequence[int], activation: str, final: str | None, out_dim: int = 1):
        super().__init__()
        modules: list[nn.Module] = []
        for i, size in enumerate(hidden):
            modules += [nn.Linear(in_dim if i == 0 else hidden[i - 1], size), _activation(activation), nn.Dropout(0)]
        modules.append(nn.Linear(hidden[-1], out_dim))
        if final is not None:
            modules.append(_activation(final))
        self.ff = nn.Sequential(*modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ff(x)


def _activation(name: str) -> nn.Module:
    cls = getattr(nn, name.title(), None)
    if cls is None:
        raise MetricError(f"COMET checkpoint: unknown activation {name!r}")
    return cls()


class _Encoder(nn.Module):
    """Holds the transformers encoder as `model`, so checkpoint keys `encoder.model.*` load as they are."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model


@dataclass
class Batch:
    input_ids: torch.Tensor
    attention_mask: torch.Tensor


class CometNet(nn.Module):
    """The network of a COMET checkpoint: `hparams` from its hparams.yaml, `config` its encoder's config."""

    def __init__(self, hparams: dict[str, Any], config: Any) -> None:
        import transformers

        super().__init__()
        self.kind = hparams["class_identifier"]
        encoder = ENCODERS.get(hparams.get("encoder_model", "XLM-RoBERTa"))
        if encoder is None:
            raise MetricError(f"COMET checkpoint: encoder {hparams.get('encoder_model')!r} is not supported "
                              f"(supported: {', '.join(ENCODERS)})")
        self.encoder = _Encoder(getattr(transformers, f"{encoder}Model")(config, add_pooling_layer=False))
        self.num_layers = config.num_hidden_layers + 1
        self.max_positions = config.max_position_embeddings - 2
        layer = hparams.get("layer", hparams.get("sent_layer", "mix"))
        self.layer = layer
        if layer == "mix":
            transformation = hparams.get("layer_transformation", "softmax")
            if transformation == "sparsemax_patch":  # unbabel-comet >= 2.2.4 reads it as softmax (issue #244)
                transformation = "softmax"
            self.layerwise_attention = LayerMix(self.num_layers, bool(hparams.get("layer_norm", False)),
                                                transformation)
        hidden = config.hidden_size
        in_dim = hidden * 6 if self.kind == "regression_metric" else hidden
        self.estimator = FeedForward(in_dim, hparams.get("hidden_sizes", [3072, 1024]),
                                     hparams.get("activations", "Tanh"), hparams.get("final_activation"))
        self.pool = hparams.get("pool", "avg")
        self.word_level = self.kind == "xcomet_metric" or bool(hparams.get("word_level_training", False))
        if self.word_level:
            self.labels = ["O"] + [f"I-{label}" for label in hparams.get("error_labels", ["minor", "major"])]
            self.word_layer = int(hparams.get("word_layer", 24))
            self.hidden2tag = nn.Linear(hidden, len(self.labels))

    def mixed(self, batch: Batch) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """The mixed (or selected) layer embeddings and all hidden states."""
        out = self.encoder.model(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                                 output_hidden_states=True, return_dict=True)
        layers = out.hidden_states
        if self.layer == "mix":
            return self.layerwise_attention(layers, batch.attention_mask), layers
        if not isinstance(self.layer, int) or not 0 <= self.layer < self.num_layers:
            raise MetricError(f"COMET checkpoint: invalid layer {self.layer!r}")
        return layers[self.layer], layers

    def sentence_embedding(self, batch: Batch, pad_id: int) -> torch.Tensor:
        """Pooled sentence embeddings (regression models)."""
        emb, layers = self.mixed(batch)
        pads = batch.input_ids.eq(pad_id).unsqueeze(-1)
        if self.pool == "avg":
            summed = emb.float().masked_fill(pads, 0.0).type_as(emb).sum(1)
            return summed / batch.attention_mask.unsqueeze(-1).expand(emb.size()).float().sum(1)
        if self.pool == "max":
            return emb.float().masked_fill(pads, float("-inf")).type_as(emb).max(dim=1)[0]
        if self.pool == "cls":
            return emb[:, 0, :]
        if self.pool == "default":
            return layers[-1][:, 0, :]
        raise MetricError(f"COMET checkpoint: invalid pooling {self.pool!r}")

    def regression(self, src: torch.Tensor, mt: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        features = torch.cat((mt, ref, mt * ref, torch.abs(mt - ref), mt * src, torch.abs(mt - src)), dim=1)
        return self.estimator(features).view(-1)

    def unified(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Sentence scores from the first token, and tag logits per token for word-level models."""
        emb, layers = self.mixed(batch)
        score = self.estimator(emb[:, 0, :]).view(-1)
        if not self.word_level:
            return score, None
        return score, self.hidden2tag(layers[self.word_layer])


def load_state(path: str) -> dict[str, torch.Tensor]:
    """The `state_dict` of a Lightning checkpoint, unpickled without running code (weights-only; other globals a
    checkpoint names, e.g. Lightning's `AttributeDict` in its hyper-parameters, load as plain stand-ins)."""
    from torch.serialization import get_unsafe_globals_in_checkpoint, safe_globals

    try:
        stand_ins = [(_StandIn, name) for name in get_unsafe_globals_in_checkpoint(path)]
        with safe_globals(stand_ins):
            try:
                ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
            except RuntimeError:  # files in torch's legacy (pre-zip) format cannot be memory-mapped
                ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001  (torch raises many kinds for a bad file)
        raise MetricError(f"{path}: cannot read the COMET checkpoint: {str(exc).splitlines()[0]}") from None
    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise MetricError(f"{path}: not a COMET checkpoint (no state_dict)")
    return state


class _StandIn(dict):
    """Accepts any pickled object's arguments and state (for checkpoint metadata we do not use)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict):
            self.update(state)


class Tokenizer:
    """The encoder's tokenizer as unbabel-comet runs it (a transformers 4 fast tokenizer): `tokenizer.json` through
    the tokenizers library as saved (transformers 5 rebuilds XLM-R's pipeline and normalises spaces differently),
    else transformers' conversion of the sentencepiece model."""

    def __init__(self, encoder_dir: str, max_length: int) -> None:
        from pathlib import Path

        path = Path(encoder_dir) / "tokenizer.json"
        if path.is_file():
            from tokenizers import Tokenizer as Fast

            self.fast = Fast.from_file(str(path))
        else:
            import transformers

            self.fast = transformers.AutoTokenizer.from_pretrained(encoder_dir).backend_tokenizer
        self.fast.no_padding()
        self.fast.enable_truncation(max_length)
        ids = {t: self.fast.token_to_id(t) for t in ("<s>", "</s>", "<pad>")}
        if None in ids.values():
            raise MetricError(f"{encoder_dir}: tokenizer lacks the XLM-R special tokens <s>, </s>, <pad>")
        self.cls_token_id, self.sep_token_id, self.pad_token_id = ids["<s>"], ids["</s>"], ids["<pad>"]

    def encode(self, texts: Sequence[str]) -> tuple[list[list[int]], list[list[tuple[int, int]]]]:
        """Token ids with `<s>`/`</s>` and character offsets per text."""
        encodings = self.fast.encode_batch(list(texts))
        return [e.ids for e in encodings], [e.offsets for e in encodings]


def build(hparams: dict[str, Any], ckpt: str, encoder_dir: str) -> tuple[CometNet, Tokenizer]:
    """The network with the checkpoint's weights, and the encoder's tokenizer (from `encoder_dir`)."""
    import transformers

    if hparams.get("class_identifier") not in MODEL_CLASSES:
        raise MetricError(f"{ckpt}: COMET model class {hparams.get('class_identifier')!r} is not supported "
                          f"(supported: {', '.join(MODEL_CLASSES)})")
    encoder = ENCODERS.get(hparams.get("encoder_model", "XLM-RoBERTa"), "XLMRoberta")
    config = getattr(transformers, f"{encoder}Config").from_pretrained(encoder_dir)
    net = CometNet(hparams, config)
    tokenizer = Tokenizer(encoder_dir, net.max_positions - 2)
    state = load_state(ckpt)
    result = net.load_state_dict(state, strict=False)
    ignorable = ("position_ids", "dropout_mask", "dropout_fill", "pooler.", "wordloss.", "sentloss.")
    unexpected = [k for k in result.unexpected_keys if not any(s in k for s in ignorable)]
    if result.missing_keys or unexpected:
        raise MetricError(f"{ckpt}: checkpoint does not match hparams.yaml (missing {result.missing_keys[:3]}, "
                          f"unexpected {unexpected[:3]})")
    return net.eval(), tokenizer


class CometScorer:
    """Scores (source, hypothesis, reference) triples with a loaded `CometNet` in length-sorted batches."""

    def __init__(self, net: CometNet, tokenizer: Tokenizer, hparams: dict[str, Any], device: str) -> None:
        self.net = net.to(device)
        self.tok = tokenizer
        self.device = device
        self.segments = list(hparams.get("input_segments") or ["mt", "src", "ref"])

    def _encode(self, texts: Sequence[str], offsets: bool = False) -> tuple[list[list[int]], list | None]:
        ids, spans = self.tok.encode(texts)
        return ids, spans if offsets else None

    def _concat(self, parts: Sequence[list[int]]) -> list[int]:
        """`<s> a </s></s> b </s>…`, cut to the encoder's positions when too long (as COMET's `concat_sequences`)."""
        seq = parts[0]
        for other in parts[1:]:
            seq = [self.tok.cls_token_id, *seq[1:-1], self.tok.sep_token_id, self.tok.sep_token_id, *other[1:-1],
                   self.tok.sep_token_id]
        if sum(len(p) - 2 for p in parts) > self.net.max_positions - (1 + 2 * len(parts)):
            seq = seq[:self.net.max_positions]
        return seq

    def _batch(self, rows: Sequence[Sequence[int]]) -> Batch:
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self.tok.pad_token_id, dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, :len(r)] = torch.tensor(r, dtype=torch.long)
        lengths = torch.tensor([len(r) for r in rows])
        mask = (torch.arange(width)[None, :] < lengths[:, None]).long()
        return Batch(ids.to(self.device), mask.to(self.device))

    def score(self, sources: Sequence[str | None], hypotheses: Sequence[str], references: Sequence[str | None],
              batch_size: int, advance: Callable[[int], None] = lambda n: None) -> list[dict[str, Any]]:
        """`{"score": float}` per segment, plus `"spans"` (start, end, severity, confidence) for word-level
        models. A source or reference of None is left out (reference-free scoring)."""
        mt_ids, mt_offsets = self._encode(hypotheses, offsets=self.net.word_level)
        src_ids = self._encode([s or "" for s in sources])[0] if self._uses("src", sources) else None
        ref_ids = self._encode([r or "" for r in references])[0] if self._uses("ref", references) else None
        if self.net.kind == "regression_metric":
            if src_ids is None or ref_ids is None:
                raise MetricError("COMET regression models need sources and references")
            return self._regression(src_ids, mt_ids, ref_ids, batch_size, advance)
        order = sorted(range(len(hypotheses)), key=lambda i: -(len(mt_ids[i]) + len(src_ids[i] if src_ids else [])
                                                                 + len(ref_ids[i] if ref_ids else [])))
        out: list[dict[str, Any]] = [{} for _ in hypotheses]
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                mt = [mt_ids[i] for i in idx]
                src = [src_ids[i] for i in idx] if src_ids else None
                ref = [ref_ids[i] for i in idx] if ref_ids else None
                results = self._unified(src, mt, ref, [mt_offsets[i] for i in idx] if mt_offsets else None)
                for i, result in zip(idx, results):
                    out[i] = result
                advance(len(idx))
        return out

    def _uses(self, segment: str, texts: Sequence[str | None]) -> bool:
        return segment in self.segments and len(texts) > 0 and all(t is not None for t in texts)

    def _regression(self, src: list[list[int]], mt: list[list[int]], ref: list[list[int]], batch_size: int,
                    advance: Callable[[int], None]) -> list[dict[str, Any]]:
        """Scores from sentence embeddings. Each distinct sentence (source, hypothesis or reference) is encoded
        once, in batches of `batch_size` sentences sorted by length, so batches carry little padding; progress
        advances with the encoding."""
        rows = sorted(dict.fromkeys(tuple(r) for part in (src, mt, ref) for r in part), key=len, reverse=True)
        index = {r: i for i, r in enumerate(rows)}
        done = 0
        with torch.inference_mode():
            chunks = []
            for start in range(0, len(rows), batch_size):
                chunks.append(self.net.sentence_embedding(self._batch(rows[start:start + batch_size]),
                                                          self.tok.pad_token_id))
                now = min(start + batch_size, len(rows)) * len(mt) // len(rows)
                advance(now - done)
                done = now
            emb = torch.cat(chunks)
            at = [torch.tensor([index[tuple(r)] for r in part], device=emb.device) for part in (src, mt, ref)]
            scores = torch.cat([self.net.regression(*(emb[i[start:start + batch_size]] for i in at))
                                for start in range(0, len(mt), batch_size)])
        return [{"score": float(s)} for s in scores.tolist()]

    def _unified(self, src, mt, ref, offsets) -> list[dict[str, Any]]:
        parts = [mt] + [p for p in (src, ref) if p is not None]
        if len(parts) == 3:
            inputs = [[src], [ref], [src, ref]]
        else:
            inputs = [parts[1:]]
        preds = [self.net.unified(self._batch([self._concat([m, *(o[i] for o in others)])
                                               for i, m in enumerate(mt)])) for others in inputs]
        if not self.net.word_level:
            scores = torch.stack([s for s, _ in preds]).mean(0)
            return [{"score": float(s)} for s in scores.tolist()]
        seq_len = max(len(m) for m in mt)
        weights = SPAN_INPUT_WEIGHTS if len(preds) == 3 else (1.0,)
        probs = torch.stack([torch.softmax(logits, dim=2)[:, :seq_len, :] * torch.tensor(w)
                             for (_, logits), w in zip(preds, weights)]).sum(0)
        spans = [self._decode(probs[i], offsets[i]) for i in range(len(mt))]
        if self.net.kind == "xcomet_metric":
            clamped = [torch.where(s > 1.0, 1.0, s) for s, _ in preds]
            if len(preds) == 3:
                regression = torch.stack([c * w for c, w in zip(clamped, XCOMET_SCORE_WEIGHTS[:3])]).sum(0)
            else:
                regression = clamped[0] * sum(XCOMET_SCORE_WEIGHTS[:3])
            mqm = torch.tensor([_mqm(s) for s in spans])
            scores = regression + mqm.to(regression.device) * XCOMET_SCORE_WEIGHTS[3]
        else:
            scores = torch.stack([s for s, _ in preds]).mean(0)
        return [{"score": float(s), "spans": sp} for s, sp in zip(scores.tolist(), spans)]

    def _decode(self, probs: torch.Tensor, offsets: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
        """Error spans: runs of subwords whose most likely tag is an error (COMET's `UnifiedMetric.decode`; a run
        still open at the last subword is dropped, as there)."""
        spans: list[dict[str, Any]] = []
        current: dict[str, Any] | None = None
        for p, (start, end) in zip(probs[:len(offsets)], offsets):
            confidence, label = torch.topk(p, 1)
            tag = self.net.labels[int(label[0])]
            if tag != "O" and current is None:
                current = {"start": start, "end": end, "severity": tag[2:], "confidence": [float(confidence[0])]}
            elif tag != "O":
                current["end"] = end
                current["confidence"].append(float(confidence[0]))
            elif current is not None:
                spans.append(current)
                current = None
        for span in spans:
            span["confidence"] = sum(span["confidence"]) / len(span["confidence"])
        return spans


def _mqm(spans: Sequence[dict[str, Any]]) -> float:
    """xCOMET's MQM-like score of the detected spans: 1 - min(25, penalties) / 25."""
    penalty = min(25, sum(MQM_PENALTY.get(s["severity"], 0) for s in spans))
    return (penalty * -1 + 25) / 25
