"""Metric registry. Importing this package registers the sacreBLEU metrics and `flags-mqm`."""

from . import flags_mqm, sacre  # noqa: F401  (registers bleu, chrf, chrf++, ter, flags-mqm)
from .base import METRICS, Metric, SegmentMetric, make_metrics

__all__ = ["METRICS", "Metric", "SegmentMetric", "make_metrics"]
