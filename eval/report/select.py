"""Choosing segments to show: by corpus, system, segment id, flag kind/severity, and worst-N by a metric."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import RunError
from ..runs.reader import CorpusView, Run


@dataclass
class Selection:
    """Segments (0-based indices, in display order) of one corpus, shown for `systems`."""

    corpus: CorpusView
    systems: list[str]
    segments: list[int]


def _mean_score(view: CorpusView, systems: list[str], metric: str, i: int) -> float | None:
    values = [v for s in systems if (v := view.sentence[s][metric][i]) is not None]
    return sum(values) / len(values) if values else None


def select(
    run: Run,
    corpus: str | None = None,
    systems: Sequence[str] | None = None,
    segments: Sequence[str] | None = None,
    flag: str | None = None,
    severity: str | None = None,
    worst: int | None = None,
    by: str | None = None,
) -> list[Selection]:
    """Apply the `inspect` filters. `worst`/`by` rank segments by the mean sentence score of the selected
    systems, worst first (`higher_is_better` respected); unknown names raise `RunError` listing the known ones."""
    views = [run.corpus(corpus)] if corpus else list(run.corpora.values())
    known_systems = {s for v in views for s in v.systems}
    for name in systems or []:
        if name not in known_systems:
            raise RunError(f"{run.root}: no system {name!r} (known: {', '.join(sorted(known_systems))})")
    found_ids: set[str] = set()
    out = []
    for view in views:
        chosen = [s for s in view.systems if not systems or s in systems]
        if not chosen:
            continue
        indices = list(range(len(view)))
        if segments:
            wanted = set(segments)
            indices = [i for i in indices if view.ids[i] in wanted]
            found_ids.update(view.ids[i] for i in indices)
        if flag or severity:
            indices = [i for i in indices if any(
                (not flag or f.kind == flag) and (not severity or f.severity == severity)
                for s in chosen for f in view.flags_of(s, i))]
        if worst is not None or by:
            metric = by or (view.metrics[0] if view.metrics else None)
            if metric not in view.metrics:
                raise RunError(f"{run.root}: corpus {view.name} has no sentence scores for {metric!r} "
                               f"(known: {', '.join(view.metrics) or 'none'})")
            sign = 1 if view.higher_is_better[metric] else -1
            keyed = [(m, i) for i in indices if (m := _mean_score(view, chosen, metric, i)) is not None]
            indices = [i for _, i in sorted(keyed, key=lambda t: (sign * t[0], t[1]))]
            if worst is not None:
                indices = indices[:worst]
        if indices:
            out.append(Selection(view, chosen, indices))
    missing = set(segments or []) - found_ids
    if missing:
        raise RunError(f"{run.root}: no segment with id {', '.join(sorted(missing))}")
    return out
