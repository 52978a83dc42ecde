"""xCOMET's error spans as flags: minor stays minor, major and critical become major."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ConfigError
from .base import DETECTORS, Detector, Flag, Segment

SEVERITY = {"minor": "minor", "major": "major", "critical": "major"}


@DETECTORS.register("xcomet")
class XCometSpans(Detector):
    """Error spans predicted by the `xcomet` metric (added to the flag stage when the metric is configured)."""

    name = "xcomet"
    kinds = ("xcomet",)
    description = "error spans predicted by xCOMET (runs with the `xcomet` metric)"

    def run(self, segments: Sequence[Segment]) -> list[Flag]:
        metric = self.options.get("metric")
        if metric is None:
            raise ConfigError("flag detector 'xcomet' runs with the xcomet metric: add it to `metrics:`")
        todo = [s for s in segments if s.hypothesis]
        if not todo:
            return []
        refs = [s.references[0] if s.references else "" for s in todo]
        use_refs = all(s.references for s in todo)
        outputs = metric.outputs([s.hypothesis for s in todo], refs if use_refs else None, [s.source for s in todo])
        flags = []
        for seg, out in zip(todo, outputs):
            for span in out.get("spans", []):
                text = seg.hypothesis[span["start"]:span["end"]]
                start = span["start"] + len(text) - len(text.lstrip())
                end = span["end"] - (len(text) - len(text.rstrip()))
                if end > start:
                    flags.append(seg.flag(start, end, SEVERITY[span["severity"]], "xcomet",
                                          f"xCOMET: {span['severity']} error", xcomet_severity=span["severity"],
                                          confidence=round(span["confidence"], 4)))
        return flags
