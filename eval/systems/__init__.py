"""Backend registry. Backends import heavy libraries (torch, transformers) only when they translate."""

from . import ct2, file, hf_causal, hf_seq2seq, openai_compat  # noqa: F401  (registers the backends)
from .base import BACKENDS, Backend

__all__ = ["BACKENDS", "Backend"]
