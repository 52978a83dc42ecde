"""Evaluation configs: YAML with line numbers, overrides, and validation against the option schemas."""

from .load import DEFAULT_METRICS, Config, load_config

__all__ = ["DEFAULT_METRICS", "Config", "load_config"]
