"""Build tiny random COMET checkpoints in the official layout and their golden scores from unbabel-comet 2.2.7.

Run with the OFFICIAL implementation's isolated virtualenv (never our dependencies):

    python3 -m venv /work/comet-venv && /work/comet-venv/bin/pip install torch==2.13.0 unbabel-comet==2.2.7
    /work/comet-venv/bin/pip install "setuptools<70"   # torchmetrics 0.10 (pinned by COMET) imports pkg_resources
    /work/comet-venv/bin/python tests/golden/comet/build.py

It writes, next to this file: `encoder-xlmr/` and `encoder-xlmr-xl/` (tiny XLM-R / XLM-R-XL configs with a
tokenizer trained here on `TEXT`), one folder per model (`checkpoints/model.ckpt` + `hparams.yaml`, as the
Unbabel hub repositories) and `golden.json`: per model, the official `model.predict` scores (and xCOMET's error
spans) for `SEGMENTS`, and the sha256 of every file. Everything is seeded; re-running reproduces the files.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

TEXT = [
    "The two presidents discussed bilateral relations on the phone.", "The weather is nice today.",
    "Xinhua news agency reported on Tuesday that talks had resumed.", "Both sides exchanged views on regional issues.",
    "Die beiden Präsidenten sprachen über die bilateralen Beziehungen.", "Das Wetter ist heute schön.",
    "Les deux présidents ont discuté des relations bilatérales.", "Il fait beau aujourd'hui.",
    "俄美总统通电话讨论两国关系。", "双方讨论了国际热点问题。", "新华社北京电。", "今天天气很好。",
]

SEGMENTS = [  # (source, hypothesis, reference)
    ("俄美总统通电话讨论两国关系。", "The presidents of Russia and the US discussed relations by phone.",
     "The Russian and US presidents discussed bilateral relations on the phone."),
    ("今天天气很好。", "The weather is nice today.", "The weather is nice today."),
    ("今天天气很好。", "Today weather good very.", "The weather is nice today."),
    ("新华社北京电。", "Xinhua, Beijing.", "Xinhua News Agency, Beijing."),
    ("双方讨论了国际热点问题。", "Both sides talked about hot international issues.",
     "The two sides discussed international hot-spot issues."),
    ("Das Wetter ist heute schön.", "Il fait beau aujourd'hui.", "The weather is nice today."),
    ("双方讨论了国际热点问题。", "", "The two sides discussed international hot-spot issues."),
    ("新华社北京电。", "新华社北京电。", "Xinhua News Agency, Beijing."),
    ("俄美总统通电话讨论两国关系。" * 3,
     ("The two presidents discussed bilateral relations on the phone, and then they discussed them again, and "
     "again, at great length, for a very long time."),
     "The Russian and US presidents discussed bilateral relations on the phone three times."),
    ("Les deux présidents ont discuté.", "  The two presidents talked.  ", "The two presidents discussed."),
]

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def unigram_vocab() -> list[tuple[str, float]]:
    """A Unigram vocabulary estimated on `TEXT` (deterministic, unlike the parallel trainer): the special tokens,
    every character, and the words, characters and character pairs seen, with log relative frequencies."""
    import math
    import unicodedata
    from collections import Counter

    counts: Counter[str] = Counter()
    for line in TEXT:
        for word in unicodedata.normalize("NFKC", line).split():
            piece = "\u2581" + word
            counts[piece] += 1
            counts.update(piece)
            counts.update(piece[i:i + 2] for i in range(len(piece) - 1))
    total = sum(counts.values())
    pieces = sorted(counts, key=lambda p: (-counts[p], p))
    return [(t, 0.0) for t in SPECIALS] + [(p, math.log(counts[p] / total)) for p in pieces]


def build_encoder(out: Path, xl: bool) -> None:
    """A tiny XLM-R(-XL) config and an XLM-R-style tokenizer (Unigram, Metaspace, <s> A </s></s> B </s>)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import XLMRobertaConfig, XLMRobertaTokenizerFast, XLMRobertaXLConfig

    tok = Tokenizer(models.Unigram(unigram_vocab(), unk_id=3, byte_fallback=False))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.add_special_tokens(["<mask>"])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    fast = XLMRobertaTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                                   cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>")
    fast.save_pretrained(out)
    cls = XLMRobertaXLConfig if xl else XLMRobertaConfig
    config = cls(vocab_size=len(fast), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                 intermediate_size=64, max_position_embeddings=42, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                 type_vocab_size=1)
    config.save_pretrained(out)


