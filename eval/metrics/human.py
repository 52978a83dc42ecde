"""Human judgements of MT: WMT DA files, MQM score tables and mt-metrics-eval score files, read into one record."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import CorpusError
from ..textio import read_text

_SYS_ID = re.compile(r"^(.*)\.\d+$")  # WMT DA files name systems "JDExploreAcademy.6"
REFERENCE_SYSTEMS = re.compile(r"^(ref[A-Za-z]?|HUMAN(-[A-Za-z])?|Human-?[A-Za-z]?)$")  # WMT names of human refs


@dataclass
class HumanScores:
    """Human judgements, higher is better: per system (`system`), and per system and 0-based segment
    (`segment`: (score, raw); raw is the unstandardised DA score the DARR statistic thresholds, else the score)."""

    source: str
    kind: str  # "da", "mqm" or "table"
    system: dict[str, float] = field(default_factory=dict)
    segment: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)

    def system_level(self) -> dict[str, float]:
        """System scores as given, else the mean of each system's segment scores (as WMT ranks DA and MQM)."""
        if self.system:
            return self.system
        sums: dict[str, list[float]] = defaultdict(list)
        for (system, _), (score, _raw) in self.segment.items():
            sums[system].append(score)
        return {s: float(np.mean(v)) for s, v in sums.items()}

    def without(self, systems: set[str]) -> HumanScores:
        """The same judgements without `systems` (e.g. the human references rated as systems)."""
        return HumanScores(self.source, self.kind, {s: v for s, v in self.system.items() if s not in systems},
                           {k: v for k, v in self.segment.items() if k[0] not in systems})


def is_reference_system(name: str) -> bool:
    """Whether a rated "system" is a human reference (WMT: refA, refB, HUMAN-B)."""
    return bool(REFERENCE_SYSTEMS.match(name))


def _wmt_name(name: str) -> str:
    m = _SYS_ID.match(name)
    return m.group(1) if m else name


