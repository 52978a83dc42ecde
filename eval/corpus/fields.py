"""Mapping dataset rows to a corpus: the `fields` option shared by `table` and `hf`, and language inference."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..config.schema import Located, Option
from ..errors import CorpusError
from .base import Corpus, locate

FIELD_OPTIONS = (
    Option("source", "str", "Source text field (`a.b` for a nested field).", example="translation.zh"),
    Option("reference", "str|list[str]", "Reference field(s); [] for a reference-free corpus.", default=[],
           example="translation.en"),
    Option("id", "str", "Segment id field (default: the row number from 0).", default=None, example="id"),
    Option("document", "str", "Document id field.", default=None, example="doc_id"),
)

FIELDS = Option("fields", "dict", "Which fields hold the source, references, ids and documents.",
                example={"source": "zh", "reference": "en", "id": "id"}, fields=FIELD_OPTIONS)

LANG_OPTIONS = [
    Option("src_lang", "str", "Source language code (default: the source field's name, e.g. zh).", default=None,
           example="zh"),
    Option("tgt_lang", "str", "Target language code (default: the first reference field's name).", default=None,
           example="en"),
]


def _lang(field: str) -> str | None:
    """'translation.zh' → 'zh': a field named by a 2–3 letter lower-case code is taken as that language."""
    last = field.rsplit(".", 1)[-1]
    return last if 2 <= len(last) <= 3 and last.isalpha() and last.islower() else None


def complete_fields(values: dict[str, Any], loc: Located, path: tuple) -> None:
    """Normalise `fields.reference` to a list and infer src_lang/tgt_lang from field names when unset."""
    fields = values["fields"]
    if isinstance(fields["reference"], str):
        fields["reference"] = [fields["reference"]]
    refs = fields["reference"]
    values["src_lang"] = values["src_lang"] or _lang(fields["source"])
    values["tgt_lang"] = values["tgt_lang"] or (_lang(refs[0]) if refs else None)
    for key in ("src_lang", "tgt_lang"):
        if not values[key]:
            raise loc.error(path + (key,), "cannot infer the language from the field names: set it")


def _column(rows: dict[str, list[Any]], field: str, origin: str, where: Callable[[int], str]) -> list[Any]:
    top, *rest = field.split(".")
    if top not in rows:
        raise CorpusError(f"{origin}: no field {top!r} (fields: {', '.join(rows) or 'none'})")
    values = list(rows[top])
    for depth, key in enumerate(rest, 1):
        for i, value in enumerate(values):
            if not isinstance(value, dict) or key not in value:
                got = sorted(value) if isinstance(value, dict) else type(value).__name__
                raise CorpusError(f"{where(i)}: no field {'.'.join([top, *rest[:depth]])!r} (found {got})")
            values[i] = value[key]
    return values


def _texts(values: list[Any], field: str, where: Callable[[int], str]) -> list[str]:
    for i, value in enumerate(values):
        if not isinstance(value, str):
            what = "missing (null)" if value is None else f"not text ({type(value).__name__} {value!r})"
            raise CorpusError(f"{where(i)}: field {field!r} is {what}")
    return values


def column_keys(rows: dict[str, list[Any]], field: str, origin: str) -> list[str]:
    """The values of key field `field` (ids, documents) as strings."""
    def where(i: int) -> str:
        return locate(origin, None, i)

    return _keys(_column(rows, field, origin, where), field, where)


def _keys(values: list[Any], field: str, where: Callable[[int], str]) -> list[str]:
    for i, value in enumerate(values):
        if value is None or isinstance(value, (dict, list)):
            raise CorpusError(f"{where(i)}: field {field!r} is {'missing (null)' if value is None else 'not a key'}")
    return [str(v) for v in values]


def corpus_from_columns(values: dict[str, Any], rows: dict[str, list[Any]], origin: str, first_line: int | None,
                        provenance: dict[str, Any], ref_rows: dict[str, list[Any]] | None = None) -> Corpus:
    """Build the corpus from column-major rows `{field: [value per row]}` as `fields` maps them.

    `origin` names the data (a file); `first_line` is the line of row 0 in it (None: report row numbers).
    `ref_rows`, aligned with `rows`, hold the reference fields when they come from another table.
    """
    fields = values["fields"]
    def where(i: int) -> str:
        return locate(origin, first_line, i)

    sources = _texts(_column(rows, fields["source"], origin, where), fields["source"], where)
    if not sources:
        raise CorpusError(f"{origin}: no rows")
    refs = [_texts(_column(rows if ref_rows is None else ref_rows, f, origin, where), f, where)
            for f in fields["reference"]]
    ids = _keys(_column(rows, fields["id"], origin, where), fields["id"], where) if fields["id"] else []
    docs = _keys(_column(rows, fields["document"], origin, where), fields["document"], where) \
        if fields["document"] else None
    return Corpus(
        name=values["name"], src_lang=values["src_lang"], tgt_lang=values["tgt_lang"], sources=sources,
        references=refs, ids=ids, documents=docs, provenance={**provenance, "fields": fields},
        origins=[origin], first_line=first_line,
    )
