"""Terminology: a source term from a TSV glossary whose translation uses none of the allowed target forms.

Glossary lines: `source term<TAB>form|form…[<TAB>major|minor]` (severity default minor: a term whose
mistranslation changes meaning, such as 战略稳定对话 "strategic stability dialogue", is major)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..errors import ConfigError
from ..textio import read_text
from .base import DETECTORS, SEVERITIES, Detector, Flag, Segment
from .lexicon import align
from .text import words

_NORM_RE = re.compile(r"[\s\-‐–]+")


@dataclass(frozen=True)
class Term:
    source: str
    targets: tuple[str, ...]
    line: int
    severity: str = "minor"


def load_glossary(path: str) -> tuple[Term, ...]:
    """Read `source term<TAB>form|form…[<TAB>severity]` lines (# comments and blank lines allowed); longest source
    terms first.

    Read afresh on every call (once per run): an edited glossary is never served from memory."""
    terms = []
    for n, line in enumerate(read_text(path).split("\n"), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        src, sep, rest = line.partition("\t")
        forms, _, severity = rest.partition("\t")
        targets = tuple(f.strip() for f in forms.split("|") if f.strip())
        if not sep or not src.strip() or not targets:
            raise ConfigError(f"{path}:{n}: expected 'source term<TAB>allowed form|allowed form…[<TAB>major|minor]'")
        severity = severity.strip() or "minor"
        if severity not in SEVERITIES:
            raise ConfigError(f"{path}:{n}: severity {severity!r} is not one of {', '.join(SEVERITIES)}")
        terms.append(Term(src.strip(), targets, n, severity))
    if not terms:
        raise ConfigError(f"{path}: glossary has no terms")
    return tuple(sorted(terms, key=lambda t: -len(t.source)))


def _norm(text: str) -> str:
    return _NORM_RE.sub(" ", text.lower().replace("’", "'"))


@lru_cache(maxsize=4096)
def _form_re(form: str) -> re.Pattern:
    """An allowed form as it may appear in the output: any case, hyphens or spaces between its words, ' or ’."""
    parts = [re.escape(w).replace("'", "['’]") for w in _norm(form).split()]
    return re.compile(r"[\s\-‐–]+".join(parts), re.IGNORECASE)


def _trigrams(text: str) -> set[str]:
    t = re.sub(r"[^a-z0-9]+", " ", text.lower())
    return {t[i:i + 3] for i in range(len(t) - 2)}


def closest_window(hyp: str, form: str) -> tuple[int, int, float]:
    """The span of `hyp` (a run of whole words) most similar to `form` by character-trigram Dice."""
    ws = words(hyp)
    target = _trigrams(form)
    k = max(1, len(form.split()))
    best = (0, 0, 0.0)
    for size in range(max(1, k - 1), k + 3):
        for i in range(max(0, len(ws) - size) + 1):
            start, end = ws[i][0], ws[min(i + size, len(ws)) - 1][1]
            grams = _trigrams(hyp[start:end])
            if grams and target:
                score = 2 * len(grams & target) / (len(grams) + len(target))
                if score > best[2]:
                    best = (start, end, score)
    return best


@DETECTORS.register("glossary")
class Glossary(Detector):
    """A glossary term of the source not translated with an allowed form (the term's severity, default minor). The
    flag sits on the output words closest to an allowed form, else on the words that render the term by dictionary,
    else zero-width after the output word aligned with the source just before the term."""

    name = "glossary"
    kinds = ("terminology",)
    description = "glossary / terminology violations (needs a glossary TSV)"

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        path = self.options.get("glossary")
        self.terms = load_glossary(str(path)) if path else ()

    def applies(self, segment: Segment) -> bool:
        return bool(self.terms)

    def _found(self, source: str) -> list[tuple[Term, int]]:
        """The glossary terms in `source` and where (longest first; a shorter term inside a longer one is not
        counted again)."""
        covered = [False] * len(source)
        out = []
        for term in self.terms:
            at = source.find(term.source)
            while at >= 0 and any(covered[at:at + len(term.source)]):
                at = source.find(term.source, at + 1)
            if at >= 0:
                covered[at:at + len(term.source)] = [True] * len(term.source)
                out.append((term, at))
        return out

    def approved(self, segment: Segment) -> list[tuple[int, int]]:
        """Where the output uses an allowed form of a term its source has."""
        return [(m.start(), m.end()) for term, _ in self._found(segment.source) for form in term.targets
                for m in _form_re(form).finditer(segment.hypothesis)]

    def detect(self, segment: Segment) -> list[Flag]:
        flags = []
        for term, at in self._found(segment.source):
            if any(_form_re(form).search(segment.hypothesis) for form in term.targets):
                continue
            start, end, score = max((closest_window(segment.hypothesis, f) for f in term.targets), key=lambda w: w[2])
            if score < 0.5:
                start, end = rendering(segment, at, at + len(term.source))
            flags.append(segment.flag(start, end, term.severity, "terminology",
                                      f"{term.source} should be translated as {' | '.join(repr(t) for t in term.targets)}",
                                      term=term.source, allowed=list(term.targets), glossary_line=term.line))
        return flags


def rendering(segment: Segment, start: int, end: int) -> tuple[int, int]:
    """The output words that render source[start:end] by dictionary (first to last), or a zero-width span after
    the last output word rendering the source before it (0 when none does)."""
    a = align(segment.source, segment.hypothesis)
    inside = [i for i, j in enumerate(a.hyp_to_src) if j >= 0 and start <= a.src_words[j].start < end]
    if inside:
        return a.hyp_words[inside[0]][0], a.hyp_words[inside[-1]][1]
    before = [i for i, j in enumerate(a.hyp_to_src) if j >= 0 and a.src_words[j].end <= start]
    at = a.hyp_words[max(before, key=lambda i: (a.hyp_to_src[i], i))][1] if before else 0
    return at, at
