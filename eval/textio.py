"""Reading text files strictly (UTF-8, BOM, CRLF, empty files) and writing files atomically."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence, Sized
from pathlib import Path
from typing import Any

from .errors import CorpusError, MtevalError, RunError


def read_text(path: str | Path) -> str:
    """Whole file as text: strict UTF-8 (a BOM is dropped), CRLF/CR normalised to LF.

    Raises `CorpusError` naming the file, line and byte offset of invalid UTF-8, and for a missing file.
    """
    return _decode(path).replace("\r\n", "\n").replace("\r", "\n")


def _decode(path: str | Path) -> str:
    """Whole file as text, strict UTF-8 without a BOM, line ends as they are."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise CorpusError(f"{p}: file not found") from None
    except IsADirectoryError:
        raise CorpusError(f"{p}: is a directory, expected a text file") from None
    except OSError as exc:
        raise CorpusError(f"{p}: cannot read: {exc.strerror}") from None
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start  # in the file, BOM included
        ends = list(re.finditer(rb"\r\n|\r|\n", data[:offset]))
        col = offset - (ends[-1].end() if ends else 0)
        raise CorpusError(
            f"{p}:{len(ends) + 1}: invalid UTF-8 at byte offset {offset} (byte {col} of the line): "
            f"{data[offset:offset + 1]!r}"
        ) from None
    return text


_LINE_END = re.compile(r"\r\n|\r|\n")


def _check_line_ends(path: str | Path, text: str) -> None:
    """One kind of line end per file (LF, CRLF or CR): a stray CR in an LF file would split a segment in two."""
    first = None
    for n, match in enumerate(_LINE_END.finditer(text), 1):
        if first is None:
            first = match.group()
        elif match.group() != first:
            names = {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}
            raise CorpusError(f"{path}:{n}: mixed line endings: {names[match.group()]} here, {names[first]} on "
                              f"line 1; convert the file to one kind (e.g. with dos2unix)")


def read_lines(path: str | Path) -> list[str]:
    """Lines of a segment-per-line file, without line ends; an empty file or mixed line ends are errors."""
    raw = _decode(path)
    _check_line_ends(path, raw)
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise CorpusError(f"{path}: file is empty")
    text = text.removesuffix("\n")
    return text.split("\n")


def check_aligned(streams: Sequence[tuple[str, Sized] | tuple[str, Sized, str]], hint: str = "") -> None:
    """`CorpusError` naming the first stream and one that differs in length, e.g. "line counts differ: src.zh has
    11 lines, ref.en has 10 lines". A stream is `(label, items)` or `(label, items, unit)` (unit: "lines")."""

    def count(stream: tuple) -> str:
        n, unit = len(stream[1]), (stream[2] if len(stream) > 2 else "lines")
        return f"{stream[0]} has {n} {unit[:-1] if n == 1 else unit}"

    first = streams[0]
    for other in streams[1:]:
        if len(other[1]) != len(first[1]):
            raise CorpusError(f"line counts differ: {count(first)}, {count(other)}{hint}")


_UMASK = os.umask(0o022)
os.umask(_UMASK)


def _write_temp(path: Path, data: bytes) -> Path:
    """Write `data` to a fsynced temporary file beside `path` (mode 0666 less the umask) and return its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write_many(files: dict[Path, str | bytes]) -> None:
    """Write several files all or nothing: every temporary file is written before any is renamed into place.

    On failure (disk full, read-only folder) no target is touched and the temporary files are removed.
    """
    written: list[tuple[Path, Path]] = []
    try:
        for path, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            written.append((_write_temp(Path(path), data), Path(path)))
        for tmp, path in written:
            os.replace(tmp, path)
    except OSError as exc:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)
        target = exc.filename or next(iter(files), "")
        raise RunError(f"{target}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and rename: readers never see half a file."""
    atomic_write_many({Path(path): text})


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def atomic_write_lines(path: str | Path, lines: Iterable[str]) -> None:
    atomic_write_text(path, "".join(line + "\n" for line in lines))


def read_jsonl(path: str | Path, skip: Callable[[str], bool] | None = None,
               error: type[MtevalError] = RunError) -> list[tuple[int, dict[str, Any]]]:
    """JSON objects of a JSON-lines file with their line numbers; blank lines, and lines `skip` accepts, are
    passed over unparsed. A line that is not a JSON object raises `error` naming file and line."""
    rows = []
    for lineno, line in enumerate(read_text(path).split("\n"), 1):
        if not line.strip() or (skip is not None and skip(line)):
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{path}:{lineno}: invalid JSON: {exc.msg} (column {exc.colno})") from None
        if not isinstance(row, dict):
            raise error(f"{path}:{lineno}: expected a JSON object per line, got {type(row).__name__}")
        rows.append((lineno, row))
    return rows
