"""Metric registry. Importing this package registers the sacreBLEU metrics and MetricX."""

from . import metricx, sacre  # noqa: F401  (register metricx, metricx-qe; bleu, chrf, chrf++, ter)
from .base import METRICS, Metric, make_metrics

__all__ = ["METRICS", "Metric", "make_metrics"]
