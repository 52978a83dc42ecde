"""Filtering flags on the command line (`flags --kind/--corpus`, `inspect --flag/--corpus`): a kind no flag of the
run has is reported with the kinds it does have, and a corpus the flag stage skipped (`flags.corpora`) with the
corpora it flagged, rather than printing nothing."""

from __future__ import annotations

from pathlib import Path


def unmatched_kind(run_dir: str | Path, kind: str) -> str | None:
    """None when some flag of the run has `kind`; else a message naming the kinds the run's flags have."""
    from ..flags import DETECTORS
    from ..runs.reader import Run

    kinds = sorted({row["kind"] for row in Run(run_dir).flags()})
    if kind in kinds:
        return None
    hint = f"; {kind!r} names a detector, the kinds are those of its flags" if kind in DETECTORS else ""
    return f"no flag of kind {kind!r} in {run_dir} (kinds there: {', '.join(kinds) or 'none'}{hint})"


def unflagged_corpus(run_dir: str | Path, corpus: str | None) -> str | None:
    """None unless the flag stage left `corpus` out (`flags.corpora` of the config); else a message naming the
    corpora it flagged."""
    from ..runs.reader import Run

    flagged = (Run(run_dir).manifest.get("flags") or {}).get("corpora")
    if corpus is None or flagged is None or corpus in flagged:
        return None
    return f"corpus {corpus!r} was not flagged (the config's flags.corpora: {', '.join(flagged)})"
