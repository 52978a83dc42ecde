"""Flagging bad fragments: detectors mark character spans of a hypothesis with severity, kind and evidence.

Importing this package registers the detectors (cheap: the `embedding` detector imports its model only when it runs).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..config.schema import Located
from . import (  # noqa: F401
    boundary,
    brackets,
    embedding,
    entity,
    glossary,
    hallucination,
    numbers,
    omission,
    script,
    support,
    surprisal,
    xcomet,
)
from .base import DETECTORS, SEVERITIES, Detector, Flag, Segment
from .calibration import calibrate
from .overlap import drop_covered
from .support import mode_of

DEFAULT_DETECTORS = ("broken-sentence", "fragment", "untranslated", "source-copy", "number", "repetition", "length",
                     "brackets", "glossary", "entity", "omission", "mistranslation")
OPTIONAL_DETECTORS = ("embedding", "surprisal", "xcomet")


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: flagging frees its many short-lived objects by reference counting, and
    the collector's passes over them and over the dictionaries' ~10^5 containers cost 10–30% of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def kinds() -> dict[str, str]:
    """Every flag kind → the detector that writes it (one vocabulary: most kinds are their detector's name)."""
    return {kind: name for name in DETECTORS.names() for kind in DETECTORS.get(name).kinds or (name,)}


def check_kind(kind: str | None, option: str) -> None:
    """`ConfigError` naming the known kinds when `kind` (a `--kind`/`--flag` value) is none of them."""
    from ..errors import ConfigError

    if kind is not None and kind not in kinds():
        raise ConfigError(f"{option}: unknown flag kind {kind!r} (known: {', '.join(sorted(kinds()))})")


def make_detectors(names: Sequence[str] | None = None, options: dict[str, Any] | None = None) -> list[Detector]:
    """Instantiate detectors by name (default: `DEFAULT_DETECTORS`); unknown names raise `ConfigError`."""
    return [DETECTORS.get(name)(options) for name in (DEFAULT_DETECTORS if names is None else names)]


def check_config(spec: dict[str, Any], loc: Located) -> None:
    """Check the config's `flags:` section at load time: known detectors, a readable, well-formed glossary."""
    from .glossary import load_glossary

    for i, name in enumerate(spec.get("detectors") or []):
        if name not in DETECTORS:
            known = ", ".join(DETECTORS.names())
            raise loc.error(("flags", "detectors", i), f"unknown flag detector {name!r} (known: {known})")
    if spec.get("glossary"):
        if not Path(spec["glossary"]).is_file():
            raise loc.error(("flags", "glossary"), f"file not found: {spec['glossary']}")
        load_glossary(spec["glossary"])


def flag_segments(segments: Sequence[Segment], detectors: Sequence[Detector]) -> list[Flag]:
    """All flags of all detectors with their calibrated confidence, sorted by segment and offset; a generic
    mistranslation flag that specific flags or approved spans cover is dropped (`overlap.py`)."""
    with gc_paused():
        approved: dict[int, list[tuple[int, int]]] = {}
        for seg in segments:
            spans = [span for det in detectors if seg.hypothesis and det.applies(seg) for span in det.approved(seg)]
            if spans:
                approved[seg.index] = spans
        modes = {seg.index: mode_of(seg) for seg in segments}
        flags = drop_covered(calibrate([f for det in detectors for f in det.run(segments)], modes), approved)
    return sorted(flags, key=lambda f: (f.segment, f.start, f.end, f.kind))


def prepare(segments: Sequence[Segment], detectors: Sequence[Detector]) -> None:
    """Each detector's shared caches for a corpus (`Detector.prepare`), from one system's segments."""
    with gc_paused():
        for det in detectors:
            applicable = [seg for seg in segments if det.applies(seg)]
            if applicable:
                det.prepare(applicable)


# Segments per step of `flag_systems`: every system flags a step before the next one starts, so the caches of a
# segment's evidence shared by all systems (e.g. `support._output_counts`) still hold it.
STEP = 256


def flag_systems(systems: Sequence[Sequence[Segment]], detectors: Sequence[Detector], lo: int, hi: int
                 ) -> list[list[Flag]]:
    """The flags of segments lo..hi-1 of every system (`systems`: each system's segments of one corpus, whose
    `others` are the other systems), after filling the caches they share (`prepare`): a unit of the flag stage's
    parallel work, split by segment so that each worker prepares only its own part."""
    out: list[list[Flag]] = [[] for _ in systems]
    for a in range(lo, hi, STEP):
        b = min(a + STEP, hi)
        prepare(systems[0][a:b], detectors)
        for flags, segments in zip(out, systems):
            flags.extend(flag_segments(segments[a:b], detectors))
    return out


def build_segments(
    sources: Sequence[str],
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]] = (),
    others: dict[str, Sequence[str]] | None = None,
    src_lang: str = "zh",
    tgt_lang: str = "en",
) -> list[Segment]:
    """Segments from aligned streams: `references` is a list of reference streams, `others` maps system → lines."""
    others = others or {}
    return [
        Segment(i, src, hyp.strip(), [r[i] for r in references if r[i].strip()],
                {name: lines[i] for name, lines in others.items() if lines[i].strip()}, src_lang, tgt_lang)
        for i, (src, hyp) in enumerate(zip(sources, hypotheses))
    ]


__all__ = ["DEFAULT_DETECTORS", "DETECTORS", "OPTIONAL_DETECTORS", "SEVERITIES", "Detector", "Flag", "Segment",
           "build_segments", "check_config", "check_kind", "flag_segments", "flag_systems", "kinds", "make_detectors",
           "prepare"]
