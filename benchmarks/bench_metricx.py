"""MetricX-24 inference speed and memory: our `metricx` vs google-research/metricx's `metricx24.predict`, on a
random checkpoint of a real MetricX size (architecture from tests/tiny_metricx.py, seeded weights), CPU, same run.

    .venv/bin/python benchmarks/bench_metricx.py --metricx-src /work/metricx-src \
        --official-python /work/metricx-venv/bin/python [--size base|large] [--n 32] [--repeats 2]

(set up the official side as in tests/golden/make_metricx_golden.py). Segments: the first N of WMT22 zh→en
(source, the first system's output as the hypothesis, reference A) from ../shared/data. Each side runs in its own
subprocess, end to end (start, load the model, tokenise, score), and reports its peak RSS. The official code works
only with batch size 1 (its Trainer stacks unpadded inputs); we run batch 1 too, and our default batch of 8.
The tokenizer is the tiny one of the tests, so inputs are ~1.5-2x longer in tokens than with mT5's vocabulary.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import load_report, spread

WMT22 = ROOT.parent / "shared" / "data" / "wmt22-general-zhen"
SIZES = {  # mT5 base and large dimensions (MetricX-24-hybrid-large is mT5-large)
    "base": {"d_model": 768, "d_kv": 64, "d_ff": 2048, "num_layers": 12, "num_decoder_layers": 12, "num_heads": 12},
    "large": {"d_model": 1024, "d_kv": 64, "d_ff": 2816, "num_layers": 24, "num_decoder_layers": 24, "num_heads": 16},
}

OURS = """
import json, resource, sys, time
from mteval.metrics import METRICS
model, tok, data, batch = sys.argv[1:5]
rows = [json.loads(line) for line in open(data, encoding="utf-8")]
metric = METRICS.get("metricx")("en", model=model, tokenizer=tok, batch_size=int(batch), device="cpu")
scores = metric.segment_scores([r["hypothesis"] for r in rows], [[r["reference"] for r in rows]],
                               [r["source"] for r in rows])
print(json.dumps({"scores": scores, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
OFFICIAL = """
import json, resource, runpy, sys
sys.argv = ["predict"] + sys.argv[1:]
runpy.run_module("metricx24.predict", run_name="__main__")
print(json.dumps({"maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def segments(n: int) -> list[dict[str, str]]:
    src = (WMT22 / "sources" / "generaltest2022.zh-en.src.zh").read_text(encoding="utf-8").splitlines()
    ref = (WMT22 / "references" / "generaltest2022.zh-en.ref.A.en").read_text(encoding="utf-8").splitlines()
    system = min((WMT22 / "system-outputs").iterdir())
    hyp = system.read_text(encoding="utf-8").splitlines()
    return [{"source": s, "hypothesis": h, "reference": r} for s, h, r in list(zip(src, hyp, ref, strict=True))[:n]]


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, dict]:
    started = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"})
    return time.perf_counter() - started, json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--metricx-src", type=Path, required=True)
    ap.add_argument("--official-python", required=True)
    ap.add_argument("--size", choices=sorted(SIZES), default="base")
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    from tests.tiny_metricx import CONFIG, save_tiny_metricx

    rows = segments(args.n)
    with load_report("metricx", cores=2), tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model, tok = save_tiny_metricx(work / "ckpt", CONFIG | SIZES[args.size])
        size_gb = (model / "model.safetensors").stat().st_size / 1e9
        data = work / "input.jsonl"
        data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"random mT5-{args.size} MetricX checkpoint: {size_gb:.2f} GB float32; {len(rows)} WMT22 zh-en segments")
        times: dict[str, list[float]] = {"official b1": [], "ours b1": [], "ours b8": []}
        rss: dict[str, float] = {}
        results: dict[str, list[float]] = {}
        for _ in range(args.repeats):  # alternate the sides so that load changes hit both
            out = work / "official.jsonl"
            t, info = run([args.official_python, "-c", OFFICIAL, "--tokenizer", str(tok), "--model_name_or_path",
                           str(model), "--max_input_length", "1536", "--batch_size", "1", "--input_file", str(data),
                           "--output_file", str(out)], cwd=args.metricx_src)
            times["official b1"].append(t)
            rss["official b1"] = info["maxrss_mb"]
            results["official b1"] = [json.loads(line)["prediction"] for line in out.read_text().splitlines()]
            for batch in (1, 8):
                t, info = run([sys.executable, "-c", OURS, str(model), str(tok), str(data), str(batch)])
                times[f"ours b{batch}"].append(t)
                rss[f"ours b{batch}"] = info["maxrss_mb"]
                results[f"ours b{batch}"] = info["scores"]
    base = statistics.median(times["official b1"])
    print(f"{'side':<12} {'seconds: median (range, n)':>28} {'seg/s':>7} {'peak RSS MB':>12} {'vs official':>12}")
    for side, ts in times.items():
        med = statistics.median(ts)
        print(f"{side:<12} {spread(ts, 1):>28} {len(rows) / med:7.2f} {rss[side]:12.0f} {base / med:11.2f}x")
    for side in ("ours b1", "ours b8"):
        diff = max(abs(a - b) for a, b in zip(results[side], results["official b1"], strict=True))
        print(f"max |{side} - official| = {diff:.2e}")


if __name__ == "__main__":
    main()
