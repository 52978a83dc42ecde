"""The config reference (docs/config-reference.md), generated from the option schemas so it cannot drift.

Regenerate with `python -m mteval.config.reference > docs/config-reference.md`; a test checks the file is current.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from .schema import Option


def _value(value: object) -> str:
    if value is None:
        return "—"
    return "`" + json.dumps(value, ensure_ascii=False) + "`"


def _rows(options: Sequence[Option], prefix: str = "") -> list[str]:
    lines = []
    for o in options:
        default = "**required**" if o.required else _value(None if o.fields else o.default)
        doc = o.doc + (f" One of: {', '.join(f'`{c}`' for c in o.choices)}." if o.choices else "")
        lines.append(f"| `{prefix}{o.name}` | {o.type} | {default} | {_value(o.example)} | {doc} |")
        lines += _rows(o.fields, f"{prefix}{o.name}.")
    return lines


def _table(options: Sequence[Option]) -> list[str]:
    return ["| key | type | default | example | meaning |", "|---|---|---|---|---|", *_rows(options)]


def config_reference() -> str:
    """Markdown for every config key: top level, each corpus type and each backend."""
    from ..corpus.base import LOADERS
    from ..metrics import METRICS
    from ..systems import BACKENDS
    from .load import CORPUS_OPTIONS, SYSTEM_OPTIONS, TOP_OPTIONS

    out = ["# Config reference", "",
           "Generated from the option schemas in `eval/` (`python -m mteval.config.reference`); do not edit by hand.",
           "Strings may use `${VAR}` or `${VAR:-default}`; `mteval run CONFIG --set KEY=VALUE` overrides any key",
           "(list items by index or by `name`, e.g. `--set systems.gemma.batch_size=4`).", "",
           "## Top level", "", *_table(TOP_OPTIONS), "",
           "## Corpora (`corpora:` items)", "", "Keys every corpus has:", "", *_table(CORPUS_OPTIONS), ""]
    for name in LOADERS.names():
        cls = LOADERS.get(name)
        out += [f"### `type: {name}`", "", (cls.__doc__ or "").strip().splitlines()[0], "", *_table(cls.options), ""]
    out += ["## Systems (`systems:` items)", "", "Keys every system has:", "", *_table(SYSTEM_OPTIONS), ""]
    for name in BACKENDS.names():
        cls = BACKENDS.get(name)
        out += [f"### `backend: {name}`", "", (cls.__doc__ or "").strip().splitlines()[0], "",
                *_table(cls.options), ""]
    out += ["## Metrics (`metrics:` items)", "",
            "A metric is a name (`bleu`) or a mapping with `name` and the metric's keys below.", ""]
    for name in METRICS.names():
        cls = METRICS.get(name)
        if cls.options:
            out += [f"### `name: {name}`", "", (cls.__doc__ or "").strip().splitlines()[0], "",
                    *_table(cls.options), ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(config_reference(), end="")
