"""Omissions: source content that nothing in the output renders, flagged zero-width where it would go.

A source word is rendered when one of its CC-CEDICT gloss lemmas is in the output (`lexicon.py`). A run of
`MIN_WORDS`+ unrendered content words of the source with `MIN_CHARS`+ Chinese characters is an omission; the flag
sits right after the output word that renders the nearest source word before the run (offset 0 when none does).
Dictionaries miss paraphrases, so a run counts only when the references or half of the other systems render it."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from .base import DETECTORS, Detector, Flag, Segment
from .lexicon import align, lemma_keys, meaning, prepare_sources
from .text import lemmas

MIN_WORDS = 2
MIN_CHARS = 5
MAJOR_CHARS = 10


@lru_cache(maxsize=65536)
def _vocabulary(text: str) -> frozenset[str]:
    """The match keys a text offers: the keys of its lemmas (`lexicon.lemma_keys`)."""
    return frozenset(k for t in lemmas(text) for k in lemma_keys(t))


def _rendered_by(keys: frozenset[str], vocabulary: frozenset[str]) -> bool:
    return not keys.isdisjoint(vocabulary)


@DETECTORS.register("omission")
class Omission(Detector):
    """Source content words nothing in the output renders (minor; major for 10+ characters of content)."""

    name = "omission"
    kinds = ("omission",)
    pairs = frozenset({("zh", "en")})  # the dictionary evidence is CC-CEDICT
    description = "source content the output does not render (zero-width flag at the aligned position)"

    def prepare(self, segments: Sequence[Segment]) -> None:
        prepare_sources([s.source for s in segments])
        for s in segments:
            for text in (*s.references, *s.others.values()):
                _vocabulary(text)

    def detect(self, segment: Segment) -> list[Flag]:
        a = align(segment.source, segment.hypothesis)
        runs: list[list[int]] = []
        for k, sw in enumerate(a.src_words):
            if not sw.is_content or len(sw.text) < 2:
                continue
            if a.rendered[k]:
                runs.append([])
            elif runs and runs[-1]:
                runs[-1].append(k)
            else:
                runs.append([k])
        evidence = [_vocabulary(t) for t in [*segment.references, *segment.others.values()]]
        flags = []
        for run in runs:
            chars = sum(len(a.src_words[k].text) for k in run)
            if len(run) < MIN_WORDS or chars < MIN_CHARS:
                continue
            if evidence:
                backing = sum(any(_rendered_by(a.src_words[k].keys, e) for k in run) for e in evidence)
                if 2 * backing < len(evidence):
                    continue
            before = [i for i, j in enumerate(a.hyp_to_src) if 0 <= j < run[0]]
            at = a.hyp_words[max(before, key=lambda i: (a.hyp_to_src[i], i))][1] if before else 0
            where = (a.src_words[run[0]].start, a.src_words[run[-1]].end)
            text = segment.source[where[0]:where[1]]
            senses = "; ".join(filter(None, (meaning(a.src_words[k].text).split(",")[0] for k in run)))
            flags.append(segment.flag(at, at, "major" if chars >= MAJOR_CHARS else "minor", "omission",
                                      f"nothing in the output renders {text}" + (f" ({senses})" if senses else ""),
                                      source=list(where)))
        return flags
