"""GGUF weights de-quantized once to a float32 transformers checkpoint, kept on disk by the GGUF file's sha256.

De-quantizing and converting the tokenizer through `from_pretrained(dir, gguf_file=...)` takes about a minute on
CPU; loading the kept checkpoint takes seconds, and `ct2` converts from it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from ..config.schema import Option
from .hub import ModelSource

GGUF_OPTION = Option("gguf_file", "str", "GGUF weights file inside `model` (de-quantized through transformers + gguf).",
                     default=None, example="gemma-3-270m-q4_k_m.gguf")


def converted_dir(key: str) -> Path:
    """Where the de-quantized checkpoint of the GGUF file with sha256 `key` is kept (`MTEVAL_MODEL_CACHE`)."""
    root = os.environ.get("MTEVAL_MODEL_CACHE") or Path.home() / ".cache" / "mteval" / "converted"
    return Path(root) / key[:32]


def without_bar() -> contextlib.AbstractContextManager:
    """Around `from_pretrained(..., gguf_file=...)`: transformers draws a plain tqdm bar while de-quantizing, which
    its progress-bar switch does not reach; it is kept off stderr (errors still raise)."""
    return contextlib.redirect_stderr(io.StringIO())


def dequantized_checkpoint(src: ModelSource, key: str) -> Path | None:
    """The kept checkpoint of GGUF model `src`, made now if missing; None when it cannot be written (then load
    the GGUF file directly). Call inside `model.hf_loading` (transformers errors)."""
    target = converted_dir(key)
    if not (target / "complete").is_file():
        from transformers import AutoModelForCausalLM, AutoTokenizer

        print(f"de-quantizing {src.gguf_file} (once) into {target} ...", file=sys.stderr)
        with without_bar():
            tokenizer = AutoTokenizer.from_pretrained(src.load_path, gguf_file=src.gguf_file)
            model = AutoModelForCausalLM.from_pretrained(src.load_path, gguf_file=src.gguf_file)
        save_converted(model, tokenizer, target)
    return target if (target / "complete").is_file() else None


def load_converted_tokenizer(folder: Path) -> Any:
    """The converted tokenizer straight from its tokenizer.json, with the special tokens and chat template saved
    beside it. (AutoTokenizer rebuilds Gemma's 262k-token BPE in Python: about 2.5 times the CPU time.)"""
    from transformers import PreTrainedTokenizerFast

    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    special = {k: v for k, v in config.items() if k.endswith("_token") and isinstance(v, str)}
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"), **special)
    template = folder / "chat_template.jinja"
    tokenizer.chat_template = template.read_text(encoding="utf-8") if template.is_file() else config.get(
        "chat_template")
    return tokenizer


def save_converted(model: Any, tokenizer: Any, target: Path) -> None:
    """Save the de-quantized float32 weights and tokenizer atomically (a folder renamed into place when whole).

    Best effort: a read-only or full disk only means the next run converts again.
    """
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        quantizer = model.hf_quantizer
        model.hf_quantizer = None  # GGUF weights are already de-quantized to float32: nothing to serialise
        try:
            model.save_pretrained(tmp)
        finally:
            model.hf_quantizer = quantizer
        tokenizer.save_pretrained(tmp)
        config = json.loads((tmp / "config.json").read_text(encoding="utf-8"))
        config.pop("quantization_config", None)
        (tmp / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        (tmp / "complete").write_text("ok\n")
        tmp.replace(target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
