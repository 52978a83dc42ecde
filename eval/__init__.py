"""mteval: machine-translation quality evaluation (translate, score with sacreBLEU, flag, inspect).

The public API is what this module exports (`__all__`); everything else in the package is internal:

- `load_config(path, overrides)` → `Config`; `run(config_or_path, overrides, stages)` → `Run`, and `Run.open(path)`
  for an existing run folder (`.scores`, `.leaderboard()`, `.segments()`, `.flags()`, `.manifest`, `.root`);
- `score(hypotheses, references, metrics, tgt_lang, significance)` and `score_files(...)`: sacreBLEU scores with
  signatures; `Settings(bootstrap, ar, seed, baseline, alpha)` asks for CIs, p-values and clusters;
- `flag(sources, hypotheses, references, others, src_lang, tgt_lang)`: flagged spans of one system's output;
- `leaderboard(run_dirs, corpora, metric, format)`: several run folders merged into one leaderboard;
- `correlate(run, human, level, ...)` → `Correlation`: agreement of a run's metrics with human scores (MQM, DA);
- errors: every user-caused problem raises a subclass of `MtevalError` with a one-line message.

See docs/api.md.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import BackendError, ConfigError, CorpusError, MetricError, MtevalError, RunError

if TYPE_CHECKING:
    from .api import leaderboard, run, score, score_files
    from .config import Config, load_config
    from .flags.api import flag
    from .metrics.correlation import correlate
    from .metrics.significance import Settings
    from .runs.reader import Run

# Imported on first use, so that `mteval --help`, `score` and `inspect` load only what they need.
_LAZY = {"run": ".api", "score": ".api", "score_files": ".api", "leaderboard": ".api", "Config": ".config",
         "load_config": ".config", "flag": ".flags.api", "Run": ".runs.reader",
         "Settings": ".metrics.significance", "correlate": ".metrics.correlation"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "Config",
    "ConfigError",
    "CorpusError",
    "MetricError",
    "MtevalError",
    "Run",
    "RunError",
    "Settings",
    "correlate",
    "flag",
    "leaderboard",
    "load_config",
    "run",
    "score",
    "score_files",
]
