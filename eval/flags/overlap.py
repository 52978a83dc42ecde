"""One flag per problem: a learned `mistranslation` flag whose characters are mostly inside flags of a specific
detector (terminology, broken sentence, fragment, number, entity, ...) repeats what that flag already says, in
vaguer words, and is dropped; so is one mostly inside a span a detector approves (an allowed glossary form): the
user's own rule says that wording is right."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from .base import Flag

GENERIC = "mistranslation"
# A generic flag goes when at least this share of its characters is inside specific flags.
COVERED = 0.5


def drop_covered(flags: Sequence[Flag], approved: dict[int, list[tuple[int, int]]] | None = None) -> list[Flag]:
    """`flags` without the generic flags that specific flags, or `approved` spans (segment → (start, end)), of the
    same segment cover (`COVERED`)."""
    cover: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for segment, spans in (approved or {}).items():
        cover[segment].extend(spans)
    for f in flags:
        if f.kind != GENERIC and f.end > f.start:
            cover[f.segment].append((f.start, f.end))
    return [f for f in flags if f.kind != GENERIC or f.end == f.start or not cover.get(f.segment)
            or _covered(f, cover[f.segment]) < COVERED]


def _covered(flag: Flag, spans: Sequence[tuple[int, int]]) -> float:
    inside = set()
    for start, end in spans:
        inside.update(range(max(flag.start, start), min(flag.end, end)))
    return len(inside) / (flag.end - flag.start)
