"""Third-party extensions: a plugin package installed from a temp dir adds a corpus type, a backend, a metric and
a flag detector through entry points, and a config run by the `mteval` command uses all four."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "mteval-toy-plugin"
        version = "0.1"

        [tool.setuptools]
        packages = ["mteval_toy"]

        [project.entry-points."mteval.loaders"]
        inline = "mteval_toy:Inline"

        [project.entry-points."mteval.backends"]
        shout = "mteval_toy:Shout"

        [project.entry-points."mteval.metrics"]
        length-ratio = "mteval_toy:LengthRatio"

        [project.entry-points."mteval.detectors"]
        exclaim = "mteval_toy.detectors"
    """,
    "mteval_toy/__init__.py": """
        import numpy as np

        from mteval.config.schema import Option
        from mteval.corpus import Corpus, CorpusLoader
        from mteval.metrics import Metric
        from mteval.systems import Backend


        class Inline(CorpusLoader):
            options = [Option("segments", "list", "source/reference pairs", example=[]),
                       Option("src_lang", "str", "source language", example="zh"),
                       Option("tgt_lang", "str", "target language", example="en")]

            @classmethod
            def load(cls, values):
                pairs = values["segments"]
                return Corpus(values["name"], values["src_lang"], values["tgt_lang"], [p[0] for p in pairs],
                              [[p[1] for p in pairs]], first_line=None)


        class Shout(Backend):
            def identity(self):
                return {"backend": "shout"}

            def translate(self, corpus):
                return [ref.upper() + "!" for ref in corpus.references[0]]


        class LengthRatio(Metric):
            name = "length-ratio"

            def signature(self):
                return "toy"

            def stats(self, hypotheses, references, sources=None):
                return np.array([[len(h), len(references[0][i])] for i, h in enumerate(hypotheses)], dtype=float)

            def score_from_totals(self, totals):
                return 100.0 * totals[0] / totals[1]
    """,
    "mteval_toy/detectors.py": """
        from mteval.flags import DETECTORS, Detector


        @DETECTORS.register("exclaim")
        class Exclaim(Detector):
            name = "exclaim"
            description = "exclamation marks"

            def detect(self, segment):
                i = segment.hypothesis.find("!")
                return [segment.flag(i, i + 1, "minor", "exclaim", "an exclamation mark")] if i >= 0 else []
    """,
}

CONFIG = """
output: {out}
corpora:
  - name: toy
    type: inline
    src_lang: zh
    tgt_lang: en
    segments: [[你好, Hello], [谢谢, Thanks a lot]]
systems:
  - name: loud
    backend: shout
metrics: [chrf, length-ratio]
flags: {{detectors: [exclaim, number]}}
report: false
"""


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    """The plugin built and installed (pip --target) into a folder of its own, as a user's pip would."""
    src = tmp_path_factory.mktemp("plugin-src")
    for name, text in PLUGIN.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    site = tmp_path_factory.mktemp("plugin-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    "--target", str(site), str(src)], check=True, capture_output=True, timeout=300)
    assert list(site.glob("mteval_toy_plugin-0.1.dist-info/entry_points.txt"))
    return site


def mteval(args: list[str], site: Path | None, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site) if site else ""}
    return subprocess.run([sys.executable, "-m", "mteval", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_a_plugin_package_adds_corpus_type_backend_metric_and_detector(plugin_site, tmp_path):
    config = tmp_path / "toy.yaml"
    config.write_text(CONFIG.format(out=tmp_path / "run"), encoding="utf-8")
    proc = mteval(["run", str(config)], plugin_site, tmp_path)
    assert proc.returncode == 0, proc.stderr
    scores = json.loads((tmp_path / "run" / "scores.json").read_text())["toy"]["loud"]
    # "HELLO!" / "Hello" and "THANKS A LOT!" / "Thanks a lot": 6 + 13 characters over 5 + 12
    assert scores["length-ratio"]["score"] == pytest.approx(100 * 19 / 17)
    flags = [json.loads(line) for line in (tmp_path / "run" / "flags.jsonl").read_text().splitlines()]
    assert [(f["segment"], f["start"], f["kind"], f["text"]) for f in flags] == [(0, 5, "exclaim", "!"),
                                                                                  (1, 12, "exclaim", "!")]


def test_without_the_plugin_its_names_are_unknown(tmp_path):
    config = tmp_path / "toy.yaml"
    config.write_text(CONFIG.format(out=tmp_path / "run"), encoding="utf-8")
    proc = mteval(["run", str(config)], None, tmp_path)
    assert proc.returncode == 2
    assert "corpora.0.type: unknown type 'inline' (known: " in proc.stderr
    assert not (tmp_path / "run").exists()
