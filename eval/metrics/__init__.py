"""Metric registry. Importing this package registers the sacreBLEU metrics and the (lazily loaded) COMET family."""

from . import comet, sacre  # noqa: F401  (registers bleu, chrf, chrf++, ter, comet, cometkiwi, xcomet)
from .base import METRICS, Metric, SegmentMetric, make_metrics

__all__ = ["METRICS", "Metric", "SegmentMetric", "make_metrics"]
