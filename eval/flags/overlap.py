"""One flag per problem: a learned `mistranslation` flag whose characters are mostly inside flags of a specific
detector (terminology, broken sentence, fragment, number, entity, ...) repeats what that flag already says, in
vaguer words, and is dropped."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from .base import Flag

GENERIC = "mistranslation"
# A generic flag goes when at least this share of its characters is inside specific flags.
COVERED = 0.5


def drop_covered(flags: Sequence[Flag]) -> list[Flag]:
    """`flags` without the generic flags that specific flags of the same segment cover (`COVERED`)."""
    specific: dict[int, list[Flag]] = defaultdict(list)
    for f in flags:
        if f.kind != GENERIC and f.end > f.start:
            specific[f.segment].append(f)
    return [f for f in flags if f.kind != GENERIC or f.end == f.start or not specific[f.segment]
            or _covered(f, specific[f.segment]) < COVERED]


def _covered(flag: Flag, others: Sequence[Flag]) -> float:
    inside = set()
    for o in others:
        inside.update(range(max(flag.start, o.start), min(flag.end, o.end)))
    return len(inside) / (flag.end - flag.start)
