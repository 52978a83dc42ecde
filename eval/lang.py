"""Language codes: the base language of a tag ('zh-Hans', 'zho_Hans', 'ZH' → 'zh')."""

from __future__ import annotations

# ISO 639-2/3 codes seen in test-set file names (e.g. newstest2017.zho-eng.zho, FLORES zho_Hans) → ISO 639-1
_THREE_LETTER = {"zho": "zh", "chi": "zh", "cmn": "zh", "jpn": "ja", "kor": "ko", "tha": "th", "eng": "en",
                 "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "rus": "ru", "spa": "es"}


def base_lang(code: str) -> str:
    """The language subtag, lower-cased, as a two-letter code where one is known: 'zh-Hans', 'zho_Hans' → 'zh'."""
    base = code.replace("_", "-").split("-")[0].lower()
    return _THREE_LETTER.get(base, base)
