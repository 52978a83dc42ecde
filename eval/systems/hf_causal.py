"""`hf-causal`: decoder-only LLMs through transformers (safetensors or GGUF weights), few-shot or chat prompts.

A base model gets a few-shot prompt (`prompt.examples`, built-in Chinese→English pairs by default for zh→en)
and generation stops at `prompt.stop` (a newline by default); `chat: true` uses the tokenizer's chat template.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from ..config.schema import Located, Option
from .base import BACKENDS
from .gguf import GGUF_OPTION, converted_dir, dequantized_checkpoint, load_converted_tokenizer, without_bar
from .model import GENERATION_OPTION, MODEL_OPTIONS, ModelBackend, hf_loading
from .prompt import (
    PROMPT_OPTIONS,
    Prompt,
    check_chat_template,
    check_prompt,
    cut_at_stop,
    prompt_defaults,
    reached_stop,
)


@BACKENDS.register("hf-causal")
class HFCausalBackend(ModelBackend):
    """A transformers `AutoModelForCausalLM`: left-padded batches, greedy by default, stop strings."""

    options: ClassVar[list[Option]] = MODEL_OPTIONS + [GENERATION_OPTION, GGUF_OPTION] + PROMPT_OPTIONS

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

    def load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        src = self.source()
        sha = self.weights_sha256()
        with hf_loading(self.name, "causal", self.spec["model"]):
            kept = dequantized_checkpoint(src, sha) if src.gguf_file and sha else None
            if kept is not None:
                self.tokenizer = load_converted_tokenizer(kept)
                self.model = AutoModelForCausalLM.from_pretrained(kept, dtype=torch.float32)
            else:
                kwargs: dict[str, Any] = {"revision": src.revision}
                if src.gguf_file:
                    kwargs["gguf_file"] = src.gguf_file
                with without_bar():
                    self.tokenizer = AutoTokenizer.from_pretrained(src.load_path, **kwargs)
                    self.model = AutoModelForCausalLM.from_pretrained(src.load_path, **kwargs)
        check_chat_template(self.name, self.spec["chat"], self.tokenizer)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model.to(self.device()).eval()

    def load_label(self) -> str:
        src = self.source()
        sha = self.weights_sha256()
        if src.gguf_file and sha and not (converted_dir(sha) / "complete").is_file():
            return (f"{self.name}: de-quantizing {src.gguf_file} into {converted_dir(sha).parent} "
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
        texts = [prompt.render(self.tokenizer, s) for s in sources]
        enc = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=not prompt.chat)
        enc = enc.to(self.model.device)
        prompt_len = enc["input_ids"].shape[1]
        with torch.inference_mode():
            out = self.model.generate(**enc, **self.generation_kwargs(prompt.stop, prompt_len))
        decoded = self.tokenizer.batch_decode(out[:, prompt_len:], skip_special_tokens=True)
        return [cut_at_stop(t, prompt.stop) for t in decoded]


def _stop_on_text(tokenizer: Any, prompt_len: int, stops: list[str], finished: Callable[[int], None]) -> Any:
    """A stopping criterion: a row is done once its generated text contains a stop string; `finished(n)` hears
    of rows as they finish (the progress bar)."""
    import torch
    from transformers import StoppingCriteria

    class StopOnText(StoppingCriteria):
        reported = 0

        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.Tensor:
            texts = tokenizer.batch_decode(input_ids[:, prompt_len:], skip_special_tokens=True)
            done = [reached_stop(t, stops) for t in texts]
            if sum(done) > self.reported:  # a stop string stays in a finished row's text: the count only grows
                finished(sum(done) - self.reported)
                self.reported = sum(done)
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return StopOnText()
