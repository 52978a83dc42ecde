"""Evaluation configs: safe YAML with line numbers, ${VAR} expansion, --set overrides, schema validation."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, MtevalError
from .schema import NAME_CHARS, REQUIRED, Located, Option, unknown_key, valid_name, validate

DEFAULT_METRICS = ["bleu", "chrf", "chrf++", "ter"]

SIGNIFICANCE_OPTIONS = [
    Option("bootstrap", "int", "Paired bootstrap resamples (0: no CIs, p-values or clusters).", default=1000,
           example=1000),
    Option("ar", "int", "Paired approximate-randomisation trials for `p_value_ar` (0: off).", default=0,
           example=10000),
    Option("seed", "int", "Random seed (as SACREBLEU_SEED; same seed and counts give sacreBLEU's numbers).",
           default=12345, example=12345),
    Option("baseline", "str", "System the p-values compare against (default: each metric's best system).",
           default=None, example="opus-mt"),
    Option("alpha", "float", "Significance level for the clusters.", default=0.05, example=0.05),
]

FLAGS_OPTIONS = [
    Option("detectors", "list[str]", "Flag detectors to run (default: every detector but `embedding` and "
           "`surprisal`; see `mteval flag --help`).", default=None, example=["broken-sentence", "number", "mistranslation"]),
    Option("glossary", "str", "Glossary TSV for the `glossary` detector: source term, tab, allowed forms split by bars.",
           default=None, example="corpora/xinhua-2021-04-13/glossary.tsv"),
    Option("corpora", "list[str]", "Only flag these corpora (default: all); e.g. one of several corpora that score the "
           "same outputs against different references.", default=None, example=["wmt22-refAB"]),
]

TOP_OPTIONS = [
    Option("name", "str", "Run name; also names the default run folder.", default=None, example="seed"),
    Option("output", "str", "Run folder (default `results/<name>`).", default=None, example="results/seed"),
    Option("corpora", "list", "Corpora to evaluate (see the corpus keys).", example=[{"name": "xinhua"}]),
    Option("systems", "list", "Systems to evaluate on every corpus (see the system keys).",
           example=[{"name": "xinhua-mt", "backend": "file"}]),
    Option("metrics", "list", "Metrics to compute: names, or mappings with `name` and the metric's options (see "
           "the metric keys).", default=list(DEFAULT_METRICS),
           example=["bleu", "chrf", {"name": "comet", "model": "Unbabel/wmt22-comet-da"}]),
    Option("report", "bool", "Write report.html into the run folder.", default=True, example=False),
    Option("cache", "any", "Translation cache (SQLite file) shared by runs; default `<run folder's parent>/.cache/"
           "translations.sqlite`; `false` disables it.", default=None, example="results/.cache/translations.sqlite"),
    Option("significance", "dict", "Bootstrap 95% CIs, paired p-values and significance clusters per metric "
           "(see the significance keys).", default={}, example={"bootstrap": 1000, "ar": 10000},
           fields=tuple(SIGNIFICANCE_OPTIONS)),
    Option("flags", "dict", "Flag stage: detectors and glossary (see the flags keys); writes flags.jsonl.",
           default={}, example={"glossary": "corpora/xinhua-2021-04-13/glossary.tsv"}, fields=tuple(FLAGS_OPTIONS)),
]

CORPUS_OPTIONS = [
    Option("name", "str", "Corpus name (letters, digits, . _ -).", example="xinhua"),
    Option("type", "str", "Corpus loader.", default="files", example="files"),
    Option("limit", "int", "Only the first N segments (for quick trials).", default=None, example=100),
    Option("empty", "str", "Empty source/reference segments: `warn` (keep them) or `reject` (error).",
           default="warn", example="reject", choices=("warn", "reject")),
]

SYSTEM_OPTIONS = [
    Option("name", "str", "System name (letters, digits, . _ -).", example="opus-mt"),
    Option("backend", "str", "Translation backend.", example="file"),
    Option("corpora", "list[str]", "Only run on these corpora (default: all).", default=None,
           example=["xinhua"]),
]

METRIC_NAME = Option("name", "str", "Metric name.", example="comet")

_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass
class Config:
    """A validated config: `data` holds every key with defaults filled in; `loc` locates keys in files."""

    path: str
    data: dict[str, Any]
    loc: Located

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def output(self) -> Path:
        return Path(self.data["output"])

    @property
    def corpora(self) -> list[dict[str, Any]]:
        return self.data["corpora"]

    @property
    def systems(self) -> list[dict[str, Any]]:
        return self.data["systems"]

    @property
    def metrics(self) -> list[str | dict[str, Any]]:
        """`metrics:` items: names, or mappings with `name` and options (see `mteval.metrics.make_metrics`)."""
        return self.data["metrics"]

    def sha256(self) -> str:
        """Hash of the resolved config (defaults and overrides applied)."""
        blob = json.dumps(self.data, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()


def _expand(value: str, origin: str) -> str:
    def sub(m: re.Match) -> str:
        var, default = m.group(1), m.group(2)
        if var in os.environ:
            return os.environ[var]
        if default is not None:
            return default
        raise ConfigError(f"{origin}: environment variable ${{{var}}} is not set and has no default")

    return _VAR_RE.sub(sub, value)


_PLAIN_TAGS = {yaml.MappingNode: "tag:yaml.org,2002:map", yaml.SequenceNode: "tag:yaml.org,2002:seq"}


class _Builder:
    """Builds plain data from a composed YAML node (PyYAML's safe scalar constructors only), recording lines."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.origins: dict[tuple, str] = {}
        self.scalars = yaml.constructor.SafeConstructor()
        self.open: set[int] = set()  # nodes being built: an alias back into one of them is a cycle

    def build(self, node: yaml.Node, path: tuple = ()) -> Any:
        origin = f"{self.file}:{node.start_mark.line + 1}"
        self.origins[path] = origin
        if isinstance(node, yaml.ScalarNode):
            value = self.scalars.construct_object(node)
            if isinstance(value, str):
                return _expand(value, origin)
            # dates and binary stay as written: config data is plain JSON
            return value if value is None or isinstance(value, (bool, int, float)) else node.value
        if node.tag != _PLAIN_TAGS[type(node)]:
            raise ConfigError(f"{origin}: unsupported YAML tag {node.tag!r} (plain mappings, lists and scalars only)")
        if id(node) in self.open:
            raise ConfigError(f"{origin}: recursive YAML alias")
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(v, path + (i,)) for i, v in enumerate(node.value)]
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                where = f"{self.file}:{key_node.start_mark.line + 1}"
                key = self.scalars.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
                if not isinstance(key, str):
                    raise ConfigError(f"{where}: mapping keys must be strings")
                if key in out:
                    raise ConfigError(f"{where}: duplicate key {key!r}")
                out[key] = self.build(value_node, path + (key,))
                self.origins[path + (key,)] = where
            return out
        finally:
            self.open.discard(id(node))


