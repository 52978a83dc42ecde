"""mteval: machine-translation quality evaluation (translate, score with sacreBLEU, flag, inspect)."""

from .api import run, score, score_files
from .config import Config, load_config
from .errors import BackendError, ConfigError, CorpusError, MetricError, MtevalError, RunError
from .flags.api import flag

__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "Config",
    "ConfigError",
    "CorpusError",
    "MetricError",
    "MtevalError",
    "RunError",
    "flag",
    "load_config",
    "run",
    "score",
    "score_files",
]
