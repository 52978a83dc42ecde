"""The two scale-out routes, measured: `--shard I/N` jobs merged with `mteval cache merge`, and the `openai` backend
against a local OpenAI-compatible stand-in (requests in flight, retries).

    .venv/bin/python benchmarks/bench_scaleout.py [--parts openai,shards] [--n 64] [--latency 0.2]

openai  the tests' threaded HTTP stand-in (tests/openai_standin.py) on 127.0.0.1 answering /v1/chat/completions
        after `--latency` seconds, counting the requests in flight; `--n` FLORES zh sentences at several
        `concurrency` values (batch_size 64), then with 25% of first attempts answered 503 (backoff 0.05 s), then
        with a server that always answers 503.
shards  the tiny trained Llama (tests/tiny_families.py) through hf-causal on `--n` FLORES sentences: one plain
        run, vs two `--shard I/2` processes started together (own caches) + `mteval cache merge` + the final run
        (which must translate nothing and write the same hypotheses).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import load_report

from tests.openai_standin import StandIn

FLORES = ROOT.parent / "shared" / "data" / "testsets-zhen" / "flores200-devtest"
MTEVAL = [sys.executable, "-m", "mteval"]


def openai_backend(url: str, **spec: Any):
    from mteval.config.load import SYSTEM_OPTIONS
    from mteval.config.schema import Located, validate
    from mteval.systems.openai_compat import OpenAIBackend

    values = validate({"name": "served", "backend": "openai", "base_url": url, "model": "stand-in",
                       "prompt": {"examples": []}, **spec}, SYSTEM_OPTIONS + OpenAIBackend.options,
                      Located("bench"), ())
    return OpenAIBackend(values)


def flores(n: int) -> list[str]:
    return (FLORES / "zho_Hans.devtest").read_text(encoding="utf-8").splitlines()[:n]


def bench_openai(n: int, latency: float) -> None:
    from mteval.corpus.base import Corpus
    from mteval.errors import BackendError

    sources = flores(n)
    corpus = Corpus("flores", "zh", "en", sources, [])
    stand_in = StandIn(latency)
    for concurrency in (1, 8, 32, 64):
        stand_in.reset()
        started = time.perf_counter()
        out = openai_backend(stand_in.url, concurrency=concurrency).translate(corpus)
        elapsed = time.perf_counter() - started
        assert out == [f"EN({s})" for s in sources]
        print(json.dumps({"part": "openai", "segments": n, "latency_s": latency, "concurrency": concurrency,
                          "batch_size": 64, "max_in_flight": stand_in.max_in_flight, "wall_s": round(elapsed, 2),
                          "segments_per_s": round(n / elapsed, 1), "ideal_per_s": round(
                              min(concurrency, 64) / latency, 1)}), flush=True)
    stand_in.reset()
    stand_in.fail_every = 4
    started = time.perf_counter()
    out = openai_backend(stand_in.url, concurrency=8, backoff=0.05).translate(corpus)
    assert out == [f"EN({s})" for s in sources]
    print(json.dumps({"part": "openai-retry", "segments": n, "concurrency": 8, "first_attempts_503": stand_in.failures,
                      "requests": len(stand_in.requests), "wall_s": round(time.perf_counter() - started, 2)}),
          flush=True)
    stand_in.reset()
    stand_in.fail_every, stand_in.always_fail = 0, True
    started = time.perf_counter()
    try:
        openai_backend(stand_in.url, concurrency=1, backoff=0.05, max_retries=3).translate(
            Corpus("one", "zh", "en", sources[:1], []))
    except BackendError as exc:
        print(json.dumps({"part": "openai-give-up", "max_retries": 3, "requests": len(stand_in.requests),
                          "wall_s": round(time.perf_counter() - started, 2), "error": str(exc)}), flush=True)
    stand_in.close()


def mteval(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run([*MTEVAL, *args], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return time.perf_counter() - started, proc.stderr


def bench_shards(n: int) -> None:
    from tests.tiny_families import EXAMPLES, save_family

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = save_family("llama", tmp / "llama")
        (tmp / "src.zh").write_text("\n".join(flores(n)) + "\n", encoding="utf-8")
        config = tmp / "c.yaml"
        config.write_text(json.dumps({
            "name": "shards", "corpora": [{"name": "flores", "source": str(tmp / "src.zh"), "src_lang": "zh",
                                           "tgt_lang": "en"}],
            "systems": [{"name": "tiny", "backend": "hf-causal", "model": str(model), "device": "cpu", "threads": 1,
                         "prompt": {"examples": EXAMPLES}, "generation": {"max_new_tokens": 16}}],
            "metrics": [], "report": False}), encoding="utf-8")
        plain, _ = mteval("run", str(config), "--set", f"output={tmp / 'plain'}", "--set",
                          f"cache={tmp / 'plain.sqlite'}")
        started = time.perf_counter()
        jobs = [subprocess.Popen([*MTEVAL, "run", str(config), "--shard", f"{i}/2", "--set",
                                  f"cache={tmp / f'c{i}.sqlite'}"], cwd=ROOT, stderr=subprocess.DEVNULL,
                                 env={**os.environ, "HF_HUB_OFFLINE": "1"}) for i in range(2)]
        assert all(job.wait() == 0 for job in jobs)
        shards = time.perf_counter() - started
        merge, _ = mteval("cache", "merge", str(tmp / "merged.sqlite"), str(tmp / "c0.sqlite"), str(tmp / "c1.sqlite"))
        final, _ = mteval("run", str(config), "--set", f"output={tmp / 'final'}", "--set",
                          f"cache={tmp / 'merged.sqlite'}")
        manifest = json.loads((tmp / "final" / "manifest.json").read_text())
        stats = manifest["translation_cache"]["systems"]["tiny"]["flores"]
        same = (tmp / "final" / "hypotheses" / "flores" / "tiny.txt").read_text() == \
            (tmp / "plain" / "hypotheses" / "flores" / "tiny.txt").read_text()
        print(json.dumps({"part": "shards", "segments": n, "plain_run_s": round(plain, 1),
                          "two_shards_together_s": round(shards, 1), "merge_s": round(merge, 2),
                          "final_run_s": round(final, 1), "final_translated": stats["translated"],
                          "final_cached": stats["cached"], "hypotheses_identical": same}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="openai,shards")
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    if "openai" in args.parts:
        with load_report("openai", cores=2):
            bench_openai(args.n, args.latency)
    if "shards" in args.parts:
        with load_report("shards", cores=2):
            bench_shards(args.n)


if __name__ == "__main__":
    main()
