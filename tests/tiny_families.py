"""Tiny models of every family the docs name, with tokenizers trained locally and a few seconds of training.

Seq2seq families (Marian multi-target, NLLB, M2M100, mBART-50, MADLAD-style T5) get a sentencepiece model trained
on `TEXT` with the family's language tokens added, saved through the family's transformers tokenizer class; the
Llama decoder gets the BPE tokenizer of `tiny_models` and a chat template. Each model is trained briefly (with the
target-language signal for English: forced first token, `<2en>` / `>>eng<<` prefix, or the prompt) to output the
first two and last two tokens of its source. So outputs differ per input (a reordering after length-sorted batching
shows), and a missing or different language signal changes them (the tests assert both).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.tiny_models import TEXT, train_tokenizer

SOURCES = ["俄美总统通电话讨论两国关系。", "双方讨论了国际热点问题。", "新华社北京电。", "今天天气很好。",
           "双方讨论了国际热点问题。今天天气很好。"]
"""What the backend tests translate (length-sorting reorders them)."""

TRAIN = SOURCES + ["新华社北京电。今天天气很好。", "俄美总统通电话。"]

SIGNALS: dict[str, dict[str, str]] = {
    "nllb": {"src": "zho_Hans", "en": "eng_Latn", "fr": "fra_Latn"},
    "m2m100": {"src": "zh", "en": "__en__", "fr": "__fr__"},
    "mbart50": {"src": "zh_CN", "en": "en_XX", "fr": "fr_XX"},
    "t5": {"en": "<2en>", "fr": "<2fr>"},
    "marian": {"en": ">>eng<<", "fr": ">>fra<<"},
}
"""The language tokens of each family: `src` is added to the source by the tokenizer, `en`/`fr` select the output
(models are trained with `en` only)."""

EXAMPLES = [{"source": "今天天气很好。", "target": "The weather is nice today."}]
"""The causal models' prompt examples (`prompt: {examples: EXAMPLES}`)."""
CHAT_TEMPLATE = ("{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                 "{% if add_generation_prompt %}<s>assistant:{% endif %}")


def _train_spm(prefix: Path, model_type: str, symbols: list[str]) -> Path:
    import sentencepiece as spm

    spm.SentencePieceTrainer.train(sentence_iterator=iter(TEXT * 4), model_prefix=str(prefix), vocab_size=120,
                                   model_type=model_type, character_coverage=1.0, user_defined_symbols=symbols,
                                   hard_vocab_limit=False, minloglevel=2)
    return prefix.with_suffix(".model")


def build_tokenizer(family: str, out: Path) -> Any:
    """Train the family's sentencepiece model in `out`, load it through the family's tokenizer class, save it."""
    import transformers as tf

    out.mkdir(parents=True, exist_ok=True)
    signals = SIGNALS[family]
    if family == "nllb":
        _train_spm(out / "spm", "bpe", []).rename(out / "sentencepiece.bpe.model")
        tok = tf.NllbTokenizer.from_pretrained(out, extra_special_tokens=[signals[k] for k in ("src", "en", "fr")])
    elif family == "mbart50":
        _train_spm(out / "spm", "unigram", []).rename(out / "sentencepiece.bpe.model")
        tok = tf.MBart50Tokenizer.from_pretrained(out, bos_token="<s>")
    elif family == "t5":
        _train_spm(out / "spm", "unigram", [signals["en"], signals["fr"]]).rename(out / "spiece.model")
        tok = tf.T5Tokenizer.from_pretrained(out, extra_ids=0)
    elif family == "m2m100":
        model = _train_spm(out / "spm", "bpe", []).rename(out / "sentencepiece.bpe.model")
        pieces = [line.split("\t")[0] for line in (out / "spm.vocab").read_text(encoding="utf-8").splitlines()]
        vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
        for piece in pieces:
            vocab.setdefault(piece, len(vocab))
        (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        tok = tf.M2M100Tokenizer(vocab_file=str(out / "vocab.json"), spm_file=str(model))
    elif family == "marian":
        model = _train_spm(out / "spm", "unigram", [signals["en"], signals["fr"]])
        pieces = [line.split("\t")[0] for line in (out / "spm.vocab").read_text(encoding="utf-8").splitlines()]
        vocab = {"</s>": 0, "<unk>": 1}
        for piece in pieces + ["<pad>"]:  # <pad> last, as in the released Marian models
            vocab.setdefault(piece, len(vocab))
        (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        model.rename(out / "source.spm")
        (out / "target.spm").write_bytes((out / "source.spm").read_bytes())
        tok = tf.MarianTokenizer(str(out / "source.spm"), str(out / "target.spm"), str(out / "vocab.json"))
    else:
        raise ValueError(family)
    return tok


def _seq2seq_model(family: str, tok: Any) -> Any:
    import transformers as tf

    # M2M100's language ids follow its vocabulary, then `num_madeup_words` fillers (as in the released models)
    ids = [*tok.get_vocab().values(), *getattr(tok, "lang_token_to_id", {}).values()]
    vocab_size = max(len(tok), max(ids) + 1) + getattr(tok, "num_madeup_words", 0)
    size = {"d_model": 64, "encoder_layers": 2, "decoder_layers": 2, "encoder_attention_heads": 4,
            "decoder_attention_heads": 4, "encoder_ffn_dim": 128, "decoder_ffn_dim": 128,
            "max_position_embeddings": 128, "vocab_size": vocab_size, "pad_token_id": tok.pad_token_id,
            "eos_token_id": tok.eos_token_id, "dropout": 0.0, "attention_dropout": 0.0,
            "activation_dropout": 0.0}
    if family == "marian":
        return tf.MarianMTModel(tf.MarianConfig(**size, decoder_start_token_id=tok.pad_token_id))
    if family in ("nllb", "m2m100"):
        return tf.M2M100ForConditionalGeneration(tf.M2M100Config(**size, bos_token_id=0,
                                                                 decoder_start_token_id=tok.eos_token_id))
    if family == "mbart50":
        return tf.MBartForConditionalGeneration(tf.MBartConfig(  # pre-norm keys as in the released mBART-50 config
            **size, bos_token_id=0, decoder_start_token_id=tok.eos_token_id, normalize_before=True,
            add_final_layer_norm=True, scale_embedding=True, tokenizer_class="MBart50Tokenizer"))
    return tf.T5ForConditionalGeneration(tf.T5Config(vocab_size=vocab_size, d_model=64, d_kv=16, d_ff=128, num_layers=2,
                                                     num_heads=4, dropout_rate=0.0,
                                                     pad_token_id=tok.pad_token_id,
                                                     eos_token_id=tok.eos_token_id,
                                                     decoder_start_token_id=tok.pad_token_id))


def _answer(ids: list[int]) -> list[int]:
    """What the models learn to output for English: the first two and the last two tokens of the source."""
    return ids[:2] + ids[-2:]


def _seq2seq_rows(family: str, tok: Any, start: int) -> list[tuple[list[int], list[int], list[int]]]:
    """(input ids, decoder input ids, labels) per training example, target English. The forced language token is
    a decoder input but not a label: the model never learns to emit it, so leaving it out changes the output;
    prefixed families learn an empty output without the `<2en>` / `>>eng<<` prefix."""
    signals = SIGNALS[family]
    if "src" in signals:
        tok.src_lang = signals["src"]
    rows = []
    for source in TRAIN:
        answer = _answer(tok(source, add_special_tokens=False)["input_ids"]) + [tok.eos_token_id]
        if family in ("t5", "marian"):
            examples = [(f"{signals['en']} {source}", [], answer), (source, [], [tok.eos_token_id]),
                        (f"{signals['fr']} {source}", [], [tok.eos_token_id])]
        else:
            examples = [(source, [tok.convert_tokens_to_ids(signals["en"])], answer)]
        for text, forced, labels in examples:
            target = forced + labels
            rows.append((tok(text)["input_ids"], [start] + target[:-1], [-100] * len(forced) + labels))
    return rows


def _causal_rows(tok: Any) -> tuple[list[list[int]], list[list[int]]]:
    """Token ids and labels of few-shot and chat prompts to English (as the backends render them) followed by the
    answer and end of sequence."""
    from mteval.systems.prompt import Prompt

    rows, labels = [], []
    for source in TRAIN:
        answer = _answer(tok(source, add_special_tokens=False)["input_ids"]) + [tok.eos_token_id]
        for chat in (False, True):
            prompt = Prompt({"examples": EXAMPLES}, "zh", "en", chat).render(tok, source)
            ids = tok(prompt, add_special_tokens=not chat)["input_ids"]
            rows.append(ids + answer)
            labels.append([-100] * len(ids) + answer)
    return rows, labels


def _fit(model: Any, batches: list[dict[str, Any]], steps: int) -> None:
    import torch

    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        for batch in batches:
            optimizer.zero_grad()
            model(**batch).loss.backward()
            optimizer.step()
    model.eval()


def _padded(rows: list[list[int]], pad: int) -> Any:
    import torch

    width = max(len(r) for r in rows)
    return torch.tensor([r + [pad] * (width - len(r)) for r in rows])


STEPS = {"marian": 150}
"""Training steps where the default 100 leave two test sources with the same output."""


def save_family(family: str, out: Path, steps: int | None = None) -> Path:
    """Build, train and save the tiny `family` model (marian, nllb, m2m100, mbart50, t5 or llama) into `out`."""
    import torch

    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: more threads only contend
    try:
        return _build(family, out, steps or STEPS.get(family, 100))
    finally:
        torch.set_num_threads(threads)


def _build(family: str, out: Path, steps: int) -> Path:
    import transformers as tf

    if family == "llama":
        tok = train_tokenizer(out)
        tok.chat_template = CHAT_TEMPLATE
        tok.save_pretrained(out)
        model = tf.LlamaForCausalLM(tf.LlamaConfig(
            vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=4, max_position_embeddings=512, pad_token_id=0, eos_token_id=1, bos_token_id=3,
            attention_dropout=0.0))
        rows, labels = _causal_rows(tok)
        ids = _padded(rows, 0)
        batch = {"input_ids": ids, "attention_mask": _padded([[1] * len(r) for r in rows], 0),
                 "labels": _padded(labels, -100)}
    else:
        tok = build_tokenizer(family, out / "spm")
        model = _seq2seq_model(family, tok)
        rows = _seq2seq_rows(family, tok, model.config.decoder_start_token_id)
        inputs = [r[0] for r in rows]
        batch = {"input_ids": _padded(inputs, tok.pad_token_id),
                 "attention_mask": _padded([[1] * len(r) for r in inputs], 0),
                 "decoder_input_ids": _padded([r[1] for r in rows], tok.pad_token_id),
                 "labels": _padded([r[2] for r in rows], -100)}
        tok.save_pretrained(out)
    _fit(model, [batch], steps)
    model.save_pretrained(out)
    return out


def fake_hub_cache(model: Path, repo_id: str, cache: Path, monkeypatch: Any) -> str:
    """Put `model` in a Hugging Face hub cache at `cache` as `repo_id` (refs/main → snapshots/<commit>) and make
    the hub offline and that cache current; returns the commit."""
    import shutil

    import huggingface_hub.constants as c

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    shutil.copytree(model, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(c, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(c, "HF_HUB_OFFLINE", True)
    return commit
