"""Broken sentences: a full stop inside a phrase (". " then a lower-case continuation) and verbless fragments."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from .base import DETECTORS, Detector, Flag, Segment
from .lexicon import verbs

# "relax. intense situation": a word, a stray full stop, then a lower-case continuation up to the next break.
BROKEN_RE = re.compile(r"([^\W\d_][\w'’-]*)([.!?])[ \t]+([a-z][^.!?;:,\"“”()]*?)(?=\s*(?:[.!?;:,\"“”()]|$))")
_ABBREVIATIONS_WORDS = (
    "mr mrs ms dr st mt no vs etc e.g i.e a.m p.m u.s u.k u.n jan feb mar apr jun jul aug sep sept oct nov dec "
    "inc ltd co corp gov fig approx dept est"
)
ABBREVIATIONS = frozenset(_ABBREVIATIONS_WORDS.split())
# A sentence end: terminal marks (and closing quotes) then space and an upper-case letter or an opening quote.
SENTENCE_END_RE = re.compile(r"([\w'’.-]*)[.!?]+[\"”’)]*\s+(?=[\"“‘(]?[A-Z])")
MAX_FRAGMENT_WORDS = 8
_VERB_WORDS_WORDS = (
    "is are was were be been being am has have had do does did will would shall should can could may might must "
    "said says say says make makes made take takes took give gives gave go goes went get gets got need needs "
    "become becomes became see sees saw let lets put puts keep keeps kept hold holds held set sets"
)
VERB_WORDS = frozenset(_VERB_WORDS_WORDS.split())
VERB_SUFFIX_RE = re.compile(r"[a-z]{2,}(?:ed|ing|es|ize|ise|ify|ate)$")
ALPHA_RE = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=8192)
def sentences(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of the sentences of `text`; no break after an abbreviation (St., U.S., Mr.) or an initial
    (cached: two detectors read them)."""
    spans, start = [], 0
    for m in SENTENCE_END_RE.finditer(text):
        before = m.group(1)
        if before.lower().rstrip(".") in ABBREVIATIONS or "." in before or (len(before) == 1 and before.isupper()):
            continue
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return tuple(spans)


@DETECTORS.register("broken-sentence")
class BrokenSentence(Detector):
    """A sentence-final mark followed by a lower-case word: a phrase cut in two (major: the text breaks)."""

    name = "broken-sentence"
    kinds = ("broken-sentence",)
    description = "a full stop inside a phrase ('relax. intense situation')"

    def detect(self, segment: Segment) -> list[Flag]:
        flags = []
        hyp = segment.hypothesis
        for m in BROKEN_RE.finditer(hyp):
            before, mark = m.group(1), m.group(2)
            if mark == "." and (before.lower().rstrip(".") in ABBREVIATIONS or len(before) == 1 or
                                "." in before or before.isupper()):
                continue
            flags.append(segment.flag(
                m.start(), m.end(), "major", "broken-sentence",
                f"sentence break inside a phrase: {mark!r} followed by lower-case {m.group(3).split()[0]!r}",
                mark_offset=m.start(2)))
        return flags


@DETECTORS.register("fragment")
class Fragment(Detector):
    """A sentence without a verb after another sentence of the same segment (major when the source is one
    sentence: the translation split it; minor otherwise). A sentence that starts with a verb (by CC-CEDICT's 'to X'
    glosses) is an imperative, not a fragment."""

    name = "fragment"
    kinds = ("fragment",)
    description = "verbless sentence fragment after another sentence"

    def prepare(self, segments: Sequence[Segment]) -> None:
        verbs()

    def detect(self, segment: Segment) -> list[Flag]:
        hyp = segment.hypothesis
        parts = sentences(hyp)
        if len(parts) < 2:
            return []
        source_sentences = len([s for s in re.split(r"[。！？!?]+", segment.source) if s.strip()])
        flags = []
        for start, end in parts[1:]:
            text = hyp[start:end].rstrip()
            tokens = ALPHA_RE.findall(text)
            if not 3 <= len(tokens) <= MAX_FRAGMENT_WORDS or not tokens[0][0].isupper() or text[-1:] not in ".!?":
                continue
            if any(t.lower() in VERB_WORDS or VERB_SUFFIX_RE.match(t.lower()) for t in tokens):
                continue
            if tokens[0].lower() in verbs():  # an imperative: "Drink 150 ml of water each time."
                continue
            severity = "major" if source_sentences <= 1 else "minor"
            flags.append(segment.flag(start, start + len(text), severity, "fragment",
                                      "sentence fragment without a verb", source_sentences=source_sentences))
        return flags
