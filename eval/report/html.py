"""`report.html`: one self-contained file (inline CSS, JS and SVG figures; no network) built from a run folder.

Safety: the page is rendered by jinja2 with autoescape; corpus and model text travels as JSON inside a
`<script type="application/json">` with `<`, `>` and `&` escaped, and the page script puts it into the DOM with
`textContent` only. A Content-Security-Policy allows only the page's own script (by hash) and no connections.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from pathlib import Path
from typing import Any

from ..runs.reader import CorpusView, Run
from ..textio import atomic_write_text
from .leaderboard import system_rows

ASSETS = Path(__file__).parent / "assets"


def _round(value: float | None) -> float | None:
    """Two decimals for the page; None for missing and non-finite scores (JSON has no NaN/inf)."""
    return None if value is None or not math.isfinite(value) else round(value, 2)


class _Strings:
    """A string table: texts shared by corpora or systems (same sources, identical hypotheses) are stored once."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.items: list[str] = []

    def __call__(self, text: str) -> int:
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = len(self.items)
            self.items.append(text)
        return i


def _corpus_data(view: CorpusView, src_lang: str | None, tgt_lang: str | None, text: _Strings) -> dict[str, Any]:
    """One corpus for the page script; `src`, `refs`, `hyps` and flag messages are indices into the string table.

    A flag is `[system index, segment, start, end, major (1|0), kind index, message, confidence]`, the most
    confident first."""
    flags = sorted(view.all_flags(), key=lambda sf: -(sf[1].confidence or 0.0))
    kinds = sorted({f.kind for _, f in flags})
    return {
        "name": view.name,
        "src_lang": src_lang,
        "tgt_lang": tgt_lang,
        "systems": view.systems,
        "metrics": [{"name": m, "higher": view.higher_is_better[m]} for m in view.metrics],
        "ids": view.ids,
        "docs": view.documents if any(view.documents) else None,
        "src": [text(s) for s in view.sources],
        "refs": [[text(r) for r in refs] for refs in view.references],
        "hyps": {s: [text(h.strip()) for h in view.hypotheses[s]] for s in view.systems},
        "scores": {s: {m: [_round(v) for v in view.sentence[s][m]] for m in view.metrics} for s in view.systems},
        "kinds": kinds,
        "flags": [[view.systems.index(system), f.segment, f.start, f.end, int(f.severity == "major"),
                   kinds.index(f.kind), text(f.message), round(f.confidence or 0.0, 2)] for system, f in flags],
    }


def embed_json(data: Any) -> str:
    """JSON safe inside a `<script>` element: no `</script>`, `<!--` or `]]>` can appear in it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def _leaderboard(view: CorpusView) -> list[dict[str, Any]]:
    """Rows for the template: best first on the first metric, each metric cell with score, CI, p and cluster."""
    rows = []
    for row in system_rows(view.scores):
        cells = []
        for metric in view.metrics:
            info = view.scores[row["system"]].get(metric, {})
            cells.append({"score": info.get("score"), "ci": info.get("ci"), "p": info.get("p_value"),
                          "cluster": info.get("cluster")})
        flags = [f for by_seg in view.flags.get(row["system"], {}).values() for f in by_seg]
        major = sum(f.severity == "major" for f in flags)
        rows.append({"system": row["system"], "cells": cells, "major": major, "minor": len(flags) - major})
    return rows


def _signatures(view: CorpusView) -> dict[str, str]:
    sigs: dict[str, str] = {}
    for by_metric in view.scores.values():
        for metric, info in by_metric.items():
            if info.get("signature"):
                sigs.setdefault(metric, info["signature"])
    return sigs


def _img(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def render_report(run: Run, title: str | None = None) -> str:
    """The whole report page as a string."""
    import jinja2

    from .plots import score_bars, score_spread

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ASSETS), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    script = (ASSETS / "report.js").read_text(encoding="utf-8")
    langs = run.manifest.get("corpora", {})
    corpora = []
    strings = _Strings()
    for view in run.corpora.values():
        lang = langs.get(view.name, {})
        rows = _leaderboard(view)
        corpora.append({
            "name": view.name,
            "segments": len(view),
            "metrics": [{"name": m, "higher": view.higher_is_better[m]} for m in view.metrics],
            "rows": rows,
            "has_ci": any(c["ci"] for r in rows for c in r["cells"]),
            "has_cluster": any(c["cluster"] is not None for r in rows for c in r["cells"]),
            "signatures": _signatures(view),
            "bars": _img(score_bars(view)) if view.metrics else None,
            "spread": _img(score_spread(view)) if view.metrics and len(view) else None,
            "data": _corpus_data(view, lang.get("src_lang"), lang.get("tgt_lang"), strings),
        })
    data = {"corpora": [c.pop("data") for c in corpora], "text": strings.items, "has_flags": run.has_flags}
    script_hash = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return env.get_template("report.html.j2").render(
        title=title or f"mteval report: {run.manifest.get('mteval_run') or run.root.name}",
        run=run, corpora=corpora, has_flags=run.has_flags,
        css=(ASSETS / "report.css").read_text(encoding="utf-8"),
        data_json=embed_json(data), script=script, script_hash=script_hash,
        packages=run.manifest.get("packages", {}), finished=run.manifest.get("finished"),
    )


def write_report(run_dir: str | Path, output: str | Path | None = None,
                 manifest: dict[str, Any] | None = None) -> Path:
    """Render `run_dir`'s report to `output` (default `run_dir/report.html`), written atomically; `manifest`
    replaces manifest.json (the pipeline passes the one it is building)."""
    run = Run.open(run_dir)
    if manifest is not None:
        run.manifest = manifest
    path = Path(output) if output else run.root / "report.html"
    atomic_write_text(path, render_report(run))
    return path
