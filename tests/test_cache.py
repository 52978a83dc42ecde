"""The translation cache: hit/miss counts, invalidation, corruption, SIGKILL + resume, shards and merging."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mteval import load_config, run
from mteval.cli import main
from mteval.corpus.base import Corpus
from mteval.errors import RunError
from mteval.systems.cache import TranslationCache

from tests.tiny_models import save_tiny

from .conftest import ROOT
from .test_backends_hf import make

pytest.importorskip("transformers")

N = 160
# distinct word sequences the tiny tokenizer knows (digits would all be <unk>): every source gets its own output,
# so a hit on another segment's cache entry changes the hypotheses
WORDS = ["俄美总统", "通电话", "讨论", "两国", "关系", "双方", "国际", "热点", "问题", "新华社", "北京", "今天", "天气", "很好"]
SOURCES = ["".join(words) for words in itertools.islice(itertools.permutations(WORDS, 3), N)]


def distinct_outputs(path: Path) -> list[str]:
    """The hypotheses file of a run, asserted to hold a different output for every (distinct) source."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == N and len(set(lines)) == N == len(set(SOURCES)) and all(lines)
    return lines


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny("llama", tmp_path_factory.mktemp("tiny") / "llama")


def write_config(tmp: Path, model: Path, cache: str, batch_size: int = 1, name: str = "run") -> Path:
    (tmp / "src.zh").write_text("\n".join(SOURCES) + "\n", encoding="utf-8")
    cfg = tmp / f"{name}.yaml"
    cfg.write_text(f"""name: {name}
output: {tmp / name}
cache: {cache}
corpora: [{{name: c, source: {tmp / 'src.zh'}, src_lang: zh, tgt_lang: en}}]
systems:
  - {{name: tiny, backend: hf-causal, model: {model}, device: cpu, threads: 1, batch_size: {batch_size},
      prompt: {{examples: [], stop: ["."]}}, generation: {{max_new_tokens: 24}}}}
metrics: [chrf]
report: false
""", encoding="utf-8")
    return cfg


def test_hits_misses_and_no_model_load_when_cached(llama: Path, tmp_path: Path) -> None:
    corpus = Corpus("c", "zh", "en", SOURCES[:6] + SOURCES[:2], [])
    short_prompt = {"examples": []}  # a short prompt: the tiny model's output then depends on the source
    with TranslationCache(tmp_path / "t.sqlite") as cache:
        first = make("hf-causal", model=str(llama), prompt=short_prompt, batch_size=4, generation={"max_new_tokens": 8})
        first.cache = cache
        out1 = first.translate(corpus)
        assert len(set(out1)) == 6 and out1[6:] == out1[:2]  # one output per distinct source
        assert (cache.hits, cache.misses, first.model_loads) == (0, 8, 1)
        assert cache.count() == 6  # duplicates translated and stored once
        second = make("hf-causal", model=str(llama), prompt=short_prompt, batch_size=2, generation={"max_new_tokens": 8})
        second.cache = cache
        assert second.translate(corpus) == out1
        assert (cache.hits, cache.misses, second.model_loads) == (8, 8, 0)
        changed = make("hf-causal", model=str(llama), prompt=short_prompt, generation={"max_new_tokens": 9})
        changed.cache = cache
        changed.translate(corpus)
        assert (cache.misses, changed.model_loads) == (16, 1)  # a generation parameter invalidates
        other_pair = make("hf-causal", model=str(llama), prompt=short_prompt, generation={"max_new_tokens": 8})
        other_pair.cache = cache
        other_pair.translate(Corpus("c", "zh", "de", SOURCES[:1], []))
        assert cache.misses == 17  # languages are part of the key


def test_changing_metrics_never_retranslates(llama: Path, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, llama, str(tmp_path / "cache.sqlite"), batch_size=8)
    run(load_config(cfg), stages=["translate"])
    first = json.loads((tmp_path / "run" / "manifest.json").read_text())["translation_cache"]["systems"]["tiny"]["c"]
    assert first == {"cached": 0, "translated": N, "model_loads": 1}
    run(load_config(cfg, ["metrics=[bleu,ter]"]))
    second = json.loads((tmp_path / "run" / "manifest.json").read_text())["translation_cache"]["systems"]["tiny"]["c"]
    assert second == {"cached": N, "translated": 0, "model_loads": 0}


