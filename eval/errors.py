"""Typed errors. Every error a user can cause is an `MtevalError`: the CLI prints it on one line, exits 2."""

from __future__ import annotations


class MtevalError(Exception):
    """A problem with the user's input or environment, reported as one clear line."""

    exit_code = 2


class ConfigError(MtevalError):
    """The evaluation config is malformed, has unknown keys, wrong types or missing files."""


class CorpusError(MtevalError):
    """A corpus or hypothesis file is unreadable, misaligned, empty or not UTF-8."""


class BackendError(MtevalError):
    """A translation backend cannot load its model or reach its server."""


class MetricError(MtevalError):
    """An unknown metric or invalid metric input."""


class RunError(MtevalError):
    """A run folder is missing, locked, incomplete or cannot be written."""
