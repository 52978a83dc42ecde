"""Flags: character spans of a hypothesis with severity, kind, message and evidence; the detector registry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import ConfigError
from ..registry import Registry

SEVERITIES = ("minor", "major")


@dataclass
class Flag:
    """One flagged span: `start`/`end` are character offsets into the stripped hypothesis (end exclusive; equal for a
    zero-width flag where something is missing); `confidence` is the estimated probability (0–1) that an expert
    reviewer marks an error there, fitted on the development half of the MQM data and checked on the held-out
    half (`calibration.py`, `support.py`)."""

    segment: int
    start: int
    end: int
    severity: str
    kind: str
    message: str
    text: str
    evidence: dict[str, Any] = field(default_factory=dict)
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"segment": self.segment, "start": self.start, "end": self.end, "severity": self.severity,
                "kind": self.kind, "confidence": round(self.confidence or 0.0, 3), "message": self.message,
                "text": self.text, "evidence": self.evidence}


@dataclass
class Segment:
    """What a detector sees of one segment: the source, the stripped hypothesis and the optional evidence."""

    index: int
    source: str
    hypothesis: str
    references: list[str] = field(default_factory=list)
    others: dict[str, str] = field(default_factory=dict)
    src_lang: str = "zh"
    tgt_lang: str = "en"

    def flag(self, start: int, end: int, severity: str, kind: str, message: str, confidence: float | None = None,
             **evidence: Any) -> Flag:
        """A flag on hypothesis[start:end] of this segment; without `confidence`, `flag_segments` sets the
        calibrated confidence of its kind and severity."""
        return Flag(self.index, start, end, severity, kind, message, self.hypothesis[start:end], evidence, confidence)


class Detector:
    """A flag detector. `kinds` are the flag kinds it writes; `needs` names the evidence it requires ("references",
    "others"); `pairs` the (source, target) languages it works for (empty: any); `run` flags a batch.

    Detectors are constructed once per run with the shared options (e.g. the glossary) and must be cheap to
    construct; heavy models load lazily on first use.
    """

    name: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]] = ()  # the kinds of flag it writes (empty: its name)
    needs: ClassVar[tuple[str, ...]] = ()
    pairs: ClassVar[frozenset[tuple[str, str]]] = frozenset()
    description: ClassVar[str] = ""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = options or {}

    def applies(self, segment: Segment) -> bool:
        return (all(getattr(segment, need) for need in self.needs)
                and (not self.pairs or (segment.src_lang, segment.tgt_lang) in self.pairs))

    def detect(self, segment: Segment) -> list[Flag]:
        """Flags of one segment (per-segment detectors override this)."""
        raise NotImplementedError

    def run(self, segments: Sequence[Segment]) -> list[Flag]:
        """Flags of a batch of segments (batched detectors, e.g. embeddings, override this)."""
        return [f for seg in segments if seg.hypothesis and self.applies(seg) for f in self.detect(seg)]

    def prepare(self, segments: Sequence[Segment]) -> None:
        """Fill the caches every system of a corpus shares (dictionary, source words, features of each output as
        the other systems' evidence), given one system's segments (which hold every other text): the flag stage
        calls it on one segment before forking (process-wide resources), then in each worker on the range of
        segments that worker flags for every system (`flag_systems`)."""

    def approved(self, segment: Segment) -> list[tuple[int, int]]:
        """Spans of the hypothesis this detector's evidence confirms as right (the glossary's allowed forms): no
        generic flag stays on them (`overlap.py`)."""
        return []


def format_flag(row: dict[str, Any]) -> str:
    """One flag (a flags.jsonl row or `Flag.to_dict()`) as a line of text."""
    where = f"{row['corpus']}/{row['system']} " if "corpus" in row else ""
    return (f"{where}{row['segment']}:{row['start']}-{row['end']} {row['severity']:5s} {row['kind']} "
            f"{row.get('confidence', 0.0):.2f}: {row['text']!r} — {row['message']}")


DETECTORS: Registry[type[Detector]] = Registry("flag detector", ConfigError, group="mteval.detectors")
