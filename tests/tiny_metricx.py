"""A tiny random MetricX-24 checkpoint in the official layout, built deterministically (seeded, no HF init).

Two folders, as on the hub: `mt5-tokenizer/` (like google/mt5-xl: spiece.model + tokenizer files + config.json)
and `metricx/` (like google/metricx-24-hybrid-*: config.json with `MT5ForRegression` + model.safetensors).
The vocabulary is mT5's size (250112) so that the official code's fixed regression id 250089 exists; the
sentencepiece model only uses the first few hundred ids. Used by tests/test_metricx.py and by
tests/golden/make_metricx_golden.py, which scores this checkpoint with google-research/metricx's own code.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

VOCAB_SIZE = 250112  # mT5's; MetricX reads the logit of id 250089 (<extra_id_10> in the real vocabulary)
REGRESSION_ID = 250089
CONFIG = {
    "architectures": ["MT5ForRegression"], "model_type": "mt5", "vocab_size": VOCAB_SIZE, "d_model": 32, "d_kv": 8,
    "d_ff": 64, "num_layers": 2, "num_decoder_layers": 2, "num_heads": 4, "relative_attention_num_buckets": 32,
    "relative_attention_max_distance": 128, "dropout_rate": 0.1, "layer_norm_epsilon": 1e-6,
    "feed_forward_proj": "gated-gelu", "is_encoder_decoder": True, "tie_word_embeddings": False, "use_cache": True,
    "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0, "torch_dtype": "float32",
}
TEXT = [
    "俄美总统通电话讨论两国关系。", "双方讨论了国际热点问题和地区局势。", "新华社北京十二月一日电。", "今天天气很好，我们去公园散步。",
    "The two presidents discussed bilateral relations by telephone.", "The weather is nice today.",
    "Xinhua news agency reported on Tuesday.", "Both sides exchanged views on regional and international issues.",
    "Die beiden Präsidenten sprachen über die Beziehungen.", "Le temps est beau aujourd'hui.",
    "source: candidate: reference:",
]


def train_spiece() -> bytes:
    """An (at most) 256-piece unigram sentencepiece model with mT5's special ids (pad 0, eos 1, unk 2, no bos)."""
    import sentencepiece as spm

    out = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TEXT * 8), model_writer=out, vocab_size=256, model_type="unigram", hard_vocab_limit=False,
        character_coverage=1.0, pad_id=0, eos_id=1, unk_id=2, bos_id=-1, num_threads=1, minloglevel=2,
        shuffle_input_sentence=False)
    return out.getvalue()


def tensors(config: dict = CONFIG) -> dict:
    """Seeded float32 weights for every parameter of the mT5 encoder-decoder (embeddings tied to `shared`).

    Layer-norm scales are near 1; `shared[0]` (the only decoder input) is scaled up and the regression row of
    `lm_head` points along it, so the predictions fall mostly inside (0, 25) instead of half being clipped to 0.
    """
    import torch

    c = config
    d, inner, ff, heads = c["d_model"], c["d_kv"] * c["num_heads"], c["d_ff"], c["num_heads"]
    g = torch.Generator().manual_seed(16)

    def normal(*shape: int, std: float) -> torch.Tensor:
        return torch.randn(*shape, generator=g, dtype=torch.float32) * std

    def norm() -> torch.Tensor:
        return 1.0 + normal(d, std=0.1)

    out: dict[str, torch.Tensor] = {"shared.weight": normal(VOCAB_SIZE, d, std=1.0)}
    out["shared.weight"][0] *= 2.0
    for stack, n in (("encoder", c["num_layers"]), ("decoder", c["num_decoder_layers"])):
        for i in range(n):
            p = f"{stack}.block.{i}.layer"
            attns = ["SelfAttention"] + (["EncDecAttention"] if stack == "decoder" else [])
            for j, attn in enumerate(attns):
                for w in "qkv":
                    out[f"{p}.{j}.{attn}.{w}.weight"] = normal(inner, d, std=d ** -0.5)
                out[f"{p}.{j}.{attn}.o.weight"] = normal(d, inner, std=inner ** -0.5)
                if i == 0 and attn == "SelfAttention":
                    out[f"{p}.{j}.{attn}.relative_attention_bias.weight"] = normal(
                        c["relative_attention_num_buckets"], heads, std=0.5)
                out[f"{p}.{j}.layer_norm.weight"] = norm()
            j = len(attns)
            out[f"{p}.{j}.DenseReluDense.wi_0.weight"] = normal(ff, d, std=d ** -0.5)
            out[f"{p}.{j}.DenseReluDense.wi_1.weight"] = normal(ff, d, std=d ** -0.5)
            out[f"{p}.{j}.DenseReluDense.wo.weight"] = normal(d, ff, std=ff ** -0.5)
            out[f"{p}.{j}.layer_norm.weight"] = norm()
        out[f"{stack}.final_layer_norm.weight"] = norm()
    lm_head = normal(VOCAB_SIZE, d, std=d ** -0.5)
    direction = out["shared.weight"][0] / out["shared.weight"][0].norm()
    lm_head[REGRESSION_ID] = 2.0 * direction + normal(d, std=0.5)
    out["lm_head.weight"] = lm_head
    return out


def save_tiny_metricx(root: Path, config: dict = CONFIG) -> tuple[Path, Path]:
    """Write `root/metricx` and `root/mt5-tokenizer`; returns (model dir, tokenizer dir). A `config` with
    realistic sizes gives a random model of that size (benchmarks/bench_metricx.py)."""
    from safetensors.torch import save_file

    model_dir, tok_dir = root / "metricx", root / "mt5-tokenizer"
    model_dir.mkdir(parents=True, exist_ok=True)
    tok_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    save_file(tensors(config), str(model_dir / "model.safetensors"), metadata={"format": "pt"})
    (tok_dir / "spiece.model").write_bytes(train_spiece())
    special = {"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}
    (tok_dir / "special_tokens_map.json").write_text(json.dumps(special) + "\n")
    (tok_dir / "tokenizer_config.json").write_text(json.dumps({**special, "extra_ids": 0}) + "\n")
    tok_config = {k: v for k, v in config.items() if k != "architectures"} | {"architectures": ["MT5ForConditionalGeneration"]}
    (tok_dir / "config.json").write_text(json.dumps(tok_config, indent=2) + "\n")
    return model_dir, tok_dir
