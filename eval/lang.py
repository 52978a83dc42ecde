"""Language codes: the base language of a tag ('zh-Hans', 'zho_Hans', 'ZH' → 'zh')."""

from __future__ import annotations

from pathlib import Path

# ISO 639-2/3 codes seen in test-set file names (e.g. newstest2017.zho-eng.zho, FLORES zho_Hans) → ISO 639-1
_THREE_LETTER = {"zho": "zh", "chi": "zh", "cmn": "zh", "jpn": "ja", "kor": "ko", "tha": "th", "eng": "en",
                 "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "rus": "ru", "spa": "es"}


def base_lang(code: str) -> str:
    """The language subtag, lower-cased, as a two-letter code where one is known: 'zh-Hans', 'zho_Hans' → 'zh'."""
    base = code.replace("_", "-").split("-")[0].lower()
    return _THREE_LETTER.get(base, base)


_NOT_LANGUAGES = frozenset({"txt", "tsv", "csv", "out", "hyp", "ref", "src", "sgm", "xml", "tok", "raw", "log"})


def lang_from_suffix(path: str) -> str | None:
    """'corpora/x/source.zh' → 'zh', 'hyp.en.txt' → 'en': the last 2–3 letter file suffix that is not a file type
    (txt, tsv, ...) is taken as a language code."""
    for suffix in reversed(Path(path).suffixes):
        code = suffix.lstrip(".")
        if code in _NOT_LANGUAGES:
            continue
        return code if 2 <= len(code) <= 3 and code.isalpha() and code.islower() else None
    return None
