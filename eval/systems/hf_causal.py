"""`hf-causal`: decoder-only LLMs through transformers (safetensors or GGUF weights), few-shot or chat prompts.

A base model gets a few-shot prompt (`prompt.examples`, built-in Chinese→English pairs by default for zh→en)
and generation stops at `prompt.stop` (a newline by default); `chat: true` uses the tokenizer's chat template.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from ..config.schema import Located, Option
from ..errors import BackendError
from .base import BACKENDS
from .model import MODEL_OPTIONS, ModelBackend
from .prompt import PROMPT_DOC, Prompt, check_prompt, cut_at_stop, prompt_defaults


@BACKENDS.register("hf-causal")
class HFCausalBackend(ModelBackend):
    """A transformers `AutoModelForCausalLM`: left-padded batches, greedy by default, stop strings."""

    options: ClassVar[list[Option]] = MODEL_OPTIONS + [
        Option("gguf_file", "str", "GGUF weights file inside `model` (loaded through transformers + gguf).",
               default=None, example="gemma-3-270m-q4_k_m.gguf"),
        Option("prompt", "dict", PROMPT_DOC, default={},
               example={"template": "{src_name}: {source}\n{tgt_name}:", "stop": ["\n"]}),
        Option("chat", "bool", "Use the tokenizer's chat template (instruction-tuned models).", default=False,
               example=True),
    ]

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.tokenizer: Any = None
        self.model: Any = None

    @classmethod
    def prepare(cls, values: dict[str, Any], loc: Located, path: tuple) -> None:
        super().prepare(values, loc, path)
        check_prompt(values["prompt"], loc, path + ("prompt",))

    def params(self) -> dict[str, Any]:
        return {"generation": self.spec["generation"], "prompt": self.spec["prompt"], "chat": self.spec["chat"],
                "prompt_defaults": prompt_defaults(self.spec["prompt"], self.spec["chat"])}

    def prompt(self, src_lang: str, tgt_lang: str) -> Prompt:
        return Prompt(self.spec["prompt"], src_lang, tgt_lang, self.spec["chat"])

    def prompt_text(self, prompt: Prompt, source: str) -> str:
        if prompt.chat:
            return self.tokenizer.apply_chat_template(prompt.messages(source), tokenize=False,
                                                      add_generation_prompt=True)
        return prompt.text(source)

    def load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        src = self.source()
        kwargs: dict[str, Any] = {"revision": src.revision}
        if src.gguf_file:
            kwargs["gguf_file"] = src.gguf_file
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        converted = converted_dir(self.weights_sha256()) if src.gguf_file and self.weights_sha256() else None
        try:
            if converted is not None and (converted / "complete").is_file():
                self.tokenizer = load_converted_tokenizer(converted)
                self.model = AutoModelForCausalLM.from_pretrained(converted, dtype=torch.float32)
            else:
                self.tokenizer = AutoTokenizer.from_pretrained(src.load_path, **kwargs)
                self.model = AutoModelForCausalLM.from_pretrained(src.load_path, **kwargs)
                if converted is not None:
                    save_converted(self.model, self.tokenizer, converted)
        except (OSError, ValueError, KeyError, ImportError) as exc:
            raise BackendError(f"system {self.name!r}: cannot load causal model {self.spec['model']!r}: "
                               f"{str(exc).splitlines()[0]}") from None
        finally:
            hf_logging.set_verbosity(verbosity)
            hf_logging.enable_progress_bar()
        if self.spec["chat"] and not getattr(self.tokenizer, "chat_template", None):
            raise BackendError(f"system {self.name!r}: chat: true but the tokenizer has no chat template")
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model.to(self.device()).eval()

    def load_label(self) -> str:
        src = self.source()
        if src.gguf_file and self.weights_sha256() and not (converted_dir(self.weights_sha256()) / "complete").is_file():
            return (f"{self.name}: de-quantizing {src.gguf_file} into {converted_dir(self.weights_sha256()).parent} "
                    f"(first run only)")
        return super().load_label()

    def generation_kwargs(self, stops: list[str], prompt_len: int) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"do_sample": False, "num_beams": 1, "max_new_tokens": 256,
                                  "pad_token_id": self.tokenizer.pad_token_id}
        kwargs.update(self.spec["generation"])
        if stops:
            from transformers import StoppingCriteriaList

            kwargs["stopping_criteria"] = StoppingCriteriaList([
                _stop_on_text(self.tokenizer, prompt_len, stops, self.segments_done)])
        return kwargs

    def translate_batch(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        import torch

        prompt = self.prompt(src_lang, tgt_lang)
        texts = [self.prompt_text(prompt, s) for s in sources]
        enc = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=not prompt.chat)
        enc = enc.to(self.model.device)
        prompt_len = enc["input_ids"].shape[1]
        with torch.inference_mode():
            out = self.model.generate(**enc, **self.generation_kwargs(prompt.stop, prompt_len))
        decoded = self.tokenizer.batch_decode(out[:, prompt_len:], skip_special_tokens=True)
        return [cut_at_stop(t, prompt.stop) for t in decoded]


def converted_dir(weights_sha256: str) -> Path:
    """Where GGUF weights de-quantized to a transformers checkpoint are kept (keyed by the GGUF file's sha256):
    de-quantizing and converting the tokenizer takes about a minute on CPU, loading the result a few seconds."""
    root = os.environ.get("MTEVAL_MODEL_CACHE") or Path.home() / ".cache" / "mteval" / "converted"
    return Path(root) / weights_sha256[:32]


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


def _stop_on_text(tokenizer: Any, prompt_len: int, stops: list[str], finished: Callable[[int], None]) -> Any:
    """A stopping criterion: a row is done once its generated text contains a stop string; `finished(n)` hears
    of rows as they finish (the progress bar)."""
    import torch
    from transformers import StoppingCriteria

    class StopOnText(StoppingCriteria):
        reported = 0

        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.Tensor:
            texts = tokenizer.batch_decode(input_ids[:, prompt_len:], skip_special_tokens=True)
            done = [any(s in t.lstrip(" \t") for s in stops) for t in texts]
            if sum(done) > self.reported:  # a stop string stays in a finished row's text: the count only grows
                finished(sum(done) - self.reported)
                self.reported = sum(done)
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return StopOnText()
