"""mteval: machine-translation quality evaluation (translate, score with sacreBLEU, flag, inspect).

The public API is what this module exports (`__all__`); everything else in the package is internal:

- `load_config(path, overrides)` → `Config`; `run(config_or_path, overrides, stages)` → `Run`, and `Run.open(path)`
  for an existing run folder (`.scores`, `.leaderboard()`, `.segments()`, `.flags()`, `.manifest`, `.root`);
- `score(hypotheses, references, metrics, tgt_lang, significance)` and `score_files(...)`: sacreBLEU scores with
  signatures; `Settings(bootstrap, ar, seed, baseline, alpha)` asks for CIs, p-values and clusters;
- `flag(sources, hypotheses, references, others, src_lang, tgt_lang)`: flagged spans of one system's output;
- errors: every user-caused problem raises a subclass of `MtevalError` with a one-line message.

See docs/api.md.
"""

from .api import run, score, score_files
from .config import Config, load_config
from .errors import BackendError, ConfigError, CorpusError, MetricError, MtevalError, RunError
from .flags.api import flag
from .results import Run
from .significance import Settings

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
    "flag",
    "load_config",
    "run",
    "score",
    "score_files",
]
