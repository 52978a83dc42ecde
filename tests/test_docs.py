"""The docs stay true: every `>>>` example and every `$ mteval ...` line of a ```console block in README.md and
docs/*.md runs with the output shown, and the config reference is current."""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mteval.config.reference import config_reference
from mteval.corpus.base import LOADERS
from mteval.flags import DETECTORS
from mteval.metrics import METRICS
from mteval.systems import BACKENDS

from .conftest import ROOT

MARKDOWN = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DOC_FILES = [p for p in MARKDOWN if ">>> " in p.read_text(encoding="utf-8")]
CONSOLE_RE = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def console_examples(path: Path) -> list[tuple[int, str, str]]:
    """(line, command, expected stdout) of each `$ ` line in the file's ```console blocks; the output runs to the
    next `$ ` line or the end of the block."""
    text = path.read_text(encoding="utf-8")
    examples = []
    for block in CONSOLE_RE.finditer(text):
        line = text.count("\n", 0, block.start(1)) + 1
        for chunk in re.split(r"^(?=\$ )", block.group(1), flags=re.MULTILINE):
            if chunk.startswith("$ "):
                command, _, output = chunk[2:].partition("\n")
                examples.append((line, command, output))
            line += chunk.count("\n")
    return examples


CONSOLE = [(path, *ex) for path in MARKDOWN for ex in console_examples(path)]


@pytest.fixture
def isolated_registries(monkeypatch):
    """Doc examples register their own metric, detector and backend: keep them out of the other tests."""
    for registry in (METRICS, DETECTORS, BACKENDS, LOADERS):
        monkeypatch.setattr(registry, "_items", dict(registry._items))


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.name)
def test_doc_examples_run(path, monkeypatch, isolated_registries):
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(str(path), module_relative=False, optionflags=FLAGS, encoding="utf-8")
    assert result.attempted > 0 and result.failed == 0


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder that looks like the repository (configs, corpora) but keeps `results/` out of the checkout; the
    console examples run there one after the other, as a reader would type them."""
    work = tmp_path_factory.mktemp("console")
    for name in ("configs", "corpora", "examples"):
        (work / name).symlink_to(ROOT / name)
    return work


@pytest.mark.parametrize(("path", "line", "command", "expected"), CONSOLE,
                         ids=[f"{p.name}:{line}" for p, line, _, _ in CONSOLE])
def test_console_examples_run(path, line, command, expected, workdir):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONPATH=str(ROOT), NO_COLOR="1", COLUMNS="200")
    proc = subprocess.run(["bash", "-c", command], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, f"{path.name}:{line}: {command}\n{proc.stderr}"
    checker = doctest.OutputChecker()
    assert checker.check_output(expected, proc.stdout, FLAGS), (
        f"{path.name}:{line}: {command}\nexpected:\n{expected}\ngot:\n{proc.stdout}")


def test_console_blocks_are_found():
    """The parser sees the quickstart's commands (a broken parser would silently test nothing)."""
    commands = [c for p, _, c, _ in CONSOLE if p.name == "quickstart.md"]
    assert any(c.startswith("mteval run configs/seed.yaml") for c in commands)


def test_config_reference_is_generated_from_the_schema():
    current = (ROOT / "docs" / "config-reference.md").read_text(encoding="utf-8")
    assert current == config_reference(), "stale: run python -m mteval.config.reference > docs/config-reference.md"
