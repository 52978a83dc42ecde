"""Benchmark: the HTML report of WMT22 zh→en (12 systems × 1875 segments, BLEU + chrF) in headless Chromium.

Builds the run folder (file systems), times `write_report`, reports the file size against the raw text it
carries, then opens it in Chromium and measures load and filter times against the baseline: a naive static page
with every segment of every system in the DOM (what a report without pagination would be).

    .venv/bin/python benchmarks/report_wmt22.py [--shared ../shared/data] [--flags]
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _load import load_report
from mteval.cli import main as mteval
from mteval.report.html import write_report

from tests.test_report_browser import WMT22_SYSTEMS, Page  # the DevTools client of the tests

LOADED = "performance.getEntriesByType('navigation')[0].loadEventEnd"


def build_run(shared: Path, tmp: Path, flags: bool) -> Path:
    data = shared / "wmt22-general-zhen"
    config = {
        "name": "wmt22-report", "output": str(tmp / "run"), "metrics": ["bleu", "chrf"], "report": False,
        "corpora": [{"name": "wmt22-zhen", "type": "files",
                     "source": str(data / "sources/generaltest2022.zh-en.src.zh"),
                     "references": [str(data / "references/generaltest2022.zh-en.ref.A.en")]}],
        "systems": [{"name": s, "backend": "file",
                     "path": str(data / f"system-outputs/generaltest2022.zh-en.hyp.{s}.en")} for s in WMT22_SYSTEMS],
    }
    (tmp / "wmt22.yaml").write_text(json.dumps(config))
    assert mteval(["run", str(tmp / "wmt22.yaml"), "--stages", "translate,score,flag" if flags else "translate,score"]) == 0
    return tmp / "run"


def naive_page(run: Path, path: Path) -> int:
    """Every segment × system as table rows (escaped), no script: the baseline. Returns the raw text bytes."""
    rows, raw = [], 0
    for line in (run / "segments.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        raw += len(r["hypothesis"].encode())
        first = r["system"] == WMT22_SYSTEMS[0]  # source and reference once per segment, as in the report
        src, ref = (html.escape(r["source"]), html.escape(r["references"][0])) if first else ("", "")
        raw += len(r["source"].encode()) + len(r["references"][0].encode()) if first else 0
        rows.append(f"<tr><td>{r['segment']}</td><td>{html.escape(r['system'])}</td><td>{src}</td><td>{ref}</td>"
                    f"<td>{html.escape(r['hypothesis'])}</td><td>{r['scores']['chrf']:.1f}</td></tr>")
    path.write_text("<!DOCTYPE html><meta charset=utf-8><table>" + "".join(rows) + "</table>", encoding="utf-8")
    return raw


def open_ms(page: Page, url: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        page.goto("about:blank")
        page.goto(url)
        times.append(page.js(LOADED))
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--flags", action="store_true", help="also run the flag stage (slow) and time flag filters")
    args = parser.parse_args()
    with load_report("report", cores=2), tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        run = build_run(args.shared, tmp, args.flags)
        build = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            report = write_report(run)
            build.append(time.perf_counter() - t)
        baseline = tmp / "naive.html"
        raw = naive_page(run, baseline)
        size, naive_size = report.stat().st_size, baseline.stat().st_size
        n_flags = len((run / "flags.jsonl").read_text().splitlines()) if (run / "flags.jsonl").is_file() else 0
        page = Page(tmp / "profile")
        try:
            ours = open_ms(page, report.as_uri(), args.repeat)
            script = float(page.js("document.body.dataset.loadMs"))
            naive = open_ms(page, baseline.as_uri(), args.repeat)
            page.goto(report.as_uri())
            filters = []
            for value in ("20", "40", "", "30"):
                filters.append(page.js(
                    "(() => { const t = performance.now(), e = document.getElementById('f-max'); "
                    f"e.value = {json.dumps(value)}; e.dispatchEvent(new Event('change', {{bubbles: true}})); "
                    "return performance.now() - t; })()"))
            kinds = page.js("Array.from(document.querySelectorAll('#f-kind option')).map(o => o.value)")
            flag_filters = [page.js(
                "(() => { const t = performance.now(), e = document.getElementById('f-kind'); "
                f"e.value = {json.dumps(kind)}; e.dispatchEvent(new Event('change', {{bubbles: true}})); "
                "return performance.now() - t; })()") for kind in kinds[1:]]
        finally:
            page.close()
    print(f"report build (write_report, best of {args.repeat}): {min(build):.2f} s")
    print(f"report.html: {size / 1e6:.2f} MB; raw text it carries (source, ref A, 12 hypotheses): {raw / 1e6:.2f} MB "
          f"(ratio {size / raw:.2f}); naive all-rows page: {naive_size / 1e6:.2f} MB")
    print(f"open in Chromium (loadEventEnd, best of {args.repeat}): report {ours:.0f} ms (page script {script:.0f} ms)"
          f" vs naive all-rows page {naive:.0f} ms: ratio {naive / ours:.1f}x")
    print(f"filter (chrF ≤ X over 12 systems × 1875 segments, re-render a page): "
          f"max {max(filters):.0f} ms, mean {sum(filters) / len(filters):.0f} ms")
    if flag_filters:
        print(f"{n_flags} flags; filter by flag kind ({len(flag_filters)} kinds, re-render segments and flag list): "
              f"max {max(flag_filters):.0f} ms, mean {sum(flag_filters) / len(flag_filters):.0f} ms")


if __name__ == "__main__":
    main()