def _float(value: str, where: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise CorpusError(f"{where}: expected a number, got {value!r}") from None


def document_order(path: str | Path) -> list[int]:
    """Test-set lines (0-based) in document-id order, from an mt-metrics-eval documents file (`domain<TAB>doc`,
    one line per test-set line): entry k is the line of the k-th segment when documents are sorted by id."""
    docs = []
    for i, line in enumerate(read_text(path).rstrip("\n").split("\n"), 1):
        cols = line.split("\t")
        if len(cols) != 2 or not cols[1]:
            raise CorpusError(f"{path}:{i}: expected domain<TAB>document, got {line!r}")
        docs.append(cols[1])
    return sorted(range(len(docs)), key=lambda i: docs[i])


def read_human(path: str | Path, score: str = "z", documents: str | Path | None = None) -> HumanScores:
    """Read human scores (higher is better). Formats:

    - WMT DA segment scores (`ad-seg-scores-*.csv`, header `SYS SID RAW.SCR Z.SCR N`): SID is 1-based, the line
      number, or with `documents` the position in document-id order (WMT22, see docs/agreement.md);
    - WMT DA system scores (`ad-sys-scores-*.csv`, header `RAW.SCR Z.SCR N SYS N.ALL`) and rankings
      (`ad-sys-ranking-*.csv`, no header: raw, z, N, N.all, system id[, name]);
    - mt-metrics-eval `*.seg.score` (`SYSTEM<TAB>score`, the k-th line of a system is segment k, `None` unrated)
      and `*.sys.score` (`SYSTEM<TAB>score`);
    - a TSV with a header: `system<TAB>score`, `system<TAB>segment<TAB>score` (0-based segment), or the MQM table
      `system<TAB>seg_id<TAB>doc<TAB>score` (1-based seg_id, score = −MQM penalty).
    `score` picks the WMT DA column: `z` (standardised, the official one) or `raw`.
    """
    text = read_text(path)
    lines = [(i, line) for i, line in enumerate(text.split("\n"), 1) if line.strip()]
    if not lines:
        raise CorpusError(f"{path}: file is empty")
    name = Path(path).name
    if name.endswith((".seg.score", ".sys.score")):
        return _read_mtme(path, lines, segment=name.endswith(".seg.score"))
    header = lines[0][1].split()
    if header[:4] == ["SYS", "SID", "RAW.SCR", "Z.SCR"]:
        return _read_da_segments(path, lines, score == "z", documents)
    out = HumanScores(str(path), "da")
    pick_z = score == "z"
    if header[:4] == ["RAW.SCR", "Z.SCR", "N", "SYS"]:
        for i, line in lines[1:]:
            cols = line.split()
            out.system[_wmt_name(cols[3])] = _float(cols[1] if pick_z else cols[0], f"{path}:{i}")
    elif "\t" in lines[0][1] and header[0].lower() == "system":
        return _read_table(path, lines)
    else:
        for i, line in lines:
            cols = line.split()
            if len(cols) not in (5, 6):
                raise CorpusError(f"{path}:{i}: unrecognised human-score format (see `mteval correlate --help`)")
            sys_name = cols[5] if len(cols) == 6 else _wmt_name(cols[4])
            out.system[sys_name] = _float(cols[1] if pick_z else cols[0], f"{path}:{i}")
    return out


def _read_da_segments(path, lines, pick_z: bool, documents) -> HumanScores:
    out = HumanScores(str(path), "da")
    order = document_order(documents) if documents else None
    for i, line in lines[1:]:
        cols = line.split()
        if len(cols) < 4:
            raise CorpusError(f"{path}:{i}: expected SYS SID RAW.SCR Z.SCR, got {line!r}")
        sid = int(_float(cols[1], f"{path}:{i}"))
        if order is not None and not 1 <= sid <= len(order):
            raise CorpusError(f"{path}:{i}: segment id {sid} is outside the {len(order)} lines of {documents}")
        seg = order[sid - 1] if order is not None else sid - 1
        raw, z = _float(cols[2], f"{path}:{i}"), _float(cols[3], f"{path}:{i}")
        out.segment[(_wmt_name(cols[0]), seg)] = (z if pick_z else raw, raw)
    return out


def _read_mtme(path, lines, segment: bool) -> HumanScores:
    out = HumanScores(str(path), "mqm" if ".mqm." in Path(path).name else "table")
    position: dict[str, int] = defaultdict(int)
    for i, line in lines:
        cols = line.split("\t")
        if len(cols) != 2:
            raise CorpusError(f"{path}:{i}: expected SYSTEM<TAB>score, got {line!r}")
        system, value = cols
        if segment:
            seg = position[system]
            position[system] += 1
            if value != "None":
                v = _float(value, f"{path}:{i}")
                out.segment[(system, seg)] = (v, v)
        elif value != "None":
            out.system[system] = _float(value, f"{path}:{i}")
    return out


def _read_table(path, lines) -> HumanScores:
    names = [h.lower() for h in lines[0][1].split("\t")]
    mqm = names == ["system", "seg_id", "doc", "score"]
    if not mqm and names not in (["system", "score"], ["system", "segment", "score"]):
        raise CorpusError(f"{path}:1: expected the header system[, segment], score or system, seg_id, doc, score")
    out = HumanScores(str(path), "mqm" if mqm else "table")
    for i, line in lines[1:]:
        cols = line.split("\t")
        if len(cols) != len(names):
            raise CorpusError(f"{path}:{i}: expected {len(names)} tab-separated columns, got {len(cols)}")
        value = _float(cols[-1], f"{path}:{i}")
        if len(names) == 2:
            out.system[cols[0]] = value
            continue
        seg = int(_float(cols[1], f"{path}:{i}")) - (1 if mqm else 0)
        if seg < 0:
            raise CorpusError(f"{path}:{i}: segment {cols[1]} out of range")
        out.segment[(cols[0], seg)] = (value, value)
    return out
