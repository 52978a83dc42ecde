"""Metric registry. Importing this package registers the sacreBLEU metrics."""

from . import sacre  # noqa: F401  (registers bleu, chrf, chrf++, ter)
from .base import METRICS, Metric, make_metrics

__all__ = ["METRICS", "Metric", "make_metrics"]
