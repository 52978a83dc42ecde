"""report.html in headless Chromium (DevTools protocol): leaderboard, highlighted flags, filters, links, no XSS.

Screenshots go to the test's tmp_path and, when MTEVAL_ARTIFACTS is set, are copied there.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import chdir
from pathlib import Path
from typing import Any

import pytest
from mteval.cli import main
from mteval.report.html import write_report

from .conftest import ROOT
from .test_report_html import BREAKOUT, EVIL_SYSTEM, IMG_TAG, SCRIPT_TAG, make_run
from .test_seed_run import SEED_MT_ONLY

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
WMT22_SYSTEMS = ("AISP-SJTU", "DLUT", "HuaweiTSC", "JDExploreAcademy", "Lan-Bridge", "LanguageX", "NiuTrans",
                 "Online-A", "Online-B", "Online-G", "Online-W", "Online-Y")
FRAGMENT = "relax. intense situation"


class Page:
    """One headless Chromium tab driven over the DevTools protocol (websocket-client)."""

    def __init__(self, profile: Path, width: int = 1400, height: int = 1000) -> None:
        import websocket

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={profile}", "--remote-debugging-port=0", "--remote-allow-origins=*",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start (no DevToolsActivePort)")
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            target = next(t for t in json.load(resp) if t["type"] == "page")
        self.ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.call("Page.enable")
        self.call("Network.enable")

    def _event(self, msg: dict[str, Any]) -> None:
        if msg.get("method") == "Page.javascriptDialogOpening":
            self.dialogs.append(msg["params"]["message"])
            self.ws.send(json.dumps({"id": 0, "method": "Page.handleJavaScriptDialog", "params": {"accept": True}}))
        elif msg.get("method") == "Network.requestWillBeSent":
            self.requests.append(msg["params"]["request"]["url"])

    def call(self, method: str, params: dict[str, Any] | None = None, until: str | None = None) -> dict[str, Any]:
        """Send a command; return its result (after event `until`, if given)."""
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params or {}}))
        result, seen = None, until is None
        while result is None or not seen:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                result = msg["result"]
            elif "method" in msg:
                self._event(msg)
                seen = seen or msg["method"] == until
        return result

    def goto(self, url: str) -> None:
        self.call("Page.navigate", {"url": url}, until="Page.loadEventFired")

    def js(self, expression: str) -> Any:
        res = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in res:
            raise RuntimeError(f"{expression}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def fonts(self, selector: str) -> dict[str, int]:
        """The fonts Chromium actually used for the text of the first element matching `selector`: {family: glyphs}."""
        self.call("DOM.enable")
        self.call("CSS.enable")
        root = self.call("DOM.getDocument")["root"]["nodeId"]
        node = self.call("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = self.call("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        return {f["familyName"]: f["glyphCount"] for f in fonts}

    def screenshot(self, path: Path) -> Path:
        metrics = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": metrics["width"], "height": min(metrics["height"], 6000), "scale": 1}
        data = self.call("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True})
        path.write_bytes(base64.b64decode(data["data"]))
        if os.environ.get("MTEVAL_ARTIFACTS"):
            Path(os.environ["MTEVAL_ARTIFACTS"]).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(os.environ["MTEVAL_ARTIFACTS"]) / path.name)
        return path

    def close(self) -> None:
        if getattr(self, "ws", None):
            self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def page(tmp_path) -> Iterator[Page]:
    if CHROMIUM is None:
        pytest.skip("chromium not installed (apt-get install chromium fonts-noto-cjk; CI installs it)")
    p = Page(tmp_path / "profile")
    try:
        yield p
    finally:
        p.close()


def choose(page: Page, select_id: str, value: str) -> None:
    """Set a filter control as a user would (value, then a bubbling change event)."""
    page.js(f"var e = document.getElementById({json.dumps(select_id)}); e.value = {json.dumps(value)};"
            "e.dispatchEvent(new Event('change', {bubbles: true}))")


def only_self_and_data(page: Page) -> bool:
    """Every request the page made was the report file itself or an inline data: URL (no network, no `src=x`)."""
    own = page.js("location.href").split("#")[0]
    return own in page.requests and all(url == own or url.startswith("data:") for url in page.requests)


def count(page: Page, selector: str) -> int:
    return page.js(f"document.querySelectorAll({json.dumps(selector)}).length")


def test_seed_report_in_chromium(page, tmp_path):
    out = tmp_path / "seed"
    with chdir(ROOT):
        assert main(["run", "configs/seed.yaml", "--set", f"output={out}", "--set", SEED_MT_ONLY,
                     "--stages", "translate,score"]) == 0
    hyp = json.loads((out / "segments.jsonl").read_text().splitlines()[6])["hypothesis"].strip()
    start = hyp.index(FRAGMENT)
    flags = [{"corpus": "xinhua-2021-04-13", "system": "xinhua-mt", "segment": 6, "start": start,
              "end": start + len(FRAGMENT), "severity": "major", "kind": "broken-sentence",
              "message": "sentence break inside a phrase", "text": FRAGMENT, "evidence": None, "confidence": 0.83},
             {"corpus": "xinhua-2021-04-13", "system": "xinhua-mt", "segment": 0, "start": 12, "end": 20,
              "severity": "minor", "kind": "reference", "message": "not in the reference", "text": "American",
              "confidence": 0.2}]
    (out / "flags.jsonl").write_text("".join(json.dumps(f) + "\n" for f in flags))
    page.goto(write_report(out).as_uri())
    assert page.js("document.body.dataset.ready") == "1"
    assert page.js("Array.from(document.querySelectorAll('.board-row .sys')).map(e => e.textContent)") == ["xinhua-mt"]
    assert count(page, ".seg") == 11 and count(page, "mark.flag") == 2
    assert page.js("document.querySelector('mark.flag.major').textContent") == FRAGMENT
    assert "sentence break inside a phrase" in page.js("document.querySelector('mark.flag.major').title")
    # every glyph of the Chinese source is drawn with a CJK font (no missing-glyph boxes)
    source = json.loads((out / "segments.jsonl").read_text().splitlines()[0])["source"]
    fonts = page.fonts("#seg-0 .value")
    assert sum(n for family, n in fonts.items() if "CJK" in family) == len(source), fonts
    page.screenshot(tmp_path / "report-seed.png")
    choose(page, "f-kind", "broken-sentence")
    assert count(page, ".seg") == 1 and page.js("document.querySelector('.seg').id") == "seg-6"
    assert page.js("document.getElementById('status').textContent").startswith("1 of 11 segments match")
    choose(page, "f-kind", "")
    assert count(page, ".seg") == 11
    # the flag list is most certain first; a minimum confidence filters segments, highlights and the list
    assert page.js("Array.from(document.querySelectorAll('#flag-rows tr')).map(r => r.cells[1].textContent)") == \
        ["6 (id 6)", "0 (id 0)"]
    choose(page, "f-conf", "0.5")
    assert count(page, ".seg") == 1 and page.js("document.querySelector('.seg').id") == "seg-6"
    assert count(page, "mark.flag") == 1 and count(page, "#flag-rows tr") == 1 and "conf=0.5" in page.js("location.hash")
    choose(page, "f-conf", "")
    assert count(page, ".seg") == 11 and count(page, "mark.flag") == 2
    # word diff against the reference, as in the terminal view
    page.js("document.getElementById('f-diff').click()")
    diff = page.js("Array.from(document.querySelectorAll('#seg-6 .diff > *')).map(e => [e.tagName, e.textContent])")
    assert diff[-2:] == [["DEL", "de-escalate tensions."], ["INS", "relax. intense situation."]]
    assert "diff=1" in page.js("location.hash")
    # a flag in the flag list (the most certain first) links to its segment
    page.js("document.querySelectorAll('#flag-rows a.flag-link')[0].click()")
    page.js("new Promise(r => setTimeout(r, 50))")
    assert "focus=6" in page.js("location.hash")
    assert count(page, ".seg") == 1 and count(page, ".seg.focus#seg-6") == 1
    assert only_self_and_data(page)
    # filter state comes from the URL; an unknown metric falls back to the first (BLEU), no script error
    rows = [json.loads(line) for line in (out / "segments.jsonl").read_text().splitlines()]
    expected = sum(1 for r in rows if round(r["scores"]["bleu"], 2) >= 50)
    url = page.js("location.href").split("#")[0]
    page.goto("about:blank")
    page.goto(url + "#metric=nope&min=50&sort=zzz")
    assert page.js("document.body.dataset.ready") == "1" and 0 < expected < 11
    assert page.js("document.getElementById('status').textContent").startswith(f"{expected} of 11 segments match")


def test_hostile_text_runs_nothing(page, tmp_path):
    report = write_report(make_run(tmp_path / "run"))
    page.goto(report.as_uri())
    assert page.js("document.body.dataset.ready") == "1"
    assert page.dialogs == [] and page.js("document.body.dataset.pwned") is None
    assert count(page, "img[src='x'], svg[onload], script:not([id]):not([type])") == 1  # only the page script
    texts = page.js("Array.from(document.querySelectorAll('.hyp .text')).map(e => e.textContent)")
    assert f"Presidents {SCRIPT_TAG} talked." in texts and f"Russia {IMG_TAG} relax." in texts
    assert f"Biden {BREAKOUT} said." in texts
    marks = page.js("Array.from(document.querySelectorAll('mark.flag')).map(e => [e.className, e.textContent])")
    assert sorted(marks) == sorted([["flag major", FRAGMENT], ["flag minor", "relations"],
                                    ["flag major", SCRIPT_TAG], ["flag minor", IMG_TAG]])
    names = page.js("Array.from(document.querySelectorAll('.board-row .sys')).map(e => e.textContent)")
    assert names == ["good", EVIL_SYSTEM]
    # sorting: TER is lower-is-better, its first click puts the lowest TER first
    page.js("Array.from(document.querySelectorAll('.board th')).find(t => t.textContent.startsWith('ter')).click()")
    assert page.js("document.querySelector('.board-row .sys').textContent") == "good"
    page.js("document.querySelector('.board th:nth-child(2)').click()")  # system name ascending
    assert page.js("document.querySelector('.board-row .sys').textContent") == EVIL_SYSTEM
    # system filter: untick the hostile system
    page.js("var c = document.querySelector('#f-systems input[value=\"good\"]'); c.click()")
    assert count(page, ".hyp") == 3 and page.js("document.querySelector('.hyp').dataset.system") == EVIL_SYSTEM
    page.screenshot(tmp_path / "report-hostile.png")
    assert page.dialogs == [] and page.js("document.body.dataset.pwned") is None and only_self_and_data(page)


@pytest.mark.slow
def test_wmt22_report_renders_and_filters(page, tmp_path, shared):
    data = shared / "wmt22-general-zhen"
    config = {
        "name": "wmt22-report", "output": str(tmp_path / "run"), "metrics": ["bleu", "chrf"],
        "corpora": [{"name": "wmt22-zhen", "type": "files", "source": str(data / "sources/generaltest2022.zh-en.src.zh"),
                     "references": [str(data / "references/generaltest2022.zh-en.ref.A.en")]}],
        "systems": [{"name": s, "backend": "file", "path": str(data / f"system-outputs/generaltest2022.zh-en.hyp.{s}.en")}
                    for s in WMT22_SYSTEMS],
    }
    (tmp_path / "wmt22.yaml").write_text(json.dumps(config))
    assert main(["run", str(tmp_path / "wmt22.yaml"), "--stages", "translate,score,report"]) == 0
    report = tmp_path / "run" / "report.html"
    scores = json.loads((tmp_path / "run" / "scores.json").read_text())["wmt22-zhen"]
    by_bleu = sorted(scores, key=lambda s: -scores[s]["bleu"]["score"])
    page.goto(report.as_uri())
    assert page.js("document.body.dataset.ready") == "1"
    assert page.js("Array.from(document.querySelectorAll('.board-row .sys')).map(e => e.textContent)") == by_bleu
    assert count(page, ".seg") == 20 and count(page, ".hyp") == 240
    assert page.js("document.getElementById('status').textContent").startswith("1875 of 1875 segments match")
    # score filter: segments where Online-A or Online-B has sentence chrF <= 20 (checked against segments.jsonl)
    chrf: dict[str, list[float]] = {}
    for line in (tmp_path / "run" / "segments.jsonl").read_text().splitlines():
        row = json.loads(line)
        chrf.setdefault(row["system"], []).append(round(row["scores"]["chrf"], 2))
    expected = sum(1 for a, b in zip(chrf["Online-A"], chrf["Online-B"], strict=True) if min(a, b) <= 20)
    page.js("document.querySelectorAll('#f-systems input').forEach(c => { c.checked = ['Online-A', 'Online-B']"
            ".includes(c.value); })")
    choose(page, "f-metric", "chrf")
    choose(page, "f-max", "20")
    assert page.js("document.body.dataset.matching") == str(expected) and 0 < expected < 1875
    assert count(page, ".hyp") == 2 * min(expected, 20)
    choose(page, "f-sort", "worst")
    first = int(page.js("document.querySelector('.seg').id").removeprefix("seg-"))
    assert (chrf["Online-A"][first] + chrf["Online-B"][first]) / 2 == min(
        (a + b) / 2 for a, b in zip(chrf["Online-A"], chrf["Online-B"], strict=True) if min(a, b) <= 20)
    page.screenshot(tmp_path / "report-wmt22.png")
