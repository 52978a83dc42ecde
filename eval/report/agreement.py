"""The agreement plot: each metric's corpus score against the human score, one point per system (PNG)."""

from __future__ import annotations

from pathlib import Path

from ..metrics.correlation import Correlation
from .plots import _pyplot


def agreement_plot(result: Correlation, path: str | Path) -> Path:
    """One panel per metric: systems as points (metric score vs human score), labelled, with the system-level
    Pearson r in the title when the result has it."""
    plt = _pyplot()
    metrics = list(result.metric_scores)
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.6 * len(metrics), 4.2), squeeze=False, layout="constrained")
    systems = [s for s in result.systems if s in result.human_scores]
    human = [result.human_scores[s] for s in systems]
    for ax, metric in zip(axes.flat, metrics, strict=True):
        scores = [result.metric_scores[metric][s] for s in systems]
        ax.scatter(human, scores, s=18, color="#4c78a8")
        for x, y, name in zip(human, scores, systems, strict=True):
            ax.annotate(name, (x, y), fontsize=6.5, xytext=(3, 2), textcoords="offset points")
        r = result.values.get(metric, {}).get("pearson") if result.level == "system" else None
        ax.set_title(metric + (f" (system Pearson r = {r:.3f})" if r is not None else ""))
        ax.set_xlabel(f"human score ({Path(result.human).name})")
        ax.set_ylabel(f"{metric} ({result.corpus})")
    path = Path(path)
    fig.savefig(path, format="png", dpi=130, metadata={"Software": None})
    plt.close(fig)
    return path
