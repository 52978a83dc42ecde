"""Flagging aligned text streams: the function behind `mteval flag`, the `flag` stage and `mteval.flag`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..textio import check_aligned
from . import build_segments, flag_segments, make_detectors


def flag(
    sources: Sequence[str],
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]] | None = None,
    others: dict[str, Sequence[str]] | None = None,
    src_lang: str = "zh",
    tgt_lang: str = "en",
    detectors: Sequence[str] | None = None,
    glossary: str | None = None,
) -> list[dict[str, Any]]:
    """Flags of one system's output as dicts (segment, start, end, severity, kind, message, text, evidence).

    `references` is a list of reference streams; `others` maps other systems' names to their outputs (aligned).
    Offsets are character indices into each hypothesis line with surrounding whitespace stripped.
    """
    check_aligned([("the hypothesis stream", hypotheses, "segments"), ("the source stream", sources, "segments"),
                   *[(f"reference {i + 1}", ref, "segments") for i, ref in enumerate(references or [])],
                   *[(f"other system {k!r}", v, "segments") for k, v in (others or {}).items()]])
    dets = make_detectors(detectors, {"glossary": glossary} if glossary else {})
    segments = build_segments(sources, hypotheses, references or [], others, src_lang, tgt_lang)
    return [f.to_dict() for f in flag_segments(segments, dets)]
