"""The `generation:` keys of the transformers backends (arguments of `generate()`), checked when the config
loads so that a typo fails with file:line and the known keys before any model is loaded."""

from __future__ import annotations

from typing import Any

from ..config.schema import Located, Option, validate

GENERATION_OPTIONS: tuple[Option, ...] = (
    Option("max_new_tokens", "int", "Most tokens generated per segment.", default=None, example=256),
    Option("min_new_tokens", "int", "Fewest tokens generated per segment.", default=None, example=1),
    Option("max_length", "int", "Most tokens of prompt + output.", default=None, example=512),
    Option("min_length", "int", "Fewest tokens of prompt + output.", default=None, example=0),
    Option("num_beams", "int", "Beam size (1: greedy).", default=None, example=4),
    Option("num_beam_groups", "int", "Diverse beam search groups.", default=None, example=1),
    Option("diversity_penalty", "float", "Diverse beam search penalty.", default=None, example=0.0),
    Option("early_stopping", "any", "Beam search stop rule: true, false or \"never\".", default=None, example=True),
    Option("length_penalty", "float", "Beam score length exponent.", default=None, example=1.0),
    Option("do_sample", "bool", "Sample instead of greedy/beam search.", default=None, example=False),
    Option("temperature", "float", "Sampling temperature.", default=None, example=0.7),
    Option("top_k", "int", "Sample from the k most likely tokens.", default=None, example=50),
    Option("top_p", "float", "Nucleus sampling mass.", default=None, example=0.9),
    Option("typical_p", "float", "Typical sampling mass.", default=None, example=0.9),
    Option("min_p", "float", "Minimum token probability relative to the top token.", default=None, example=0.05),
    Option("epsilon_cutoff", "float", "Epsilon sampling cutoff.", default=None, example=3e-4),
    Option("eta_cutoff", "float", "Eta sampling cutoff.", default=None, example=3e-4),
    Option("repetition_penalty", "float", "Penalty on repeated tokens (1: none).", default=None, example=1.1),
    Option("no_repeat_ngram_size", "int", "Never repeat n-grams of this size.", default=None, example=3),
    Option("encoder_no_repeat_ngram_size", "int", "Never copy source n-grams of this size.", default=None,
           example=3),
    Option("bad_words_ids", "list", "Token id sequences never generated.", default=None, example=[[0]]),
    Option("suppress_tokens", "list", "Token ids never generated.", default=None, example=[0]),
    Option("begin_suppress_tokens", "list", "Token ids never generated first.", default=None, example=[0]),
    Option("forced_bos_token_id", "int", "Token forced first (e.g. an NLLB language code).", default=None,
           example=0),
    Option("forced_eos_token_id", "int", "Token forced at the length limit.", default=None, example=1),
    Option("eos_token_id", "any", "End-of-sequence token id(s).", default=None, example=1),
    Option("pad_token_id", "int", "Padding token id.", default=None, example=0),
    Option("renormalize_logits", "bool", "Renormalise after logits processors.", default=None, example=True),
    Option("remove_invalid_values", "bool", "Replace nan/inf logits.", default=None, example=True),
    Option("use_cache", "bool", "Use the key/value cache.", default=None, example=True),
    Option("max_time", "float", "Seconds allowed per batch.", default=None, example=60.0),
)
"""The keys `generation:` accepts (one output per segment: `num_return_sequences` is not among them)."""

_AT_LEAST_ONE = ("max_new_tokens", "max_length", "num_beams", "num_beam_groups", "top_k", "no_repeat_ngram_size",
                 "encoder_no_repeat_ngram_size")


def check_generation(values: dict[str, Any], options: tuple[Option, ...], loc: Located, path: tuple) -> None:
    """Unknown keys, wrong types and out-of-range numbers raise `ConfigError` at the key's file:line."""
    validate(values, options, loc, path)
    for key, value in values.items():
        if key in _AT_LEAST_ONE and value < 1:
            raise loc.error(path + (key,), "must be at least 1")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise loc.error(path + (key,), "must not be negative")
        if key in ("temperature",) and value == 0 and values.get("do_sample"):
            raise loc.error(path + (key,), "must be positive when do_sample is true")
