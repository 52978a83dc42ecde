"""The `files` corpus type: plain aligned text files, one segment per line."""

from __future__ import annotations

from typing import Any, ClassVar

from ..config.schema import Located, Option
from ..errors import CorpusError
from ..lang import lang_from_suffix
from ..textio import check_aligned, read_lines
from .base import LOADERS, Corpus, CorpusLoader, check_file


def _column(path: str, column: str | None) -> list[str]:
    """The lines of `path`, or with `column` the values of that column of a TSV file with a header line."""
    lines = read_lines(path)
    if column is None:
        return lines
    header = lines[0].split("\t")
    if column not in header:
        raise CorpusError(f"{path}:1: no column {column!r} in the header (columns: {', '.join(header)})")
    k = header.index(column)
    values = []
    for n, line in enumerate(lines[1:], 2):
        cells = line.split("\t")
        if len(cells) != len(header):
            raise CorpusError(f"{path}:{n}: {len(cells)} tab-separated fields, the header has {len(header)}")
        values.append(cells[k])
    return values


@LOADERS.register("files")
class FilesLoader(CorpusLoader):
    """Plain aligned text files, one segment per line (UTF-8; BOM and CRLF accepted)."""

    options: ClassVar[list[Option]] = [
        Option("source", "str", "Source file, one segment per line.", example="corpora/xinhua-2021-04-13/source.zh"),
        Option("references", "str|list[str]", "Reference file(s), aligned with the source; [] for none.",
               default=[], example=["corpora/xinhua-2021-04-13/reference.en"]),
        Option("src_lang", "str", "Source language code (default: the source file's suffix).", default=None,
               example="zh"),
        Option("tgt_lang", "str", "Target language code (default: the first reference's suffix).", default=None,
               example="en"),
        Option("ids", "str", "File of segment ids, one per line (default: 0, 1, 2, ...).", default=None,
               example="data/dev.ids"),
        Option("documents", "str", "File of document ids, one per line, aligned with the source.", default=None,
               example="data/dev.docs"),
        Option("documents_column", "str", "Read `documents` as a TSV file with a header and take this column.",
               default=None, example="URL"),
    ]

    @classmethod
    def prepare(cls, values: dict[str, Any], loc: Located, path: tuple) -> None:
        if isinstance(values["references"], str):
            values["references"] = [values["references"]]
        check_file(values["source"], loc, path + ("source",))
        for i, ref in enumerate(values["references"]):
            check_file(ref, loc, path + ("references", i))
        for key in ("ids", "documents"):
            if values[key] is not None:
                check_file(values[key], loc, path + (key,))
        values["src_lang"] = values["src_lang"] or lang_from_suffix(values["source"])
        refs = values["references"]
        values["tgt_lang"] = values["tgt_lang"] or (lang_from_suffix(refs[0]) if refs else None)
        for key in ("src_lang", "tgt_lang"):
            if not values[key]:
                raise loc.error(path + (key,), "cannot infer the language from the file name: set it")

    @classmethod
    def load(cls, values: dict[str, Any]) -> Corpus:
        texts = [values["source"], *values["references"]]
        files = [(path, read_lines(path)) for path in texts]
        if values["ids"]:
            files.append((values["ids"], read_lines(values["ids"])))
        if values["documents"]:
            files.append((values["documents"], _column(values["documents"], values["documents_column"])))
        check_aligned(files)
        streams = dict(files)
        provenance = {"type": "files", "source": values["source"], "references": values["references"]}
        provenance.update({key: values[key] for key in ("ids", "documents", "documents_column") if values[key]})
        return Corpus(
            name=values["name"],
            src_lang=values["src_lang"],
            tgt_lang=values["tgt_lang"],
            sources=streams[values["source"]],
            references=[streams[path] for path in values["references"]],
            ids=streams[values["ids"]] if values["ids"] else [],
            documents=streams[values["documents"]] if values["documents"] else None,
            provenance=provenance,
            origins=texts,
        )