MODELS = {
    # name: (model class, encoder folder, hparams)
    "comet": ("regression_metric", "encoder-xlmr", {
        "encoder_model": "XLM-RoBERTa", "layer": "mix", "layer_transformation": "sparsemax", "layer_norm": False,
        "pool": "avg", "hidden_sizes": [48, 24], "activations": "Tanh", "final_activation": None}),
    "comet-softmax-norm": ("regression_metric", "encoder-xlmr", {
        "encoder_model": "XLM-RoBERTa", "layer": "mix", "layer_transformation": "softmax", "layer_norm": True,
        "pool": "avg", "hidden_sizes": [48], "activations": "Tanh", "final_activation": "sigmoid"}),
    "cometkiwi": ("unified_metric", "encoder-xlmr", {
        "encoder_model": "XLM-RoBERTa", "sent_layer": "mix", "layer_transformation": "sparsemax", "layer_norm": True,
        "hidden_sizes": [48, 24], "activations": "Tanh", "final_activation": None, "input_segments": ["mt", "src"],
        "word_level_training": False}),
    "xcomet": ("xcomet_metric", "encoder-xlmr-xl", {
        "encoder_model": "XLM-RoBERTa-XL", "sent_layer": "mix", "layer_transformation": "sparsemax",
        "layer_norm": False, "word_layer": 2, "hidden_sizes": [48, 24], "activations": "Tanh", "final_activation": None,
        "error_labels": ["minor", "major", "critical"]}),
}


def build_model(name: str, kind: str, encoder: str, hparams: dict) -> None:
    import pytorch_lightning as pl
    import torch
    import yaml
    from comet.models import str2model

    out = HERE / name
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    torch.manual_seed(sum(map(ord, name)))
    model = str2model[kind](pretrained_model=str(HERE / encoder), load_pretrained_weights=False, **hparams)
    with torch.no_grad():  # random, non-uniform layer weights and tag head (the defaults make them trivial)
        for p in model.layerwise_attention.scalar_parameters:
            p.copy_(torch.randn(1))
        model.layerwise_attention.gamma.copy_(torch.tensor([1.5]))
        for p in model.estimator.parameters():
            p.normal_(0, 0.3 if kind == "regression_metric" else 1.0)
        if hasattr(model, "hidden2tag"):
            model.hidden2tag.weight.normal_(0, 2.0)
            model.hidden2tag.bias.copy_(torch.tensor([0.5, 0.3, 0.2, 0.1]))
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False)
    trainer.strategy.connect(model)
    trainer.save_checkpoint(out / "checkpoints" / "model.ckpt")
    saved = dict(model.hparams)
    saved["pretrained_model"] = encoder  # a relative name: tests point `encoder:` at the folder
    (out / "hparams.yaml").write_text(yaml.safe_dump(saved, sort_keys=True))


def golden(name: str, encoder: str) -> dict:
    """Official scores: `load_from_checkpoint` + `predict` on the stripped lines (CPU, batch size 4, length batching,
    as `comet-score`)."""
    import yaml
    from comet import load_from_checkpoint

    out = HERE / name
    hparams = yaml.safe_load((out / "hparams.yaml").read_text())
    hparams["pretrained_model"] = str(HERE / encoder)  # the official loader reads the encoder from hparams
    (out / "hparams.yaml").write_text(yaml.safe_dump(hparams, sort_keys=True))
    try:
        model = load_from_checkpoint(str(out / "checkpoints" / "model.ckpt"), reload_hparams=True)
    finally:
        hparams["pretrained_model"] = encoder
        (out / "hparams.yaml").write_text(yaml.safe_dump(hparams, sort_keys=True))
    result = {"files": {str(p.relative_to(HERE)): sha256(p) for p in sorted(out.rglob("*")) if p.is_file()}}
    modes = {"with_reference": True, "without_reference": False}
    if MODELS[name][0] == "regression_metric":
        modes = {"with_reference": True}
    for mode, with_ref in modes.items():
        data = [{"src": s.strip(), "mt": h.strip(), **({"ref": r.strip()} if with_ref else {})}  # as comet-score
                for s, h, r in SEGMENTS]
        pred = model.predict(data, batch_size=4, gpus=0, progress_bar=False, num_workers=0)
        entry = {"scores": [float(x) for x in pred.scores]}
        if "metadata" in pred and "error_spans" in pred.metadata:
            entry["spans"] = [[{"start": s["start"], "end": s["end"], "severity": s["severity"],
                                "confidence": float(s["confidence"])} for s in seg]
                              for seg in pred.metadata.error_spans]
        result[mode] = entry
    return result


def main() -> int:
    from importlib.metadata import version

    for enc, xl in (("encoder-xlmr", False), ("encoder-xlmr-xl", True)):
        build_encoder(HERE / enc, xl)
    out = {"implementation": ", ".join(f"{p} {version(p)}" for p in ("unbabel-comet", "torch", "transformers",
                                                                    "tokenizers", "pytorch-lightning")),
           "segments": [list(s) for s in SEGMENTS], "models": {}}
    for name, (kind, encoder, hparams) in MODELS.items():
        build_model(name, kind, encoder, hparams)
        out["models"][name] = golden(name, encoder)
    for enc in ("encoder-xlmr", "encoder-xlmr-xl"):
        out[enc] = {p.name: sha256(p) for p in sorted((HERE / enc).iterdir())}
    (HERE / "golden.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
