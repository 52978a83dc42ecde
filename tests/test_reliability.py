"""Fault injection: locked run folders, disk full / read-only output, hostile names, fuzzed configs and documents."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mteval import ConfigError, MtevalError, RunError, flag, load_config, run, textio
from mteval.corpus.base import Corpus
from mteval.corpus.resegment import resegment
from mteval.systems.cache import TranslationCache

from .conftest import ROOT

SEED = ROOT / "configs" / "seed.yaml"
SKIP = (".lock", "manifest.json")  # the manifest records each run's progress, even a failed one's


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
            [sys.executable, "-m", "mteval", "run", str(SEED), "--set", f"output={rundir.root}", "--stages", "score"],
            check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
    assert proc.returncode == 2
    assert re.search(r"run folder is in use by mteval pid \d+", proc.stderr)
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_failed_write_leaves_previous_results_whole(seed_run, monkeypatch, code):
    config, rundir = seed_run
    before = {p: p.read_bytes() for p in rundir.root.rglob("*") if p.is_file() and p.name not in SKIP}
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
    after = {p: p.read_bytes() for p in rundir.root.rglob("*") if p.is_file() and p.name not in SKIP}
    assert after == before  # nothing replaced, no temporary file left behind
    manifest = json.loads((rundir.root / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["stages"]) == {"translate"} and "finished" not in manifest  # score not claimed


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden", "x y", ""])
def test_names_cannot_escape_the_run_folder(tmp_path, monkeypatch, name):
    monkeypatch.chdir(ROOT)
    with pytest.raises(ConfigError, match=r"seed\.yaml.*systems\.0\.name|--set"):
        seed_config(tmp_path / "run", f"systems.0.name={name!r}")


@pytest.mark.parametrize("name", ["../escape", "..", "/abs", ".hidden", "a\\b"])
def test_corpus_names_cannot_escape_the_run_folder(tmp_path, monkeypatch, name):
    monkeypatch.chdir(ROOT)
    with pytest.raises(ConfigError, match=r"corpora\.0\.name: invalid corpus name"):
        seed_config(tmp_path / "run", f"corpora.0.name={name!r}")


def test_corpus_and_config_text_is_data_never_code(tmp_path, monkeypatch):
    """Shell syntax, YAML tags and ${VAR} in corpus files reach the results verbatim; nothing is executed."""
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    lines = [f"$(touch {marker})", f"`touch {marker}`", f"!!python/object/apply:os.system ['touch {marker}']",
             "${HOME} {{ 7*7 }} <script>alert(1)</script>", "__import__('os').system('id')"]
    for name in ("src.zh", "ref.en", "hyp.en"):
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"output: {tmp_path / 'run'}\ncorpora: [{{name: c, source: src.zh, references: [ref.en]}}]\n"
                   f"systems: [{{name: s, backend: file, path: hyp.en}}]\nmetrics: [chrf]\n", encoding="utf-8")
    run(load_config(cfg))
    assert not marker.exists()
    rows = [json.loads(line) for line in (tmp_path / "run" / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["source"] for r in rows] == [r["hypothesis"] for r in rows] == lines
    html = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html


def test_cli_error_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "mteval", "run", str(SEED), "--set", f"output={out}", "--set", "metrics=[bleu, nope]"],
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


def test_stale_hypotheses_file_is_a_run_error(seed_run):
    config, rundir = seed_run
    hyp = rundir.root / "hypotheses" / "xinhua-2021-04-13" / "xinhua-mt.txt"
    hyp.write_text("one line\n", encoding="utf-8")
    with pytest.raises(RunError, match=r"xinhua-mt\.txt: 1 lines for 11 segments of corpus 'xinhua-2021-04-13'.*"
                                       r"re-run the translate stage"):
        run(config, stages=["score"])


def test_disk_full_in_translate_keeps_hypotheses_and_says_which_stages_are_current(seed_run, monkeypatch):
    config, rundir = seed_run
    root = rundir.root
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name not in (".lock", "manifest.json")}

    def full(path, data):  # the disk fills up when the first hypotheses file is written
        if path.suffix == ".txt":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write(path, data)

    real_write = textio._write_temp

    monkeypatch.setattr(textio, "_write_temp", full)
    with pytest.raises(RunError, match=r"xinhua-mt\.txt: cannot write: No space left on device"):
        run(config)
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name not in (".lock", "manifest.json")}
    assert after == before
    monkeypatch.undo()
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    # the scores on disk are from the previous run: the manifest no longer lists any stage as current
    assert "finished" not in manifest and manifest["stages"] == {}
    run(config, stages=["translate", "score"])
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["stages"]) == {"translate", "score"} and "finished" in manifest
    assert {s["config_sha256"] for s in manifest["stages"].values()} == {config.sha256()}


def test_full_cache_is_a_clear_error_and_keeps_its_entries(tmp_path):
    path = tmp_path / "cache.sqlite"
    with TranslationCache(path) as cache:
        cache.put_many("sys", "zh", "en", [(f"source {i}", f"hypothesis {i}") for i in range(50)])
        pages = cache._db.execute("PRAGMA page_count").fetchone()[0]
        cache._db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "disk full" (SQLITE_FULL)
        with pytest.raises(RunError, match=r"cache\.sqlite: cannot write the translation cache: database or disk "
                                           r"is full"):
            cache.put_many("sys", "zh", "en", [(f"long source {i}" * 50, "h" * 2000) for i in range(200)])
    with TranslationCache(path) as cache:  # integrity check passes; the failed batch left nothing behind
        assert cache.count() == 50
        assert cache.get_many("sys", "zh", "en", ["source 7", "long source 0" * 50]) == ["hypothesis 7", None]


CACHE_WORKER = """
import sys
from mteval.systems.cache import TranslationCache
me, other, path = sys.argv[1], sys.argv[2], sys.argv[3]
seen = 0
with TranslationCache(path) as cache:
    for b in range(150):
        cache.put_many("sys", "zh", "en", [(f"{me} {b} {i}", f"{me} hyp {b} {i}") for i in range(4)])
        got = cache.get_many("sys", "zh", "en", [f"{other} {b} {i}" for i in range(4)])
        assert all(h is None or h == f"{other} hyp {b} {i}" for i, h in enumerate(got)), got
        seen += sum(h is not None for h in got)
