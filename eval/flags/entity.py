"""Wrong entities: an English name in the output with no counterpart in the source (US President Donald Trump for
拜登 Biden). A name has a counterpart when a source word's CC-CEDICT glosses contain it or its pinyin sounds like it
(`lexicon.py`); a name the references contain or half of the other systems wrote is never flagged."""

from __future__ import annotations

from collections.abc import Sequence

from .base import DETECTORS, Detector, Flag, Segment
from .boundary import sentences
from .lexicon import align, is_name_word, prepare_sources
from .text import lemma, lemmas, words


@DETECTORS.register("entity")
class WrongEntity(Detector):
    """A proper name of the output that renders nothing of the source (major: a wrong person, place or body)."""

    name = "entity"
    kinds = ("wrong-entity",)
    pairs = frozenset({("zh", "en")})  # the dictionary evidence is CC-CEDICT
    description = "names with no counterpart in the source (dictionary or pinyin)"

    def prepare(self, segments: Sequence[Segment]) -> None:
        prepare_sources([s.source for s in segments])
        for s in segments:
            for text in (*s.references, *s.others.values()):
                lemmas(text)

    def detect(self, segment: Segment) -> list[Flag]:
        hyp = segment.hypothesis
        starts = {start for start, _ in sentences(hyp)}
        alignment = align(segment.source, hyp)
        vouched = set().union(*(lemmas(text) for text in segment.references))
        others = [lemmas(o) for o in segment.others.values()]
        bad = []
        for (start, end, word), src in zip(alignment.hyp_words, alignment.hyp_to_src):
            if (src >= 0 or start in starts or len(word) < 3 or word.isupper() or not word.isalpha()
                    or not is_name_word(word)):
                continue
            low = lemma(word)
            if low in vouched or (others and 2 * sum(low in o for o in others) >= len(others)):
                continue
            bad.append((start, end))
        return [segment.flag(start, end, "major", "wrong-entity",
                             f"name {hyp[start:end]!r} has no counterpart in the source (by dictionary or sound)")
                for start, end in _merge_names(hyp, bad, alignment.hyp_to_src)]


def _merge_names(hyp: str, spans: list[tuple[int, int]], hyp_to_src: list[int]) -> list[tuple[int, int]]:
    """Extend each flagged word over the unaligned capitalised words next to it (Donald → Donald Trump) and merge."""
    ws = words(hyp)

    def joins(i: int, j: int) -> bool:  # word j continues the name at word i
        return hyp_to_src[j] < 0 and ws[j][2][:1].isupper() and hyp[ws[min(i, j)][1]:ws[max(i, j)][0]] == " "

    out: list[tuple[int, int]] = []
    for start, end in spans:
        k = next(i for i, w in enumerate(ws) if w[0] == start)
        first = last = k
        while first > 0 and joins(first, first - 1):
            first -= 1
        while last + 1 < len(ws) and joins(last, last + 1):
            last += 1
        span = (ws[first][0], ws[last][1])
        if out and span[0] <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], span[1]))
        else:
            out.append(span)
    return out
