"""`ct2`: CTranslate2 inference (int8 on CPU by default) for any model its Transformers converter supports.

Encoder-decoder models (Marian, NLLB, M2M100, mBART-50, T5/MADLAD) get the same language handling as `hf-seq2seq`
(`families.py`; the forced first token becomes CTranslate2's `target_prefix`), decoder-only models (Llama, Qwen,
Gemma, ...) the same prompts and stop strings as `hf-causal` (`prompt.py`). The model is converted once from its
transformers checkpoint (a local folder, a hub id in the local cache, or a GGUF file de-quantized once) into
`~/.cache/mteval/ct2/<key>` (`MTEVAL_CT2_CACHE`), keyed by the weights' content hash and the CTranslate2
version, written to a temporary folder and renamed into place. Weights are quantized to `compute_type` on load.

On CPU, `threads` are CTranslate2 workers (`inter_threads`, one thread each, sharing the weights): a batch is
split into equal sub-batches, length-sorted by CTranslate2, that run in parallel. For models of this size that is
about twice as fast as the threads sharing each matrix product (`intra_threads`), which costs more CPU time for
the same work (and, for decoder-only models, feeds the longer prompts of a mixed batch step by step through the
full output layer).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
import weakref
from pathlib import Path
from typing import Any, ClassVar

from ..config.schema import Located, Option, validate
from ..errors import BackendError
from .base import BACKENDS, Backend
from .families import LANGUAGE_OPTIONS, Languages, model_family
from .gguf import GGUF_OPTION, dequantized_checkpoint
from .model import MODEL_OPTIONS, ModelBackend, hf_loading
from .prompt import (
    PROMPT_OPTIONS,
    Prompt,
    check_chat_template,
    check_prompt,
    cut_at_stop,
    prompt_defaults,
    reached_stop,
)

COMPUTE_TYPES = ("int8", "int8_float32", "float32", "float16")


@BACKENDS.register("ct2")
class CT2Backend(ModelBackend):
    """A CTranslate2 `Translator` (encoder-decoder) or `Generator` (decoder-only); greedy unless `beam_size` > 1."""

    options: ClassVar[list[Option]] = MODEL_OPTIONS + [
        Option("compute_type", "str", "Weights and arithmetic: int8 (fastest on CPU), int8_float32, float32 (equal "
               "to the transformers backends), float16 (GPU only).", default="int8", example="float32",
               choices=COMPUTE_TYPES),
        Option("beam_size", "int", "Beam size (1: greedy).", default=1, example=4),
        Option("max_new_tokens", "int", "Most tokens generated per segment.", default=256, example=160),
        Option("max_input_length", "int", "Longest input in tokens: longer sources are truncated (encoder-decoder), "
               "longer prompts keep their last tokens (decoder-only).", default=1024, example=512),
        Option("fallback", "str", "Backend used instead when ctranslate2 is not installed (logged); without it a "
               "missing ctranslate2 is an error.", default=None, example="hf-causal",
               choices=("hf-causal", "hf-seq2seq")),
        GGUF_OPTION] + PROMPT_OPTIONS + LANGUAGE_OPTIONS

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.tokenizer: Any = None
        self.translator: Any = None
        self.generator: Any = None
        self.languages: Languages | None = None
        self.end_tokens: list[str] = []
        self.stop_ids: list[int] | None = None
        self.workers = 1

    @classmethod
    def prepare(cls, values: dict[str, Any], loc: Located, path: tuple) -> None:
        super().prepare(values, loc, path)
        for key in ("beam_size", "max_new_tokens", "max_input_length"):
            if values[key] < 1:
                raise loc.error(path + (key,), "must be at least 1")
        if values["compute_type"] == "float16" and values["device"] == "cpu":
            raise loc.error(path + ("compute_type",), "float16 needs a GPU (device: cuda or auto); on CPU use "
                            "int8, int8_float32 or float32")
        check_prompt(values["prompt"], loc, path + ("prompt",))

    @classmethod
    def create(cls, spec: dict[str, Any]) -> Backend:
        """This backend, or the `fallback` backend (with a logged line) when ctranslate2 cannot be imported."""
        if spec["fallback"] is None or ct2_version() is not None:
            return cls(spec)
        print(f"system {spec['name']!r}: ctranslate2 is not installed (pip install 'mteval[ct2]'); translating "
              f"with the fallback backend {spec['fallback']}", file=sys.stderr)
        return fallback_backend(spec)

    def params(self) -> dict[str, Any]:
        keys = ("compute_type", "beam_size", "max_new_tokens", "max_input_length", "prompt", "chat", "src_code",
                "tgt_code", "prefix")
        return {**{k: self.spec[k] for k in keys}, "ctranslate2": ct2_version(),
                "prompt_defaults": prompt_defaults(self.spec["prompt"], self.spec["chat"])}

    def device(self) -> str:
        import ctranslate2

        gpus = ctranslate2.get_cuda_device_count()
        want = self.spec["device"]
        if want == "cuda" and not gpus:
            raise BackendError(f"system {self.name!r}: device cuda requested but CTranslate2 sees no CUDA device")
        device = want if want != "auto" else ("cuda" if gpus else "cpu")
        if device == "cpu" and self.spec["compute_type"] == "float16":
            raise BackendError(f"system {self.name!r}: compute_type float16 needs a GPU and none was found")
        return device

    def ensure_loaded(self) -> None:
        if ct2_version() is None:
            raise BackendError(f"system {self.name!r}: ctranslate2 is not installed: pip install 'mteval[ct2]' "
                               f"(or set fallback: hf-causal / hf-seq2seq)")
        super().ensure_loaded()

    def checkpoint(self) -> Path:
        """The transformers checkpoint folder to convert: local, hub snapshot, or de-quantized GGUF."""
        src = self.source()
        if src.gguf_file:
            kept = dequantized_checkpoint(src, self.weights_sha256() or self.content_key())
            if kept is None:
                raise BackendError(f"system {self.name!r}: cannot write the de-quantized checkpoint of "
                                   f"{self.spec['model']!r} (MTEVAL_MODEL_CACHE); ct2 converts from it")
            return kept
        if src.kind == "hub":
            from huggingface_hub import snapshot_download

            return Path(snapshot_download(src.load_path, revision=src.revision))
        return Path(src.load_path)

    def content_key(self) -> str:
        """What the converted model depends on: the weights (content hash or hub commit) and CTranslate2's version."""
        src = self.source()
        what = {"weights_sha256": self.weights_sha256(), "model": None if self.weights_sha256() else self.spec["model"],
                "revision": src.revision, "gguf_file": src.gguf_file, "ctranslate2": ct2_version()}
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()

    def load(self) -> None:
        import ctranslate2
        from transformers import AutoConfig, AutoTokenizer

        with hf_loading(self.name, "ct2", self.spec["model"]):
            hf_dir = self.checkpoint()
            self.tokenizer = AutoTokenizer.from_pretrained(hf_dir)
            config = AutoConfig.from_pretrained(hf_dir)
        model_dir = converted_model(hf_dir, ct2_dir(self.content_key()), self.name)
        device = self.device()
        kwargs = {"device": device, "compute_type": self.spec["compute_type"]}
        if device == "cpu":
            self.workers = self.spec["threads"] or len(os.sched_getaffinity(0))
            kwargs |= {"inter_threads": self.workers, "intra_threads": 1}
        else:
            kwargs["intra_threads"] = self.spec["threads"] or 0
        try:
            if config.is_encoder_decoder:
                self.translator = ctranslate2.Translator(str(model_dir), **kwargs)
                self.languages = Languages(self.name, model_family(config.model_type, self.tokenizer),
                                           self.tokenizer, self.spec)
            else:
                check_chat_template(self.name, self.spec["chat"], self.tokenizer)
                self.generator = ctranslate2.Generator(str(model_dir), **kwargs)
                self.end_tokens = end_tokens(hf_dir, config, self.tokenizer)
                stops = Prompt(self.spec["prompt"], "", "", self.spec["chat"]).stop
                self.stop_ids = stop_token_ids(self.tokenizer, stops)
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"system {self.name!r}: CTranslate2 cannot load {model_dir}: {exc}") from None

    def translate_batch(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        if self.translator is not None:
            return self._translate(sources, src_lang, tgt_lang)
        return self._generate(sources, src_lang, tgt_lang)

    def _decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True)

    def _sub_batch(self, rows: int) -> int:
        """CTranslate2's `max_batch_size` for a batch of `rows`: an equal share per worker."""
        return -(-rows // self.workers)

    def _translate(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        langs = self.languages
        langs.set_source(src_lang)
        prefix = langs.source_prefix(tgt_lang)
        target = langs.target_token(tgt_lang)
        enc = self.tokenizer([prefix + s for s in sources], truncation=True, max_length=self.spec["max_input_length"])
        tokens = [self.tokenizer.convert_ids_to_tokens(ids) for ids in enc["input_ids"]]
        results = self.translator.translate_batch(
            tokens, target_prefix=[[target]] * len(tokens) if target else None, beam_size=self.spec["beam_size"],
            max_decoding_length=self.spec["max_new_tokens"], max_input_length=0,
            max_batch_size=self._sub_batch(len(tokens)))
        skip = 1 if target else 0  # the forced language token is not text (not always a special token)
        return [self._decode(self.tokenizer.convert_tokens_to_ids(r.hypotheses[0][skip:])).strip() for r in results]

    def _generate(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        """Greedy (or beam) generation from the prompts. The instruction/examples text every prompt starts with is
        CTranslate2's `static_prompt` (its state is computed once and cached across batches); single-character stop
        strings are end tokens (every token whose text contains one), so rows stop inside CTranslate2 without a
        Python check per token; other stop strings are checked on the decoded text per token."""
        prompt = Prompt(self.spec["prompt"], src_lang, tgt_lang, self.spec["chat"])
        limit = self.spec["max_input_length"]
        texts = [prompt.render(self.tokenizer, s) for s in sources]
        prompts = [ids[-limit:] for ids in self.tokenizer(texts, add_special_tokens=not prompt.chat)["input_ids"]]
        static = self._static_length(prompt, prompts)
        tokens = [self.tokenizer.convert_ids_to_tokens(ids[static:]) for ids in prompts]
        ends = self.tokenizer.convert_tokens_to_ids(self.end_tokens)
        stop_ids = self.stop_ids if ends else None  # else end_token stays CTranslate2's default end of sequence
        by_text = bool(prompt.stop) and stop_ids is None
        generated: list[list[int]] = [[] for _ in sources]
        finished: set[int] = set()
        # The callback runs in CTranslate2's threads and may be released there: it must not hold the last reference
        # to this backend (its generator would then be destroyed, joining its own thread, in one of them).
        decode, backend = self.tokenizer.decode, weakref.ref(self)

        def on_token(step: Any) -> bool:
            """Stop a row at a stop string (checked on the text when they are not end tokens); the bar moves as
            rows finish."""
            stop = False
            if by_text:
                generated[step.batch_id].append(step.token_id)
                stop = reached_stop(decode(generated[step.batch_id], skip_special_tokens=True), prompt.stop)
            if (stop or step.is_last) and step.batch_id not in finished:
                finished.add(step.batch_id)
                me = backend()
                if me is not None:
                    me.segments_done(1)
            return stop

        results = self.generator.generate_batch(
            tokens, max_length=self.spec["max_new_tokens"], beam_size=self.spec["beam_size"], sampling_topk=1,
            include_prompt_in_result=False, end_token=(ends + (stop_ids or [])) or None,
            return_end_token=bool(stop_ids),  # a stop token's text before the stop string is output
            static_prompt=self.tokenizer.convert_ids_to_tokens(prompts[0][:static]) if static else None,
            callback=on_token if self.spec["beam_size"] == 1 else None,
            max_batch_size=self._sub_batch(len(tokens)))
        seqs = [r.sequences_ids[0] for r in results]
        if stop_ids:  # end of sequence is not output (it is when not a special token)
            seqs = [s[:-1] if s and s[-1] in ends else s for s in seqs]
        return [cut_at_stop(self._decode(s), prompt.stop) for s in seqs]

    def _static_length(self, prompt: Prompt, prompts: list[list[int]]) -> int:
        """How many leading tokens all `prompts` share within the text before the source (the instruction and
        examples; the same for every batch, so CTranslate2's cached state is reused); 0 when too few to matter."""
        marker = "\x00"
        head = prompt.render(self.tokenizer, marker).split(marker)[0]
        cap = len(self.tokenizer(head, add_special_tokens=not prompt.chat)["input_ids"]) - 1  # the last may merge
        first, shortest = prompts[0], min(len(p) for p in prompts)
        n = 0
        while n < cap and n < shortest - 1 and all(p[n] == first[n] for p in prompts):
            n += 1
        return n if n >= 8 else 0


def ct2_version() -> str | None:
    """CTranslate2's version, or None when it cannot be imported."""
    try:
        import ctranslate2
    except ImportError:
        return None
    return ctranslate2.__version__


def ct2_dir(key: str) -> Path:
    root = os.environ.get("MTEVAL_CT2_CACHE") or Path.home() / ".cache" / "mteval" / "ct2"
    return Path(root) / key[:32]


def converted_model(hf_dir: Path, target: Path, system: str) -> Path:
    """`target`, converting the transformers checkpoint `hf_dir` into it first if needed (logged on stderr)."""
    if (target / "model.bin").is_file():
        return target
    from ctranslate2.converters import TransformersConverter

    print(f"system {system!r}: converting {hf_dir} to CTranslate2 (once) into {target} ...", file=sys.stderr)
    started = time.perf_counter()
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with hf_loading(system, "ct2", str(hf_dir)):
            try:
                _converter(TransformersConverter)(str(hf_dir), low_cpu_mem_usage=True).convert(str(tmp), force=True)
            except (ValueError, NotImplementedError, RuntimeError) as exc:
                raise BackendError(f"system {system!r}: CTranslate2 cannot convert {hf_dir}: "
                                   f"{str(exc).splitlines()[0]}") from None
        tmp.replace(target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (target / "model.bin").is_file():  # else another process finished the same conversion first
            raise BackendError(f"system {system!r}: cannot write the converted model to {target}: {exc}") from None
    except BackendError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"system {system!r}: converted in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return target


def _converter(base: type) -> type:
    """CTranslate2's converter, showing it M2M100's language tokens: its M2M100 loader appends them to the
    vocabulary from `special_tokens_map`, where transformers 5 no longer lists them."""

    class Converter(base):
        def load_tokenizer(self, tokenizer_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            tokenizer = super().load_tokenizer(tokenizer_class, model_name_or_path, **kwargs)
            languages = getattr(tokenizer, "lang_token_to_id", None)
            return _LanguageTokens(tokenizer, sorted(languages, key=languages.get)) if languages else tokenizer

    return Converter


class _LanguageTokens:
    """A tokenizer whose `special_tokens_map` lists `languages` as additional special tokens."""

    def __init__(self, tokenizer: Any, languages: list[str]) -> None:
        self._tokenizer = tokenizer
        self._languages = languages

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokenizer, name)

    @property
    def special_tokens_map(self) -> dict[str, Any]:
        return {**self._tokenizer.special_tokens_map, "additional_special_tokens": self._languages}


def end_tokens(hf_dir: Path, config: Any, tokenizer: Any) -> list[str]:
    """The tokens that end generation, as transformers' `generate()` would use them (generation config first)."""
    from transformers import GenerationConfig

    try:
        eos = GenerationConfig.from_pretrained(hf_dir).eos_token_id
    except OSError:
        eos = None
    if eos is None:
        eos = config.eos_token_id if config.eos_token_id is not None else tokenizer.eos_token_id
    ids = eos if isinstance(eos, list) else [eos] if eos is not None else []
    return tokenizer.convert_ids_to_tokens(ids)


def stop_token_ids(tokenizer: Any, stops: list[str]) -> list[int] | None:
    """The tokens whose text contains a stop string, when that is exactly when the generated text reaches one:
    every stop string a single ASCII character other than space and tab (one byte, so never split across tokens;
    `reached_stop` ignores leading spaces and tabs). None otherwise (stop strings are then checked on the text)."""
    if not stops or not all(len(s) == 1 and s.isascii() and s not in " \t" for s in stops):
        return None
    texts = tokenizer.batch_decode([[i] for i in range(len(tokenizer))], skip_special_tokens=True)
    return [i for i, text in enumerate(texts) if any(s in text for s in stops)]


def fallback_backend(spec: dict[str, Any]) -> Backend:
    """The `fallback` backend for a ct2 `spec`: the keys it shares, `max_new_tokens`/`beam_size` as generation."""
    from ..config.load import SYSTEM_OPTIONS

    cls = BACKENDS.get(spec["fallback"])
    known = {o.name for o in SYSTEM_OPTIONS + cls.options}
    values = {k: v for k, v in spec.items() if k in known and v is not None}
    values["backend"] = spec["fallback"]
    values["generation"] = {"max_new_tokens": spec["max_new_tokens"]} | (
        {"num_beams": spec["beam_size"]} if spec["beam_size"] > 1 else {})
    if "max_source_tokens" in known:
        values["max_source_tokens"] = spec["max_input_length"]
    loc = Located(f"system {spec['name']!r} (fallback)")
    values = validate(values, SYSTEM_OPTIONS + cls.options, loc, ())
    cls.prepare(values, loc, ())
    return cls.create(values)
