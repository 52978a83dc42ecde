"""Filtering by flag kind on the command line (`flags --kind`, `inspect --flag`): a kind no flag of the run has is
reported with the kinds it does have, rather than printing nothing."""

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
