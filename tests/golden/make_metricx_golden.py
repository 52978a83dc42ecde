"""Golden MetricX-24 scores for the tiny checkpoint of tests/tiny_metricx.py, from google-research/metricx itself.

Run with the project's venv; the official code runs in a separate virtualenv (its own pins), e.g.:

    git clone https://github.com/google-research/metricx /work/metricx-src  # ran at fc4978e
    python3 -m venv /work/metricx-venv && /work/metricx-venv/bin/pip install torch==2.13.0 \
        'transformers[torch]==4.30.2' sentencepiece==0.1.99 datasets==2.13.1 'numpy<2' 'protobuf<4' \
        'pyarrow<15' 'fsspec[http]==2023.6.0'  # MetricX's requirements.txt; the last four keep datasets 2.13 working
    .venv/bin/python tests/golden/make_metricx_golden.py --metricx-src /work/metricx-src \
        --python /work/metricx-venv/bin/python

It builds the checkpoint, checks that the official `MT5ForRegression.from_pretrained` loads every weight from the
file, runs `python -m metricx24.predict` (reference-based and `--qe`, batch size 1 as the README says), records
the official tokenisation of tricky strings and writes tests/golden/metricx24_tiny.json. The official code is only run, never copied into this repository.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from tests.tiny_metricx import save_tiny_metricx

MAX_INPUT_LENGTH = 96  # small, so that the long example below is truncated
EXAMPLES = [
    {"source": "俄美总统通电话讨论两国关系。", "hypothesis": "The two presidents discussed relations by telephone.",
     "reference": "The Russian and US presidents discussed bilateral relations by telephone."},
    {"source": "今天天气很好。", "hypothesis": "The weather is nice today.", "reference": "The weather is nice today."},
    {"source": "新华社北京十二月一日电。", "hypothesis": "", "reference": "Xinhua news agency, Beijing, December 1."},
    {"source": "双方讨论了国际热点问题。", "hypothesis": "Both sides exchanged views on regional issues.",
     "reference": "Both sides discussed international hot issues."},
    {"source": "", "hypothesis": "Le temps est beau aujourd'hui.", "reference": "Die beiden Präsidenten sprachen."},
    {"source": "今天天气很好，我们去公园散步。" * 3,
     "hypothesis": "Today the weather is nice, we go for a walk in the park. " * 3,
     "reference": "The weather is fine today and we are taking a walk in the park. " * 3},
    {"source": "Xinhua news agency reported on Tuesday.", "hypothesis": "新华社周二报道。",
     "reference": "新华社星期二报道。"},
    {"source": "  spaces   inside  ", "hypothesis": "ｆｕｌｌ　ｗｉｄｔｈ ½ ﬁ", "reference": "tabs\tand\nnewline"},
    {"source": "新华社。", "hypothesis": "Xinhua. ", "reference": "Xinhua\u00a0news\u2028agency.\u3000"},
    {"source": "今天天气很好。", "hypothesis": "The weather\u2029is\u0085nice. \n", "reference": " "},
]
TOKEN_CHARS = list("ab c.,:") + [
    "新", "华", " ", "  ", "\t", "\n", "\r", "\u00a0", "\u3000", "\u2028", "\u2029", "\u0085", "\u1680", "\u2000",
    "\u200b", "\u200d", "\ufeff", "\u0301", "ﬁ", "½", "Ａ", "😀", "\x00", "\x1f", "▁", "▁▁", "</s>", "<pad>", "<unk>",
    "e\u0301", "ǅ", "İ", "ß", "\u00ad", "source: ", " candidate: ", " reference: "]


def token_strings() -> list[str]:
    """Seeded random strings of whitespace variants, specials and normalisation cases (some longer than the
    maximum input length), to compare tokenisation with the official environment's."""
    rng = random.Random(16)
    short = ["".join(rng.choice(TOKEN_CHARS) for _ in range(rng.randint(0, 12))) for _ in range(400)]
    long = ["".join(rng.choice(TOKEN_CHARS) for _ in range(rng.randint(40, 120))) for _ in range(40)]
    return short + long


