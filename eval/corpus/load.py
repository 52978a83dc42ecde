"""Corpus loaders beyond plain files (tables, Hugging Face datasets, WMT folders, sacreBLEU test sets), and the
checks every corpus goes through after loading. Heavy libraries (`datasets`) are imported only inside `load`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import CorpusError
from .base import LOADERS, Corpus


def load_corpus(spec: dict[str, Any], log: Callable[[str], None]) -> Corpus:
    """Load one corpus of a validated config, apply `limit`, and check ids and empty segments (`empty`)."""
    corpus = LOADERS.get(spec["type"]).load(spec)
    if spec.get("limit") is not None:
        _truncate(corpus, spec["limit"])
    _check_ids(corpus)
    _check_empty(corpus, spec.get("empty", "warn"), log)
    return corpus


def _truncate(corpus: Corpus, limit: int) -> None:
    if limit < 1:
        raise CorpusError(f"corpus {corpus.name!r}: limit must be at least 1, got {limit}")
    corpus.provenance.update(limit=limit, segments_total=len(corpus))
    corpus.sources = corpus.sources[:limit]
    corpus.references = [ref[:limit] for ref in corpus.references]
    corpus.ids = corpus.ids[:limit]
    if corpus.documents is not None:
        corpus.documents = corpus.documents[:limit]
    corpus.outputs = {name: lines[:limit] for name, lines in corpus.outputs.items()}


def _check_ids(corpus: Corpus) -> None:
    seen: dict[str, int] = {}
    for i, seg_id in enumerate(corpus.ids):
        if seg_id in seen:
            raise CorpusError(f"{corpus.locate(i)}: duplicate segment id {seg_id!r} "
                              f"(first at {corpus.locate(seen[seg_id])})")
        seen[seg_id] = i


def _check_empty(corpus: Corpus, policy: str, log: Callable[[str], None]) -> None:
    """Empty (blank) source or reference segments: `reject` raises, `warn` logs and records them in provenance."""
    found: dict[str, list[str]] = {}
    for stream, lines in enumerate([corpus.sources, *corpus.references]):
        what = "source" if stream == 0 else f"reference {stream}"
        empty = [i for i, text in enumerate(lines) if not text.strip()]
        if not empty:
            continue
        where = corpus.locate(empty[0], stream)
        if policy == "reject":
            raise CorpusError(f"{where}: empty {what} segment ({len(empty)} in all; "
                              f"set `empty: warn` to keep them)")
        log(f"warning: {where}: empty {what} segment ({len(empty)} in all, kept; set `empty: reject` to refuse)")
        found[what] = [corpus.ids[i] for i in empty]
    if found:
        corpus.provenance["empty_segments"] = found
