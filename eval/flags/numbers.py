"""Numbers, dates and quantities in the output that match no number of the source (Arabic or Chinese numerals)."""

from __future__ import annotations

import re

from .base import DETECTORS, Detector, Flag, Segment

_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}
_CN_NUM_RE = re.compile(r"[零〇一二两三四五六七八九十百千]+(?:[万亿][零〇一二两三四五六七八九十百千]*)*[万亿]?")
# An Arabic number (1,000 / 2.8 / 50%), optionally followed by a Chinese unit (3万, 2.8亿, 1100多万, 6成 = 60%).
_SRC_ARABIC_RE = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*[多余]?(万亿|万|亿|千|百|成)?")
_SCALES = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
# Not part of a name or code (COVID-19, G20, A-1) nor the minutes of a clock time (18:00).
_HYP_NUM_RE = re.compile(
    r"(?<![\w.:,])(?<![^\W\d_]-)(\d+(?:,\d+)*(?:\.\d+)?)(?::\s?\d\d)?(?:st|nd|rd|th|\s?(a\.m\.|p\.m\.|am|pm))?"
    r"((?:\s+(?:hundred|thousand|million|billion|trillion))*)(?![\w])",
    re.IGNORECASE,
)

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen twenty")
_TENS = "thirty forty fifty sixty seventy eighty ninety"
_ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth"
_WORD_VALUES = {w: float(i) for i, w in enumerate(_UNITS.split())}
_WORD_VALUES.update({w: float(10 * i) for i, w in enumerate(_TENS.split(), 3)})
_WORD_VALUES.update({w: float(i) for i, w in enumerate(_ORDINALS.split(), 1)})
_WORD_VALUES.update(hundred=100.0, thousand=1000.0, dozen=12.0, both=2.0, twice=2.0, half=0.5)
_MONTHS = "january february march april may june july august september october november december"
_WORD_VALUES.update({w: float(i) for i, w in enumerate(_MONTHS.split(), 1)})
_WORD_RE = re.compile(r"[a-z]+")


def chinese_values(text: str) -> tuple[float, ...]:
    """Values a Chinese numeral can stand for (cn2an): 十三 → 13, 二〇二一 → 2021, 三万五千 → 35000. Two or three
    bare digits are a date abbreviation, month then day (六一 = June 1, 九一八 = September 18), not 61 or 918."""
    import cn2an

    if 2 <= len(text) <= 3 and all(c in _CN_DIGITS for c in text):
        month, day = _CN_DIGITS[text[0]], int("".join(str(_CN_DIGITS[c]) for c in text[1:]))
        if 1 <= month <= 12 and 1 <= day <= 31:
            return (float(month), float(day))
    try:
        return (float(cn2an.cn2an(text, "smart")),)
    except ValueError:
        return ()


def source_numbers(source: str) -> set[float]:
    """Every number value of a Chinese (or any) source: Arabic with Chinese units, Chinese numerals."""
    values: set[float] = set()
    for m in _SRC_ARABIC_RE.finditer(source):
        base = float(m.group(1).replace(",", ""))
        unit = m.group(2) or ""
        factor = {"万亿": 10**12, "万": 10**4, "亿": 10**8, "千": 10**3, "百": 100, "成": 10}.get(unit, 1)
        values.update({base, base * factor})
    for m in _CN_NUM_RE.finditer(source):
        for value in chinese_values(m.group()):
            values.add(value)
            if source.startswith("成", m.end()):  # 六成 = 60%
                values.add(value * 10)
    return values


def hypothesis_numbers(hyp: str) -> list[tuple[int, int, tuple[float, ...]]]:
    """(start, end, values) of each Arabic number in an English output: its value with scale words, and for a
    p.m. time also the 24-hour value (5 p.m. matches 17时 and 下午5时)."""
    out = []
    for m in _HYP_NUM_RE.finditer(hyp):
        value = float(m.group(1).replace(",", ""))
        for word in m.group(3).split():
            value *= _SCALES[word.lower()]
        pm = (m.group(2) or "").lower().startswith("p") and value < 12
        out.append((m.start(), m.end(), (value, value + 12) if pm else (value,)))
    return out


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


@DETECTORS.register("number")
class NumberMismatch(Detector):
    """A number of the output that is no number of the source: major when the source has a number the output
    lacks (a changed value), minor when the output only adds one."""

    name = "number"
    kinds = ("number",)
    description = "numbers, dates and quantities that do not match the source"

    def detect(self, segment: Segment) -> list[Flag]:
        found = hypothesis_numbers(segment.hypothesis)
        if not found:
            return []
        src = source_numbers(segment.source)
        spelled = {_WORD_VALUES[w] for w in _WORD_RE.findall(segment.hypothesis.lower()) if w in _WORD_VALUES}
        # 一 (1) is mostly an article (一名, 一个): only numbers from 2 up count as missing from the output.
        unmatched_src = [v for v in src if v >= 2 and v not in spelled and
                         not any(_close(v, value) for f in found for value in f[2])]
        flags = []
        for start, end, values in found:
            if any(_close(value, v) for value in values for v in src):
                continue
            severity = "major" if unmatched_src else "minor"
            shown = ", ".join(f"{v:g}" for v in sorted(unmatched_src)[:5])
            message = (f"number {segment.hypothesis[start:end]!r} is not in the source"
                       + (f" (source has {shown})" if shown else ""))
            flags.append(segment.flag(start, end, severity, "number", message, value=values[0],
                                      source_numbers=sorted(src)[:20]))
        return flags
