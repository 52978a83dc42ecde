"""`type: table`: a .jsonl/.json, .tsv, .csv or .parquet file read through `datasets` (imported when loading)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from ..config.schema import Located, Option
from ..errors import CorpusError
from ..textio import read_jsonl, read_text
from .base import LOADERS, Corpus, CorpusLoader, check_file
from .fields import FIELDS, LANG_OPTIONS, complete_fields, corpus_from_columns

FORMATS = {".jsonl": "jsonl", ".json": "json", ".tsv": "tsv", ".csv": "csv", ".parquet": "parquet"}


def quiet_datasets() -> Any:
    """Import `datasets` with its progress bars and info logging off."""
    import datasets

    datasets.disable_progress_bars()
    datasets.utils.logging.set_verbosity_error()
    return datasets


@LOADERS.register("table")
class TableLoader(CorpusLoader):
    """One row per segment in a JSON-lines or JSON-array, TSV/CSV (with a header line) or Parquet file."""

    options: ClassVar[list[Option]] = [
        Option("path", "str", "The table file.", example="data/dev.jsonl"),
        Option("format", "str", "File format (default: from the suffix; `json` is one array of objects).",
               default=None, example="tsv", choices=("jsonl", "json", "tsv", "csv", "parquet")),
        FIELDS,
        *LANG_OPTIONS,
    ]

    @classmethod
    def prepare(cls, values: dict[str, Any], loc: Located, path: tuple) -> None:
        check_file(values["path"], loc, path + ("path",))
        suffix = Path(values["path"]).suffix.lower()
        values["format"] = values["format"] or FORMATS.get(suffix)
        if not values["format"]:
            raise loc.error(path + ("format",), f"cannot tell the format from {suffix or 'no suffix'!r}: "
                                                f"set format to one of jsonl, json, tsv, csv, parquet")
        complete_fields(values, loc, path)

    @classmethod
    def load(cls, values: dict[str, Any]) -> Corpus:
        path, fmt = values["path"], values["format"]
        first_line: int | None = None
        kwargs: dict[str, Any] = {}
        if fmt != "parquet":
            text = read_text(path)  # strict UTF-8: invalid bytes are reported with their line
            if not text.strip():
                raise CorpusError(f"{path}: file is empty")
            lines = text.removesuffix("\n").split("\n")
            if fmt == "jsonl":
                read_jsonl(path, error=CorpusError)
                first_line = 1 if all(line.strip() for line in lines) else None
            elif fmt == "json":
                _check_json_array(path, text)
            else:
                header, one_row_per_line = _check_delimited(path, text, lines, fmt)
                first_line = 2 if one_row_per_line else None
                kwargs = {"keep_default_na": False, "na_filter": False, "skip_blank_lines": False}
                if fmt == "tsv":
                    kwargs.update(sep="\t", quoting=csv.QUOTE_NONE)
        datasets = quiet_datasets()
        builder = {"jsonl": "json", "json": "json", "tsv": "csv", "csv": "csv", "parquet": "parquet"}[fmt]
        if kwargs:  # every column is text: no NaN for 'NA', no int for '007'
            kwargs["features"] = datasets.Features({name: datasets.Value("string") for name in header})
        with tempfile.TemporaryDirectory(prefix="mteval-datasets-") as cache:
            try:
                ds = datasets.load_dataset(builder, data_files=str(Path(path).resolve()), split="train",
                                           cache_dir=cache, keep_in_memory=True, **kwargs)
            except Exception as exc:  # noqa: BLE001  datasets/pyarrow errors are many and untyped
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise CorpusError(f"{path}: cannot read as {fmt}: {message}") from None
            rows = {name: ds[name] for name in ds.column_names}
            rows = {name: list(col) for name, col in rows.items()}
        sha256 = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        provenance = {"type": "table", "path": path, "format": fmt, "sha256": sha256}
        return corpus_from_columns(values, rows, path, first_line, provenance)


def _check_json_array(path: str, text: str) -> None:
    """The file must be one JSON array of objects; the first problem is reported with its line."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise CorpusError(f"{path}: expected a JSON array of objects (or JSON lines: one object per line, .jsonl)")


def _check_delimited(path: str, text: str, lines: list[str], fmt: str) -> tuple[list[str], bool]:
    """The header's column names, and whether each row is one line (TSV has no quoting; CSV fields may span
    lines). A TSV line with another number of fields than the header is reported with its line."""
    if fmt == "tsv":
        rows = [line.split("\t") for line in lines]
    else:
        rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    if len(set(header)) != len(header):
        raise CorpusError(f"{path}:1: duplicate column names in the header: {', '.join(header)}")
    if fmt == "tsv":
        for n, row in enumerate(rows[1:], 2):
            if len(row) != len(header) and any(row):
                raise CorpusError(f"{path}:{n}: {len(row)} tab-separated fields, the header has {len(header)}")
    return header, len(rows) == len(lines)