print(seen)
"""


def test_cache_is_safe_for_concurrent_processes(tmp_path):
    path = tmp_path / "cache.sqlite"
    TranslationCache(path).close()
    procs = [subprocess.Popen([sys.executable, "-c", CACHE_WORKER, me, other, str(path)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for me, other in (("a", "b"), ("b", "a"))]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    with TranslationCache(path) as cache:
        assert cache.count() == 2 * 150 * 4
        assert cache.get_many("sys", "zh", "en", ["a 149 3", "b 0 0"]) == ["a hyp 149 3", "b hyp 0 0"]


@pytest.mark.parametrize("name", ["..", ".hidden", "-rm", "a b", "x;y", "$(id)"])
def test_wmt_system_names_from_file_names_are_checked(tmp_path, name):
    root = tmp_path / "wmt"
    stem = "t.zh-en"
    for sub, files in (("sources", [f"{stem}.src.zh"]), ("references", [f"{stem}.ref.A.en"]),
                       ("system-outputs", [f"{stem}.hyp.{name}.en"])):
        (root / sub).mkdir(parents=True)
        for f in files:
            (root / sub / f).write_text("一\n", encoding="utf-8")
    cfg = tmp_path / "wmt.yaml"
    cfg.write_text(f"corpora: [{{name: wmt, type: wmt-systems, path: {root}, testset: t, pair: zh-en}}]\n"
                   f"systems: []\nmetrics: [bleu]\noutput: {tmp_path / 'out'}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"wmt\.yaml:1: corpora\.0\.path: system output .* is not a usable system "
                                          r"name"):
        load_config(cfg)
    assert not (tmp_path / "out").exists()


hostile = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(hostile, hostile, hostile, hostile), min_size=1, max_size=5),
       langs=st.sampled_from([("zh", "en"), ("en", "zh"), ("en", "de")]))
def test_fuzzed_flag_detectors_keep_offsets_inside_the_hypothesis(rows, langs):
    sources, hyps, refs, other = (list(col) for col in zip(*rows, strict=True))
    args = {"references": [refs], "others": {"o": other}, "src_lang": langs[0], "tgt_lang": langs[1]}
    flags = flag(sources, hyps, **args)
    assert flags == flag(sources, hyps, **args)  # deterministic
    for f in flags:
        hyp = hyps[f["segment"]].strip()
        assert 0 <= f["start"] <= f["end"] <= len(hyp), f
        assert f["text"] == hyp[f["start"]:f["end"]], f
        assert f["severity"] in ("major", "minor")


def test_cached_translations_are_served_only_for_the_same_model_file_prompt_and_parameters(tmp_path):
    from tests.test_backends_hf import make
    from tests.tiny_models import save_tiny

    pytest.importorskip("transformers")
    model = save_tiny("llama", tmp_path / "llama")
    corpus = Corpus("c", "zh", "en", ["今天天气很好。", "新华社北京电。"], [])
    base = {"model": str(model), "batch_size": 2, "generation": {"max_new_tokens": 4},
            "prompt": {"examples": [], "stop": ["."]}}
    with TranslationCache(tmp_path / "t.sqlite") as cache:

        def misses(**changes):
            backend = make("hf-causal", **{**base, **changes})
            backend.cache = cache
            before = cache.misses
            backend.translate(corpus)
            return cache.misses - before

        assert (misses(), misses(), misses(batch_size=1)) == (2, 0, 0)  # batch size does not change outputs
        assert misses(prompt={"examples": [], "stop": ["."], "prefix": "Translate:\n"}) == 2
        assert misses(prompt={"examples": [], "stop": ["!"]}) == 2
        assert misses(generation={"max_new_tokens": 4, "repetition_penalty": 1.1}) == 2
        # the same-size model file is replaced keeping its mtime (cp -p, rsync -t, tar x): still re-translated
        config = model / "config.json"
        text, stat = config.read_text(), config.stat()
        assert '"rms_norm_eps": 1e-06' in text
        config.write_text(text.replace('"rms_norm_eps": 1e-06', '"rms_norm_eps": 2e-06'))
        os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert config.stat().st_size == stat.st_size and config.stat().st_mtime_ns == stat.st_mtime_ns
        assert misses() == 2
        assert misses() == 0


def test_rerun_skips_only_stages_whose_inputs_are_unchanged(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    hyp = tmp_path / "seed-mt.en.txt"
    hyp.write_bytes((ROOT / "corpora/xinhua-2021-04-13/seed-mt.en.txt").read_bytes())
    glossary = tmp_path / "glossary.tsv"
    glossary.write_bytes((ROOT / "corpora/xinhua-2021-04-13/glossary.tsv").read_bytes())
    config = load_config(SEED, [f"output={tmp_path / 'run'}", f"flags.glossary={glossary}",
                                f"systems=[{{name: xinhua-mt, backend: file, level: document, path: {hyp}}}]"])

    def rerun() -> list[str]:
        logged: list[str] = []
        run(config, log=logged.append)
        return sorted(m.split(":")[0] for m in logged if m.endswith(": up to date"))

    first = run(config)
    scores = first.scores
    assert rerun() == ["flag", "report", "score"]
    glossary.write_text("战略稳定对话\tstrategic stability dialogue\n", encoding="utf-8")
    assert rerun() == ["score"]  # the flag stage reads the glossary, the report reads flags.jsonl
    (first.root / "report.html").unlink()
    assert rerun() == ["flag", "score"]
    hyp.write_text(hyp.read_text(encoding="utf-8").replace("relax. intense situation", "ease tensions"),
                   encoding="utf-8")
    assert rerun() == []
    assert run(config).scores != scores
    assert rerun() == ["flag", "report", "score"]
    logged: list[str] = []
    run(config, stages=["score"], log=logged.append)  # named stages always run
    assert not any("up to date" in m for m in logged)
