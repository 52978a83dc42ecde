"""Metric registry. Importing this package registers the sacreBLEU metrics, `flags-mqm` and the (lazily loaded)
neural ones: the COMET family and MetricX."""

from . import comet, flags_mqm, metricx, sacre  # noqa: F401  (registers bleu, chrf, chrf++, ter, flags-mqm, comet, cometkiwi, xcomet, metricx, metricx-qe)
from .base import METRICS, Metric, SegmentMetric, make_metrics

__all__ = ["METRICS", "Metric", "SegmentMetric", "make_metrics"]