def _parse_yaml(text: str, file: str) -> tuple[Any, dict[tuple, str]]:
    """Parse YAML safely (plain data only) and record the line of every key and list item."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else file
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: YAML syntax error: {problem}") from None
    if node is None:
        raise ConfigError(f"{file}: config is empty")
    builder = _Builder(file)
    try:
        return builder.build(node), builder.origins
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{file}:{mark.line + 1}" if mark else file
        raise ConfigError(f"{where}: {exc.problem}") from None


def _list_index(items: list, parts: list[str], i: int) -> tuple[int, int]:
    """(index, parts used) of the list item named by parts[i:]: an index, or a `name` (which may contain dots)."""
    if parts[i].isdigit() and int(parts[i]) < len(items):
        return int(parts[i]), 1
    names = [x.get("name") if isinstance(x, dict) else None for x in items]
    for used in range(len(parts) - i, 0, -1):  # the longest dotted name first
        name = ".".join(parts[i:i + used])
        if name in names:
            return names.index(name), used
    raise KeyError(parts[i])


def _apply_override(data: dict[str, Any], item: str, origins: dict[tuple, str]) -> None:
    """Apply one `--set a.b.c=value` (list items by index or by their `name`); value is parsed as YAML."""
    key, sep, raw = item.partition("=")
    if not sep or not key:
        raise ConfigError(f"--set {item}: expected KEY=VALUE")
    try:
        value = yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError:
        value = raw
    parts = key.split(".")
    parent: Any = None
    node: Any = data
    path: tuple = ()
    i = 0
    while i < len(parts):
        if isinstance(node, list):
            try:
                step, used = _list_index(node, parts, i)
            except KeyError:
                names = [x["name"] for x in node if isinstance(x, dict) and isinstance(x.get("name"), str)]
                known = f" (names: {', '.join(names)}; or an index 0-{len(node) - 1})" if names else ""
                raise ConfigError(f"--set {item}: no list item {parts[i]!r} under {'.'.join(parts[:i])}"
                                  f"{known}") from None
        elif isinstance(node, dict):
            step, used = parts[i], 1
            node.setdefault(step, {} if i + used < len(parts) else None)
        else:
            raise ConfigError(f"--set {item}: {'.'.join(parts[:i])} is not a mapping or list")
        parent, path, i = node, path + (step,), i + used
        node = node[step]
    parent[path[-1]] = value
    for located in [p for p in origins if p[:len(path)] == path]:  # the old value's lines no longer apply
        del origins[located]
    origins[path] = f"--set {key}"


def _check_names(items: list[dict[str, Any]], what: str, loc: Located, path: tuple) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        name = item["name"]
        if not valid_name(name):
            raise loc.error(path + (i, "name"), f"invalid {what} name {name!r} (use {NAME_CHARS})")
        if name in seen:
            raise loc.error(path + (i, "name"), f"duplicate {what} name {name!r}")
        seen.add(name)


def _check_metrics(items: list, loc: Located, registry: Any) -> list[str | dict[str, Any]]:
    """Validate `metrics:` items (a name, or a mapping with `name` and the metric's options); mappings come back
    with their defaults filled in."""
    resolved: list[str | dict[str, Any]] = []
    names: list[str] = []
    for i, item in enumerate(items):
        path = ("metrics", i)
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str):
            raise loc.error(path, f"expected a metric name or a mapping with `name`, got {item!r}")
        if name not in registry:
            raise loc.error(path, f"unknown metric {name!r} (known: {', '.join(registry.names())})")
        if name in names:
            raise loc.error(path, f"duplicate metric {name!r}")
        names.append(name)
        cls = registry.get(name)
        if isinstance(item, dict):
            item = validate(item, [METRIC_NAME, *cls.options], loc, path)
        elif any(o.required for o in cls.options):
            missing = ", ".join(o.name for o in cls.options if o.required)
            raise loc.error(path, f"metric {name!r} needs options ({missing}): write {{name: {name}, ...}}")
        resolved.append(item)
    return resolved


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    """Load, expand, override and validate a config file; raises `ConfigError` naming file, line and key."""
    from ..corpus.base import LOADERS
    from ..metrics import METRICS
    from ..systems import BACKENDS
    from ..textio import read_text

    file = str(path)
    try:
        text = read_text(path)
    except MtevalError as exc:
        raise ConfigError(str(exc)) from None
    raw, origins = _parse_yaml(text, file)
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}:1: the config must be a mapping with corpora, systems and metrics")
    for item in overrides or []:
        _apply_override(raw, item, origins)
    loc = Located(file, origins)
    data = validate(raw, TOP_OPTIONS, loc, ())
    data["name"] = data["name"] or Path(file).stem
    data["output"] = data["output"] or f"results/{data['name']}"
    for section, what, common, registry, key in (
        ("corpora", "corpus", CORPUS_OPTIONS, LOADERS, "type"),
        ("systems", "system", SYSTEM_OPTIONS, BACKENDS, "backend"),
    ):
        found_systems = section == "systems" and any(LOADERS.get(c["type"]).provides_systems for c in data["corpora"])
        if not data[section] and not found_systems:
            raise loc.error((section,), "must list at least one item")
        resolved = []
        for i, item in enumerate(data[section]):
            path = (section, i)
            if not isinstance(item, dict):
                raise loc.error(path, f"expected a mapping, got {type(item).__name__}")
            kind = item.get(key, next(o.default for o in common if o.name == key))
            if kind is REQUIRED:  # e.g. `backnd: file`: name the misspelt key rather than a missing one
                close = [k for k in item if difflib.get_close_matches(str(k), [key], n=1) and k != key]
                if close:
                    raise loc.error(path + (close[0],), unknown_key(str(close[0]), [o.name for o in common]))
                raise loc.error(path + (key,), f"missing required key (known {key}s: {', '.join(registry.names())})")
            if not isinstance(kind, str):
                raise loc.error(path + (key,), f"expected str, got {type(kind).__name__} {kind!r}")
            if kind not in registry:
                raise loc.error(path + (key,), f"unknown {key} {kind!r} (known: {', '.join(registry.names())})")
            cls = registry.get(kind)
            values = validate(item, common + cls.options, loc, path)
            cls.prepare(values, loc, path)
            resolved.append(values)
        _check_names(resolved, what, loc, (section,))
        data[section] = resolved
    corpus_names = {c["name"] for c in data["corpora"]}
    for i, system in enumerate(data["systems"]):
        for name in system["corpora"] or []:
            if name not in corpus_names:
                raise loc.error(("systems", i, "corpora"), f"no corpus named {name!r}")
    for i, name in enumerate((data["flags"] or {}).get("corpora") or []):
        if name not in corpus_names:
            raise loc.error(("flags", "corpora", i), f"no corpus named {name!r}")
    data["metrics"] = _check_metrics(data["metrics"], loc, METRICS)
    from ..metrics.significance import Settings

    try:
        Settings(**data["significance"])
    except ConfigError as exc:
        raise loc.error(("significance",), str(exc).removeprefix("significance: ")) from None
    if data["flags"]:
        from ..flags import check_config

        check_config(data["flags"], loc)
        _check_metric_detectors(data, loc, METRICS)
    return Config(file, data, loc)


def _check_metric_detectors(data: dict[str, Any], loc: Located, registry: Any) -> None:
    """A flag detector fed by a metric's outputs (`xcomet`) needs that metric in `metrics:`."""
    feeds = {cls.detector: name for name in registry.names() if (cls := registry.get(name)).detector}
    configured = {item["name"] if isinstance(item, dict) else item for item in data["metrics"]}
    for i, detector in enumerate(data["flags"].get("detectors") or []):
        if detector in feeds and feeds[detector] not in configured:
            raise loc.error(("flags", "detectors", i), f"flag detector {detector!r} comes with the {feeds[detector]!r} "
                                                       f"metric: add it to `metrics:`")
