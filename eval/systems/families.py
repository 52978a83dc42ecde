"""How each seq2seq model family is told the languages, shared by `hf-seq2seq` and `ct2`.

NLLB, M2M100 and mBART-50 set the tokenizer's source language and force the target-language token as the first
generated token; MADLAD (T5) prefixes `<2xx>` to the source; Marian needs nothing (multi-target Marian models take
`tgt_code`, prefixed as `>>xx<<`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config.schema import Option
from ..errors import BackendError

NLLB_CODES = {"zh": "zho_Hans", "en": "eng_Latn", "de": "deu_Latn", "fr": "fra_Latn", "es": "spa_Latn",
              "ru": "rus_Cyrl", "ja": "jpn_Jpan", "ko": "kor_Hang", "cs": "ces_Latn", "uk": "ukr_Cyrl",
              "ar": "arb_Arab", "pt": "por_Latn", "it": "ita_Latn", "tr": "tur_Latn", "pl": "pol_Latn",
              "hr": "hrv_Latn", "is": "isl_Latn", "he": "heb_Hebr", "sah": "sah_Cyrl", "liv": "liv_Latn"}
MBART50_CODES = {"zh": "zh_CN", "en": "en_XX", "de": "de_DE", "fr": "fr_XX", "es": "es_XX", "ru": "ru_RU",
                 "ja": "ja_XX", "ko": "ko_KR", "cs": "cs_CZ", "uk": "uk_UA", "ar": "ar_AR", "pt": "pt_XX",
                 "it": "it_IT", "tr": "tr_TR", "pl": "pl_PL", "hr": "hr_HR", "he": "he_IL"}

LANGUAGE_OPTIONS: list[Option] = [
    Option("src_code", "str", "Source language code in the model's own scheme (default: derived from the "
           "corpus language, e.g. zho_Hans for NLLB).", default=None, example="zho_Hans"),
    Option("tgt_code", "str", "Target language code in the model's own scheme.", default=None,
           example="eng_Latn"),
    Option("prefix", "str", "Text put before every source (e.g. a T5 task prefix).", default=None,
           example="translate Chinese to English: "),
]
"""Keys of the seq2seq backends that decide how the languages reach the model."""


def model_family(model_type: str, tokenizer: Any) -> str:
    """`nllb`, `m2m100`, `mbart50`, `t5`, or the config's model type (e.g. `marian`)."""
    tok_class = type(tokenizer).__name__.lower()
    if "nllb" in tok_class:
        return "nllb"
    if model_type == "m2m_100":
        return "m2m100"
    if model_type == "mbart" and "mbart50" in tok_class:
        return "mbart50"
    if model_type in ("t5", "mt5", "umt5"):
        return "t5"
    return model_type


@dataclass
class Languages:
    """The language handling of one loaded seq2seq model (`spec` holds the `LANGUAGE_OPTIONS` keys)."""

    system: str
    family: str
    tokenizer: Any
    spec: dict[str, Any]

    def code(self, lang: str, which: str) -> str:
        """The model's code for corpus language `lang` (`which` is `src` or `tgt`); explicit codes win."""
        explicit = self.spec[f"{which}_code"]
        if explicit:
            return explicit
        table = {"nllb": NLLB_CODES, "mbart50": MBART50_CODES}.get(self.family)
        if table is None:
            return lang
        if lang not in table:
            raise BackendError(f"system {self.system!r}: no {self.family} code known for language {lang!r}; "
                               f"set {which}_code")
        return table[lang]

    def set_source(self, src_lang: str) -> None:
        """Tell the tokenizer the source language (it then adds the source-language token)."""
        if self.family in ("nllb", "mbart50", "m2m100"):
            self.tokenizer.src_lang = self.code(src_lang, "src")

    def target_token(self, tgt_lang: str) -> str | None:
        """The token forced as the first generated one (None: the family has none); checked against the vocab."""
        if self.family in ("nllb", "mbart50"):
            token = self.code(tgt_lang, "tgt")
        elif self.family == "m2m100":
            token = f"__{self.code(tgt_lang, 'tgt')}__"
        else:
            return None
        if self.token_id(token) is None:
            raise BackendError(f"system {self.system!r}: the tokenizer has no language token {token!r}")
        return token

    def token_id(self, token: str) -> int | None:
        token_id = self.tokenizer.convert_tokens_to_ids(token)
        return None if token_id is None or token_id == self.tokenizer.unk_token_id else token_id

    def source_prefix(self, tgt_lang: str) -> str:
        """Text put before each source: the `prefix` key, MADLAD's `<2xx>` or multi-target Marian's `>>xx<<`."""
        prefix = self.spec["prefix"] or ""
        if self.family == "t5" and not prefix:
            madlad = f"<2{self.code(tgt_lang, 'tgt')}>"
            if self.token_id(madlad) is not None:
                return madlad + " "
        if self.family == "marian" and self.spec["tgt_code"]:
            return f">>{self.spec['tgt_code']}<< " + prefix
        return prefix
