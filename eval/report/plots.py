"""Report figures with matplotlib (Agg backend) as SVG: corpus scores with CI whiskers, sentence-score spread."""

from __future__ import annotations

import io
import math
from typing import Any

from ..runs.reader import CorpusView
from .leaderboard import system_rows

BAR, WHISKER = "#4c78a8", "#222222"


def _svg(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "mteval", "font.size": 9,
                         "axes.spines.top": False, "axes.spines.right": False})
    return plt


def _grid(n: int, systems: int) -> tuple[int, int, tuple[float, float]]:
    cols = min(n, 4)
    rows = -(-n // cols)
    return rows, cols, (3.0 * cols + 1.5, rows * (1.1 + 0.24 * systems))


def _order(view: CorpusView) -> list[str]:
    """Systems bottom-up as barh/boxplot draw them, so the leaderboard's best (first metric) is on top."""
    return [row["system"] for row in reversed(system_rows(view.scores))]


def _panels(view: CorpusView) -> tuple[Any, list[tuple[Any, str]], list[str]]:
    """A figure with one panel per metric (unused grid cells hidden), its (axes, metric) pairs, the system order."""
    plt = _pyplot()
    rows, cols, size = _grid(len(view.metrics), len(view.systems))
    fig, axes = plt.subplots(rows, cols, figsize=size, squeeze=False, sharey=True, layout="constrained")
    for ax in list(axes.flat)[len(view.metrics):]:
        ax.set_visible(False)
    return fig, list(zip(axes.flat, view.metrics, strict=False)), _order(view)


def score_bars(view: CorpusView) -> str:
    """One panel per metric: horizontal bars of corpus scores, 95% CI whiskers when scores.json has `ci`."""
    fig, panels, order = _panels(view)
    for ax, metric in panels:
        infos = [view.scores[s].get(metric, {}) for s in order]
        values = [info.get("score", 0.0) for info in infos]
        ax.barh(range(len(order)), values, color=BAR, height=0.65)
        cis = [info.get("ci") for info in infos]
        if any(cis):
            lo = [v - ci[0] if ci else 0.0 for v, ci in zip(values, cis, strict=True)]
            hi = [ci[1] - v if ci else 0.0 for v, ci in zip(values, cis, strict=True)]
            ax.errorbar(values, range(len(order)), xerr=[lo, hi], fmt="none", ecolor=WHISKER, capsize=2, lw=1)
        arrow = "↑" if view.higher_is_better[metric] else "↓"
        ax.set_title(f"{metric} {arrow}" + (" (95% CI)" if any(cis) else ""))
        ax.set_yticks(range(len(order)), order)
        ax.grid(axis="x", alpha=0.3)
    return _svg(fig)


def score_spread(view: CorpusView) -> str:
    """One panel per metric: box plots of the sentence scores of each system."""
    fig, panels, order = _panels(view)
    for ax, metric in panels:
        data = [[v for v in view.sentence[s][metric] if v is not None and math.isfinite(v)] for s in order]
        ax.boxplot(data, orientation="horizontal", widths=0.6, showmeans=True, sym=".",
                   flierprops={"markersize": 2, "alpha": 0.4},
                   meanprops={"marker": "D", "markersize": 3, "markerfacecolor": "white"})
        ax.set_yticks(range(1, len(order) + 1), order)
        ax.set_title(f"sentence {metric} {'↑' if view.higher_is_better[metric] else '↓'}")
        ax.grid(axis="x", alpha=0.3)
    return _svg(fig)
