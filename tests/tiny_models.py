"""Tiny random translation models with a locally trained tokenizer, saved like hub checkpoints (for backend tests)."""

from __future__ import annotations

from pathlib import Path

TEXT = [
    "俄美总统通电话讨论两国关系。", "双方讨论了国际热点问题。", "新华社北京电。", "今天天气很好。",
    "The two presidents discussed bilateral relations.", "The weather is nice today.",
    "Xinhua news agency reported on Tuesday.", "Both sides exchanged views on regional issues.",
]
SPECIAL = ["<pad>", "</s>", "<unk>", "<s>", "__zh__", "__en__", "<2en>", "<2zh>"]


def train_tokenizer(out: Path):
    """A small BPE tokenizer trained on `TEXT` (a fraction of a second), saved as a fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(TEXT * 4, trainers.BpeTrainer(vocab_size=300, special_tokens=SPECIAL))
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                   bos_token="<s>")
    fast.save_pretrained(out)
    return fast


def save_tiny(kind: str, out: Path) -> Path:
    """Save a tiny random `kind` model (marian, m2m100, t5, llama) and its tokenizer into `out`."""
    import torch
    import transformers as tf

    tok = train_tokenizer(out)
    torch.manual_seed(0)
    vocab = len(tok)
    ids = {"pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0}
    if kind == "marian":
        config = tf.MarianConfig(vocab_size=vocab, d_model=32, encoder_layers=1, decoder_layers=1,
                                 encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                                 decoder_ffn_dim=64, max_position_embeddings=128, **ids)
        model = tf.MarianMTModel(config)
    elif kind == "m2m100":
        config = tf.M2M100Config(vocab_size=vocab, d_model=32, encoder_layers=1, decoder_layers=1,
                                 encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                                 decoder_ffn_dim=64, max_position_embeddings=128, bos_token_id=3,
                                 **{**ids, "decoder_start_token_id": 1})
        model = tf.M2M100ForConditionalGeneration(config)
    elif kind == "t5":
        config = tf.T5Config(vocab_size=vocab, d_model=32, d_kv=16, d_ff=64, num_layers=1, num_heads=2, **ids)
        model = tf.T5ForConditionalGeneration(config)
    elif kind == "llama":  # weights at std 0.2 (not 0.02): the greedy output then depends on the whole input
        config = tf.LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
                                pad_token_id=0, eos_token_id=1, bos_token_id=3, initializer_range=0.2)
        model = tf.LlamaForCausalLM(config)
    else:
        raise ValueError(kind)
    model.save_pretrained(out)
    return out
