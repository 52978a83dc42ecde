"""Text helpers shared by the detectors: words with character offsets, English lemmas (simplemma), scripts."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WORD_RE = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*", re.UNICODE)
HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+")

# Function words: never flagged alone (MQM annotators mark content, and they are free to vary).
_STOPWORDS_WORDS = (
    "a an the of to in on at by for with from into onto as and or but nor so yet if than that this these those "
    "is are was were be been being am has have had do does did will would shall should can could may might must "
    "it its it's they them their theirs he him his she her hers we us our ours you your i me my mine "
    "which who whom whose what when where why how there here also not no all any some such very more most "
    "other up out about over after before under between through during while s"
)
STOPWORDS = frozenset(_STOPWORDS_WORDS.split())


@lru_cache(maxsize=8192)
def words(text: str) -> tuple[tuple[int, int, str], ...]:
    """Words of `text` as (start, end, word) with character offsets (letters and digits, inner ' . -); cached:
    every detector reads the hypothesis's words."""
    return tuple((m.start(), m.end(), m.group()) for m in WORD_RE.finditer(text))


_ORDINAL_RE = re.compile(r"^(\d+)(?:st|nd|rd|th)$")


@lru_cache(maxsize=131072)
def lemma(word: str) -> str:
    """The English lemma of a word, lower case, without possessive, accents, abbreviation dots or ordinal suffix
    (policies → policy, was → be, communiqué → communique, U.S → us, 13th → 13; simplemma)."""
    import simplemma

    w = word.lower().replace("’", "'").removesuffix("'s")
    w = "".join(ch for ch in unicodedata.normalize("NFKD", w) if not unicodedata.combining(ch))
    if "." in w and all(len(part) <= 2 for part in w.split(".")):
        w = w.replace(".", "")
    w = _ORDINAL_RE.sub(r"\1", w)
    return simplemma.lemmatize(w, lang="en").lower() if w.isalpha() else w


@lru_cache(maxsize=65536)
def lemma_tokens(text: str) -> tuple[str, ...]:
    """The lemmas of `text`'s words in order (cached: each output is evidence for every other system)."""
    return tuple(lemma(w) for _, _, w in words(text))


@lru_cache(maxsize=65536)
def lemmas(text: str) -> frozenset[str]:
    """The lemmas of `text`'s words, and of the parts of its hyphenated compounds."""
    out = set(lemma_tokens(text))
    out.update(lemma(part) for t in out.copy() if "-" in t for part in t.split("-") if part)
    return frozenset(out)


def supported_by(word_lemma: str, vocabulary: set[str]) -> bool:
    """`vocabulary` (from `lemmas`) has the lemma, or, for a hyphenated compound, each of its parts."""
    if word_lemma in vocabulary:
        return True
    parts = [p for p in word_lemma.split("-") if p]
    return len(parts) > 1 and all(lemma(p) in vocabulary for p in parts)


def is_content(word: str) -> bool:
    return word.lower() not in STOPWORDS
