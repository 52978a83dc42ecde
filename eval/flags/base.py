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
    """One flagged span: `start`/`end` are character offsets into the stripped hypothesis (end exclusive)."""

    segment: int
    start: int
    end: int
    severity: str
    kind: str
    message: str
    text: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"segment": self.segment, "start": self.start, "end": self.end, "severity": self.severity,
                "kind": self.kind, "message": self.message, "text": self.text, "evidence": self.evidence}


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

    def flag(self, start: int, end: int, severity: str, kind: str, message: str, **evidence: Any) -> Flag:
        """A flag on hypothesis[start:end] of this segment."""
        return Flag(self.index, start, end, severity, kind, message, self.hypothesis[start:end], evidence)


class Detector:
    """A flag detector. `needs` names the evidence it requires ("references", "others"); `run` flags a batch.

    Detectors are constructed once per run with the shared options (e.g. the glossary) and must be cheap to
    construct; heavy models load lazily on first use.
    """

    name: ClassVar[str]
    needs: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = options or {}

    def applies(self, segment: Segment) -> bool:
        return all(getattr(segment, need) for need in self.needs)

    def detect(self, segment: Segment) -> list[Flag]:
        """Flags of one segment (per-segment detectors override this)."""
        raise NotImplementedError

    def run(self, segments: Sequence[Segment]) -> list[Flag]:
        """Flags of a batch of segments (batched detectors, e.g. embeddings, override this)."""
        return [f for seg in segments if seg.hypothesis and self.applies(seg) for f in self.detect(seg)]


def format_flag(row: dict[str, Any]) -> str:
    """One flag (a flags.jsonl row or `Flag.to_dict()`) as a line of text."""
    where = f"{row['corpus']}/{row['system']} " if "corpus" in row else ""
    return (f"{where}{row['segment']}:{row['start']}-{row['end']} {row['severity']:5s} {row['kind']}: "
            f"{row['text']!r} — {row['message']}")


DETECTORS: Registry[type[Detector]] = Registry("flag detector", ConfigError, group="mteval.detectors")