def test_corrupted_cache_is_reported_not_used(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(RunError, match=r"garbage.sqlite: translation cache is corrupted"):
        TranslationCache(garbage)
    assert garbage.read_bytes() == b"this is not a database" * 100  # never overwritten
    broken = tmp_path / "broken.sqlite"
    with TranslationCache(broken) as cache:
        cache.put_many("sys", "zh", "en", [(f"source {i}" * 20, f"hyp {i}" * 20) for i in range(500)])
    db = sqlite3.connect(broken)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(broken.read_bytes())
    data[4096 * 3:4096 * 3 + 200] = os.urandom(200)  # scribble over a b-tree page
    broken.write_bytes(bytes(data))
    with pytest.raises(RunError, match="translation cache is corrupted"):
        TranslationCache(broken)


@pytest.mark.slow
def test_sigkilled_run_resumes_and_matches_uninterrupted_run(llama: Path, tmp_path: Path) -> None:
    (tmp_path / "ref").mkdir()
    (tmp_path / "kill").mkdir()
    ref_cfg = write_config(tmp_path / "ref", llama, "false")
    assert main(["run", str(ref_cfg), "--stages", "translate"]) == 0
    want = (tmp_path / "ref" / "run" / "hypotheses" / "c" / "tiny.txt").read_text(encoding="utf-8")
    distinct_outputs(tmp_path / "ref" / "run" / "hypotheses" / "c" / "tiny.txt")

    cache = tmp_path / "kill" / "cache.sqlite"
    cfg = write_config(tmp_path / "kill", llama, str(cache))
    log = tmp_path / "kill" / "stderr.txt"
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "mteval", "run", str(cfg), "--stages", "translate"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=err)
    done = 0
    deadline = time.monotonic() + 120
    while done < 5 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
        if cache.exists():
            try:
                with sqlite3.connect(cache, timeout=1) as db:
                    done = db.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
            except sqlite3.OperationalError:
                done = 0
    assert proc.poll() is None, f"the run ended before it could be killed: {log.read_text()[-500:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with TranslationCache(cache) as c:  # integrity check passes after the kill
        killed_at = c.count()
    assert 5 <= killed_at < N, "the run must be killed mid-way"
    assert not (tmp_path / "kill" / "run" / "hypotheses").exists()

    assert main(["run", str(cfg), "--stages", "translate"]) == 0
    stats = json.loads((tmp_path / "kill" / "run" / "manifest.json").read_text())["translation_cache"]
    assert stats["systems"]["tiny"]["c"] == {"cached": killed_at, "translated": N - killed_at, "model_loads": 1}
    assert (tmp_path / "kill" / "run" / "hypotheses" / "c" / "tiny.txt").read_text(encoding="utf-8") == want


def test_shards_merge_into_a_full_cache(llama: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "ref").mkdir()
    ref_cfg = write_config(tmp_path / "ref", llama, "false", batch_size=8)
    run(load_config(ref_cfg), stages=["translate"])
    want = (tmp_path / "ref" / "run" / "hypotheses" / "c" / "tiny.txt").read_text(encoding="utf-8")
    distinct_outputs(tmp_path / "ref" / "run" / "hypotheses" / "c" / "tiny.txt")
    parts = []
    for i in range(3):
        (tmp_path / f"s{i}").mkdir()
        parts.append(tmp_path / f"s{i}" / "cache.sqlite")
        cfg = write_config(tmp_path / f"s{i}", llama, str(parts[-1]), batch_size=8)
        assert main(["run", str(cfg), "--shard", f"{i}/3"]) == 0
        assert not (tmp_path / f"s{i}" / "run").exists()  # a shard only fills its cache
    with TranslationCache(parts[0]) as c:
        assert c.count() == N // 3
    merged = tmp_path / "merged.sqlite"
    assert main(["cache", "merge", str(merged), *map(str, parts)]) == 0
    assert f"{merged}: {N} translations" in capsys.readouterr().out
    cfg = write_config(tmp_path, llama, str(merged), batch_size=8, name="final")
    run(load_config(cfg), stages=["translate"])
    stats = json.loads((tmp_path / "final" / "manifest.json").read_text())["translation_cache"]["systems"]
    assert stats["tiny"]["c"] == {"cached": N, "translated": 0, "model_loads": 0}
    assert (tmp_path / "final" / "hypotheses" / "c" / "tiny.txt").read_text(encoding="utf-8") == want
    assert main(["run", str(cfg), "--shard", "3/3"]) == 2
    assert "shard '3/3': expected I/N with 0 <= I < N" in capsys.readouterr().err
