"""The docs stay true: every `>>>` example in README.md and docs/*.md runs, and the config reference is current."""

from __future__ import annotations

import doctest

import pytest

from eval.configref import config_reference

from .conftest import ROOT

DOC_FILES = sorted(p for p in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")] if ">>> " in p.read_text())


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.name)
def test_doc_examples_run(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testfile(str(path), module_relative=False, optionflags=flags)
    assert result.attempted > 0 and result.failed == 0


def test_config_reference_is_generated_from_the_schema():
    current = (ROOT / "docs" / "config-reference.md").read_text(encoding="utf-8")
    assert current == config_reference(), "stale: run python -m eval.configref > docs/config-reference.md"