CHECK_LOAD = """
import sys, torch
from safetensors.torch import load_file
from metricx24 import models
model = models.MT5ForRegression.from_pretrained(sys.argv[1], torch_dtype="auto")
stored = load_file(sys.argv[1] + "/model.safetensors")
state = model.state_dict()
assert set(stored) <= set(state), set(stored) - set(state)
for name, value in state.items():
    src = stored.get(name, stored["shared.weight"] if name.endswith("embed_tokens.weight") else None)
    assert src is not None and torch.equal(value, src), name
print("official loader: all", len(state), "tensors equal to the file")
"""
TOKENIZE = """
import json, sys, transformers
tok = transformers.AutoTokenizer.from_pretrained(sys.argv[1])
strings = json.loads(open(sys.argv[2], encoding="utf-8").read())
# as metricx24/predict.py: _tokenize (truncation, no padding), then _remove_eos
print(json.dumps([tok(s, max_length=int(sys.argv[3]), truncation=True, padding=False)["input_ids"][:-1]
                  for s in strings]))
"""


VERSIONS = ("import json, torch, transformers, sentencepiece, tokenizers; print(json.dumps({m.__name__: "
            "m.__version__ for m in (torch, transformers, sentencepiece, tokenizers)}))")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def predict(python: str, src: Path, model: Path, tok: Path, work: Path, qe: bool) -> list[float]:
    inp, out = work / "input.jsonl", work / ("qe.jsonl" if qe else "ref.jsonl")
    inp.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in EXAMPLES), encoding="utf-8")
    cmd = [python, "-m", "metricx24.predict", "--tokenizer", str(tok), "--model_name_or_path", str(model),
           "--max_input_length", str(MAX_INPUT_LENGTH), "--batch_size", "1", "--input_file", str(inp),
           "--output_file", str(out)] + (["--qe"] if qe else [])
    subprocess.run(cmd, cwd=src, check=True, env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1",
                                                   "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(work / "hf")})
    return [json.loads(line)["prediction"] for line in out.read_text(encoding="utf-8").splitlines()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--metricx-src", type=Path, required=True, help="checkout of google-research/metricx")
    ap.add_argument("--python", required=True, help="python of the virtualenv with MetricX's requirements")
    ap.add_argument("--out", type=Path, default=HERE / "metricx24_tiny.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model, tok = save_tiny_metricx(work / "ckpt")
        subprocess.run([args.python, "-c", CHECK_LOAD, str(model)], cwd=args.metricx_src, check=True)
        strings = token_strings()
        (work / "strings.json").write_text(json.dumps(strings), encoding="utf-8")
        token_ids = json.loads(subprocess.run(
            [args.python, "-c", TOKENIZE, str(tok), str(work / "strings.json"), str(MAX_INPUT_LENGTH)],
            check=True, capture_output=True, text=True).stdout)
        versions = subprocess.run([args.python, "-c", VERSIONS], check=True, capture_output=True, text=True).stdout
        golden = {
            "about": "google-research/metricx metricx24.predict on the tiny checkpoint of tests/tiny_metricx.py; "
                     "regenerate with tests/golden/make_metricx_golden.py",
            "metricx_commit": subprocess.run(["git", "-C", str(args.metricx_src), "rev-parse", "HEAD"],
                                             check=False, capture_output=True, text=True).stdout.strip() or None,
            "official_versions": json.loads(versions),
            "max_input_length": MAX_INPUT_LENGTH,
            "sha256": {"model.safetensors": sha256(model / "model.safetensors"),
                       "spiece.model": sha256(tok / "spiece.model")},
            "examples": EXAMPLES,
            "tokenization": {"strings": strings, "input_ids": token_ids},
            "reference": predict(args.python, args.metricx_src, model, tok, work, qe=False),
            "qe": predict(args.python, args.metricx_src, model, tok, work, qe=True),
        }
    lines = ",\n".join(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in golden.items())
    args.out.write_text("{\n" + lines + "\n}\n", encoding="utf-8")
    print(f"wrote {args.out}: reference {golden['reference']}, qe {golden['qe']}")


if __name__ == "__main__":
    main()
