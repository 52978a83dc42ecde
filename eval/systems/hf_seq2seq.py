"""`hf-seq2seq`: encoder-decoder translation models through transformers (Marian, NLLB, M2M100, mBART-50, T5/MADLAD).

Language codes are handled per family (`families.py`): NLLB/M2M100/mBART-50 set the tokenizer's source language
and force the target-language token as the first generated token; MADLAD (T5) prefixes `<2xx>`; Marian needs
nothing (multi-target Marian models take `tgt_code`, prefixed as `>>xx<<`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..config.schema import Option
from ..errors import BackendError
from .base import BACKENDS
from .families import LANGUAGE_OPTIONS, Languages, model_family
from .model import GENERATION_OPTION, MODEL_OPTIONS, ModelBackend


@BACKENDS.register("hf-seq2seq")
class HFSeq2SeqBackend(ModelBackend):
    """A transformers `AutoModelForSeq2SeqLM`; greedy by default, `generation:` passed to `generate()`."""

    options: ClassVar[list[Option]] = MODEL_OPTIONS + [GENERATION_OPTION] + LANGUAGE_OPTIONS + [
        Option("max_source_tokens", "int", "Truncate longer sources to this many tokens.", default=512,
               example=1024),
    ]

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.tokenizer: Any = None
        self.model: Any = None
        self.languages: Languages | None = None

    def params(self) -> dict[str, Any]:
        return {"generation": self.spec["generation"], "src_code": self.spec["src_code"],
                "tgt_code": self.spec["tgt_code"], "prefix": self.spec["prefix"],
                "max_source_tokens": self.spec["max_source_tokens"]}

    def load(self) -> None:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        src = self.source()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(src.load_path, revision=src.revision)
            self.model = AutoModelForSeq2SeqLM.from_pretrained(src.load_path, revision=src.revision)
        except (OSError, ValueError, KeyError) as exc:
            raise BackendError(f"system {self.name!r}: cannot load seq2seq model {self.spec['model']!r}: "
                               f"{str(exc).splitlines()[0]}") from None
        self.model.to(self.device()).eval()
        family = model_family(self.model.config.model_type, self.tokenizer)
        self.languages = Languages(self.name, family, self.tokenizer, self.spec)

    def generation_kwargs(self, src_lang: str, tgt_lang: str) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"do_sample": False, "num_beams": 1, "max_new_tokens": 256}
        kwargs.update(self.spec["generation"])
        self.languages.set_source(src_lang)
        target = self.languages.target_token(tgt_lang)
        if target is not None:
            kwargs.setdefault("forced_bos_token_id", self.languages.token_id(target))
        return kwargs

    def translate_batch(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        import torch

        kwargs = self.generation_kwargs(src_lang, tgt_lang)
        prefix = self.languages.source_prefix(tgt_lang)
        enc = self.tokenizer([prefix + s for s in sources], return_tensors="pt", padding=True, truncation=True,
                             max_length=self.spec["max_source_tokens"]).to(self.model.device)
        with torch.inference_mode():
            out = self.model.generate(**enc, **kwargs)
        if "forced_bos_token_id" in kwargs:  # after the decoder start: not text (not always a special token)
            out = out[:, 2:]
        return [t.strip() for t in self.tokenizer.batch_decode(out, skip_special_tokens=True)]
