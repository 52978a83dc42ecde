"""Corpora: aligned source, references and segment ids, built by a registry of corpus types (`LOADERS`).

Importing this package registers the built-in types (files, table, wmt, hf, sacrebleu); heavy libraries are
imported only when a corpus loads.
"""

from . import files, hf, sacrebleu_sets, table, wmt  # noqa: F401  (register the corpus types)
from .base import LOADERS, Corpus, CorpusLoader
from .load import load_corpus

__all__ = ["LOADERS", "Corpus", "CorpusLoader", "load_corpus"]
