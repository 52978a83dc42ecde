"""Fault injection: locked run folders, disk full / read-only output, hostile names, fuzzed configs and documents."""

from __future__ import annotations

import errno
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eval import ConfigError, MtevalError, RunError, load_config, run, textio
from eval.resegment import resegment

from .conftest import ROOT

SEED = ROOT / "configs" / "seed.yaml"


def seed_config(out, *extra: str):
    return load_config(SEED, [f"output={out}", "report=false", *extra])


@pytest.fixture
def seed_run(tmp_path, monkeypatch):
    """A finished seed run (file system only) and its folder."""
    monkeypatch.chdir(ROOT)
    config = seed_config(tmp_path / "run", "systems=[{name: xinhua-mt, backend: file, level: document, "
                         "path: corpora/xinhua-2021-04-13/seed-mt.en.txt}]")
    return config, run(config, stages=["translate", "score"])


def test_second_writer_fails_clearly_while_the_folder_is_locked(seed_run):
    _config, rundir = seed_run
    with rundir.rundir.lock():
        proc = subprocess.run(
            [sys.executable, "-m", "eval", "run", str(SEED), "--set", f"output={rundir.root}", "--stages", "score"],
            check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
    assert proc.returncode == 2
    assert re.search(r"run folder is in use by mteval pid \d+", proc.stderr)
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_failed_write_leaves_previous_results_whole(seed_run, monkeypatch, code):
    config, rundir = seed_run
    before = {p: p.read_bytes() for p in rundir.root.rglob("*") if p.is_file() and p.name != ".lock"}
    calls = []

    def failing_write(path, data):
        calls.append(path)
        if len(calls) == 3:  # fail in the middle of the score stage's outputs
            raise OSError(code, "injected fault", str(path))
        return real_write(path, data)

    real_write = textio._write_temp
    monkeypatch.setattr(textio, "_write_temp", failing_write)
    with pytest.raises(RunError, match=r"cannot write: injected fault"):
        run(config, stages=["score"])
    after = {p: p.read_bytes() for p in rundir.root.rglob("*") if p.is_file() and p.name != ".lock"}
    assert after == before  # nothing replaced, no temporary file left behind


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden", "x y", ""])
def test_names_cannot_escape_the_run_folder(tmp_path, monkeypatch, name):
    monkeypatch.chdir(ROOT)
    with pytest.raises(ConfigError, match=r"seed\.yaml.*systems\.0\.name|--set"):
        seed_config(tmp_path / "run", f"systems.0.name={name!r}")


def test_cli_error_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "eval", "run", str(SEED), "--set", f"output={out}", "--set", "metrics=[bleu, nope]"],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("mteval: error: ") and proc.stderr.count("\n") == 1
    assert "unknown metric 'nope'" in proc.stderr
    assert not out.exists()


yaml_scalars = st.one_of(st.integers(), st.booleans(), st.none(), st.text(max_size=12), st.floats(allow_nan=False))
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200))
def test_fuzzed_config_text_raises_only_config_errors(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("cfg") / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path)
    except MtevalError:
        pass


@settings(max_examples=150, deadline=None)
@given(data=st.dictionaries(st.sampled_from(["name", "corpora", "systems", "metrics", "report", "output", "x"]),
                            yaml_values, max_size=5))
def test_fuzzed_config_structure_raises_only_config_errors(tmp_path_factory, data):
    import yaml

    path = tmp_path_factory.mktemp("cfg") / "fuzz.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    try:
        load_config(path)
    except MtevalError:
        pass


words = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), max_size=40)


@settings(max_examples=200, deadline=None)
@given(hyp=st.lists(words, max_size=8), refs=st.lists(words, min_size=1, max_size=8), cjk=st.booleans())
def test_fuzzed_resegmentation_keeps_every_token_in_order(hyp, refs, cjk):
    document = "\n".join(hyp)
    pieces = resegment(document, refs, char_level=cjk)
    assert len(pieces) == len(refs)
    assert pieces == resegment(document, refs, char_level=cjk)  # deterministic
    assert "".join("".join(pieces).split()) == "".join(document.split())
    assert all("\n" not in p and p == p.strip() for p in pieces)
