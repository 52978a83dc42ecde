"""COMET inference speed and memory: mteval's `comet` metric vs unbabel-comet 2.2.7 (`load_from_checkpoint` +
`predict`), on the same random XLM-R-base-size regression checkpoint, CPU, same batch size.

    .venv/bin/python benchmarks/bench_comet.py [--n 256] [--batch-size 16] [--runs 3] [--comet-venv /work/comet-venv]

The official side runs in its own virtualenv (unbabel-comet pins numpy<2 and transformers<5):
`python3 -m venv /work/comet-venv && /work/comet-venv/bin/pip install torch==2.13.0 unbabel-comet==2.2.7
"setuptools<70"` (torchmetrics 0.10, pinned by COMET, imports pkg_resources).
The checkpoint (XLM-R base: 12 layers, hidden 768, 12 heads, FFN 3072, 514 positions; estimator 3072-1024 as
wmt22-comet-da; the tiny tokenizer of tests/golden/comet, so the vocabulary and its embedding are small) is built
by the official code into a temporary folder. Each side runs in a fresh process, alternating, and reports the
wall time of scoring (model loading excluded), its peak resident memory (whole process, after loading) and the
scores; the script checks that both sides' scores agree to 1e-4 and prints the ratio. Segments: `--n` random
sentences of 5-20 words drawn (seeded) from the golden text.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "comet"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import load_report, spread


def segments(n: int) -> tuple[list[str], list[str], list[str]]:
    sys.path.insert(0, str(GOLDEN))
    from build import TEXT

    words = " ".join(TEXT).split()
    rng = random.Random(12345)

    def sentence() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(5, 20)))

    return [sentence() for _ in range(n)], [sentence() for _ in range(n)], [sentence() for _ in range(n)]


def build(out: Path) -> None:
    """(official venv) A random XLM-R-base regression checkpoint in the official layout."""
    import pytorch_lightning as pl
    import torch
    import yaml
    from comet.models import RegressionMetric
    from transformers import XLMRobertaConfig

    enc = out / "encoder"
    enc.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        (enc / name).write_bytes((GOLDEN / "encoder-xlmr" / name).read_bytes())
    vocab = json.loads((GOLDEN / "encoder-xlmr" / "config.json").read_text())["vocab_size"]
    XLMRobertaConfig(vocab_size=vocab, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                     intermediate_size=3072, max_position_embeddings=514, pad_token_id=1, bos_token_id=0,
                     eos_token_id=2, type_vocab_size=1).save_pretrained(enc)
    torch.manual_seed(0)
    model = RegressionMetric(pretrained_model=str(enc), load_pretrained_weights=False, layer_transformation="sparsemax",
                             layer_norm=False, hidden_sizes=[3072, 1024])
    with torch.no_grad():
        for p in model.layerwise_attention.scalar_parameters:
            p.copy_(torch.randn(1))
    (out / "checkpoints").mkdir(exist_ok=True)
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False)
    trainer.strategy.connect(model)
    trainer.save_checkpoint(out / "checkpoints" / "model.ckpt")
    (out / "hparams.yaml").write_text(yaml.safe_dump(dict(model.hparams)))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def official(model: Path, n: int, batch_size: int) -> dict:
    from comet import load_from_checkpoint

    src, mt, ref = segments(n)
    m = load_from_checkpoint(str(model / "checkpoints" / "model.ckpt"))
    loaded = peak_mb()
    data = [{"src": s, "mt": h, "ref": r} for s, h, r in zip(src, mt, ref)]
    started = time.perf_counter()
    out = m.predict(data, batch_size=batch_size, gpus=0, progress_bar=False, num_workers=0)
    return {"seconds": time.perf_counter() - started, "peak_mb": peak_mb(), "loaded_mb": loaded,
            "scores": list(map(float, out.scores))}


def ours(model: Path, n: int, batch_size: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from mteval.metrics import make_metrics
    from mteval.metrics.comet import _load

    src, mt, ref = segments(n)
    m = make_metrics([{"name": "comet", "model": str(model), "encoder": str(model / "encoder"),
                       "batch_size": batch_size, "device": "cpu"}], "en")[0]
    cp = m.checkpoint()
    _load(cp.ckpt, cp.hparams_file, cp.encoder_dir, "cpu")  # loading is not timed
    loaded = peak_mb()
    started = time.perf_counter()
    out = m.outputs(mt, ref, src)
    return {"seconds": time.perf_counter() - started, "peak_mb": peak_mb(), "loaded_mb": loaded,
            "scores": [o["score"] for o in out]}


def run_side(python: str, side: str, model: Path, args: argparse.Namespace) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([python, __file__, "--side", side, "--model", str(model), "--n", str(args.n),
                           "--batch-size", str(args.batch_size)], capture_output=True, text=True, env=env, check=False)
    if proc.returncode:
        raise SystemExit(f"{side} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--comet-venv", default="/work/comet-venv")
    p.add_argument("--side", choices=("build", "official", "ours"))
    p.add_argument("--model")
    args = p.parse_args()
    if args.side == "build":
        build(Path(args.model))
        return 0
    if args.side:
        fn = official if args.side == "official" else ours
        print(json.dumps(fn(Path(args.model), args.n, args.batch_size)))
        return 0
    comet_python = str(Path(args.comet_venv) / "bin" / "python")
    with load_report("comet", cores=2), tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "xlmr-base-comet"
        subprocess.run([comet_python, __file__, "--side", "build", "--model", str(model)], check=True,
                       capture_output=True)
        size = (model / "checkpoints" / "model.ckpt").stat().st_size / 2**20
        results: dict[str, list[dict]] = {"official": [], "ours": []}
        for _ in range(args.runs):
            results["official"].append(run_side(comet_python, "official", model, args))
            results["ours"].append(run_side(sys.executable, "ours", model, args))
    diff = max(abs(a - b) for a, b in zip(results["official"][0]["scores"], results["ours"][0]["scores"]))
    print(f"checkpoint {size:.0f} MiB, {args.n} segments, batch size {args.batch_size}, CPU, "
          f"torch threads: default; max |score difference| {diff:.2e}")
    for side, runs in results.items():
        secs = [r["seconds"] for r in runs]
        print(f"{side:9s} scoring {spread(secs)} s; "
              f"{args.n / statistics.median(secs):6.1f} seg/s; peak RSS {max(r['peak_mb'] for r in runs):.0f} MiB "
              f"(after loading {max(r['loaded_mb'] for r in runs):.0f} MiB)")
    ratio = statistics.median(r["seconds"] for r in results["official"]) / \
        statistics.median(r["seconds"] for r in results["ours"])
    print(f"speed-up (official / ours, median): {ratio:.2f}x")
    return 0 if diff < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
