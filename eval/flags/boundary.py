"""Broken sentences: a full stop inside a phrase (". " then a lower-case continuation) and verbless fragments."""

from __future__ import annotations

import re

from .base import DETECTORS, Detector, Flag, Segment

# "relax. intense situation": a word, a stray full stop, then a lower-case continuation up to the next break.
BROKEN_RE = re.compile(r"([^\W\d_][\w'’-]*)([.!?])[ \t]+([a-z][^.!?;:,\"“”()]*?)(?=\s*(?:[.!?;:,\"“”()]|$))")
_ABBREVIATIONS_WORDS = (
    "mr mrs ms dr st mt no vs etc e.g i.e a.m p.m u.s u.k u.n jan feb mar apr jun jul aug sep sept oct nov dec "
    "inc ltd co corp gov fig approx dept est"
)
ABBREVIATIONS = frozenset(_ABBREVIATIONS_WORDS.split())
SENTENCE_RE = re.compile(r"[^.!?]+[.!?]+[\"”’)]*")
_VERB_WORDS_WORDS = (
    "is are was were be been being am has have had do does did will would shall should can could may might must "
    "said says say says make makes made take takes took give gives gave go goes went get gets got need needs "
    "become becomes became see sees saw let lets put puts keep keeps kept hold holds held set sets"
)
VERB_WORDS = frozenset(_VERB_WORDS_WORDS.split())
VERB_SUFFIX_RE = re.compile(r"[a-z]{2,}(?:ed|ing|es|ize|ise|ify|ate)$")
ALPHA_RE = re.compile(r"[^\W\d_]+")


@DETECTORS.register("broken-sentence")
class BrokenSentence(Detector):
    """A sentence-final mark followed by a lower-case word: a phrase cut in two (major: the text breaks)."""

    name = "broken-sentence"
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
    sentence: the translation split it; minor otherwise)."""

    name = "fragment"
    description = "verbless sentence fragment after another sentence"

    def detect(self, segment: Segment) -> list[Flag]:
        hyp = segment.hypothesis
        sentences = list(SENTENCE_RE.finditer(hyp))
        if len(sentences) < 2:
            return []
        source_sentences = len([s for s in re.split(r"[。！？!?]+", segment.source) if s.strip()])
        flags = []
        for m in sentences[1:]:
            text = m.group()
            start = m.start() + len(text) - len(text.lstrip())
            tokens = ALPHA_RE.findall(text)
            if len(tokens) < 3 or not tokens[0][0].isupper():
                continue
            lower = [t.lower() for t in tokens]
            if any(t in VERB_WORDS or VERB_SUFFIX_RE.match(t) for t in lower):
                continue
            severity = "major" if source_sentences <= 1 else "minor"
            end = m.end()
            flags.append(segment.flag(start, end, severity, "fragment",
                                      "sentence fragment without a verb", source_sentences=source_sentences))
        return flags
