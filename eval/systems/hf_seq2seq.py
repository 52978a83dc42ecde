"""`hf-seq2seq`: encoder-decoder translation models through transformers (Marian, NLLB, M2M100, mBART-50, T5/MADLAD).

Language codes are handled per family: NLLB/M2M100/mBART-50 set the tokenizer's source language and force the
target-language token as the first generated token; MADLAD (T5) prefixes `<2xx>`; Marian needs nothing
(multi-target Marian models take `tgt_code`, prefixed as `>>xx<<`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..config.schema import Option
from ..errors import BackendError
from .base import BACKENDS
from .model import MODEL_OPTIONS, ModelBackend

NLLB_CODES = {"zh": "zho_Hans", "en": "eng_Latn", "de": "deu_Latn", "fr": "fra_Latn", "es": "spa_Latn",
              "ru": "rus_Cyrl", "ja": "jpn_Jpan", "ko": "kor_Hang", "cs": "ces_Latn", "uk": "ukr_Cyrl",
              "ar": "arb_Arab", "pt": "por_Latn", "it": "ita_Latn", "tr": "tur_Latn", "pl": "pol_Latn",
              "hr": "hrv_Latn", "is": "isl_Latn", "he": "heb_Hebr", "sah": "sah_Cyrl", "liv": "liv_Latn"}
MBART50_CODES = {"zh": "zh_CN", "en": "en_XX", "de": "de_DE", "fr": "fr_XX", "es": "es_XX", "ru": "ru_RU",
                 "ja": "ja_XX", "ko": "ko_KR", "cs": "cs_CZ", "uk": "uk_UA", "ar": "ar_AR", "pt": "pt_XX",
                 "it": "it_IT", "tr": "tr_TR", "pl": "pl_PL", "hr": "hr_HR", "he": "he_IL"}


@BACKENDS.register("hf-seq2seq")
class HFSeq2SeqBackend(ModelBackend):
    """A transformers `AutoModelForSeq2SeqLM`; greedy by default, `generation:` passed to `generate()`."""

    options: ClassVar[list[Option]] = MODEL_OPTIONS + [
        Option("src_code", "str", "Source language code in the model's own scheme (default: derived from the "
               "corpus language, e.g. zho_Hans for NLLB).", default=None, example="zho_Hans"),
        Option("tgt_code", "str", "Target language code in the model's own scheme.", default=None,
               example="eng_Latn"),
        Option("prefix", "str", "Text put before every source (e.g. a T5 task prefix).", default=None,
               example="translate Chinese to English: "),
        Option("max_source_tokens", "int", "Truncate longer sources to this many tokens.", default=512,
               example=1024),
    ]

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.tokenizer: Any = None
        self.model: Any = None
        self.family = ""

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
        self.family = self._family()

    def _family(self) -> str:
        model_type = self.model.config.model_type
        tok_class = type(self.tokenizer).__name__.lower()
        if "nllb" in tok_class:
            return "nllb"
        if model_type == "m2m_100":
            return "m2m100"
        if model_type == "mbart" and "mbart50" in tok_class:
            return "mbart50"
        if model_type in ("t5", "mt5", "umt5"):
            return "t5"
        return model_type

    def _code(self, lang: str, which: str) -> str:
        explicit = self.spec[f"{which}_code"]
        if explicit:
            return explicit
        table = {"nllb": NLLB_CODES, "mbart50": MBART50_CODES}.get(self.family)
        if table is None:
            return lang
        if lang not in table:
            raise BackendError(f"system {self.name!r}: no {self.family} code known for language {lang!r}; "
                               f"set {which}_code")
        return table[lang]

    def _lang_token_id(self, token: str) -> int:
        token_id = self.tokenizer.convert_tokens_to_ids(token)
        if token_id is None or token_id == self.tokenizer.unk_token_id:
            raise BackendError(f"system {self.name!r}: the tokenizer has no language token {token!r}")
        return token_id

    def generation_kwargs(self, src_lang: str, tgt_lang: str) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"do_sample": False, "num_beams": 1, "max_new_tokens": 256}
        kwargs.update(self.spec["generation"])
        if self.family in ("nllb", "mbart50"):
            self.tokenizer.src_lang = self._code(src_lang, "src")
            kwargs.setdefault("forced_bos_token_id", self._lang_token_id(self._code(tgt_lang, "tgt")))
        elif self.family == "m2m100":
            self.tokenizer.src_lang = self._code(src_lang, "src")
            kwargs.setdefault("forced_bos_token_id", self._lang_token_id(f"__{self._code(tgt_lang, 'tgt')}__"))
        return kwargs

    def source_prefix(self, tgt_lang: str) -> str:
        prefix = self.spec["prefix"] or ""
        if self.family == "t5" and not prefix:
            madlad = f"<2{self._code(tgt_lang, 'tgt')}>"
            if self.tokenizer.convert_tokens_to_ids(madlad) not in (None, self.tokenizer.unk_token_id):
                return madlad + " "
        if self.family == "marian" and self.spec["tgt_code"]:
            return f">>{self.spec['tgt_code']}<< " + prefix
        return prefix

    def translate_batch(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        import torch

        kwargs = self.generation_kwargs(src_lang, tgt_lang)
        prefix = self.source_prefix(tgt_lang)
        enc = self.tokenizer([prefix + s for s in sources], return_tensors="pt", padding=True, truncation=True,
                             max_length=self.spec["max_source_tokens"]).to(self.model.device)
        with torch.inference_mode():
            out = self.model.generate(**enc, **kwargs)
        return [t.strip() for t in self.tokenizer.batch_decode(out, skip_special_tokens=True)]
