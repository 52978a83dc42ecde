"""Declarative option schemas: configs are validated against them and the config reference is generated from them."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError

NAME_CHARS = "letters, digits, . _ + -"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def valid_name(name: str) -> bool:
    """System and corpus names: a letter or digit, then letters, digits, `. _ + -` (no path can leave the run
    folder)."""
    return bool(_NAME_RE.match(name))


REQUIRED: Any = object()

_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
    "list[str]": (list,),
    "str|list[str]": (str, list),
    "any": (object,),
}


@dataclass(frozen=True)
class Option:
    """One config key: its type (a name from `_TYPES`), default (or REQUIRED), a one-line doc and an example.

    A `dict` option with `fields` is validated key by key against them (unknown sub-keys are errors).
    """

    name: str
    type: str
    doc: str
    default: Any = REQUIRED
    example: Any = None
    choices: tuple[str, ...] = ()
    fields: tuple[Option, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


class Located:
    """Where values came from: maps a key path (tuple of keys and indices) to 'file:line' or '--set KEY'."""

    def __init__(self, file: str, origins: dict[tuple, str] | None = None) -> None:
        self.file = file
        self.origins = origins if origins is not None else {}

    def where(self, path: tuple) -> str:
        """The origin of `path`, falling back to its nearest located parent, then to the file."""
        p = path
        while p and p not in self.origins:
            p = p[:-1]
        return self.origins.get(p, self.file)

    def error(self, path: tuple, message: str) -> ConfigError:
        key = ".".join(str(k) for k in path) or "(top level)"
        return ConfigError(f"{self.where(path)}: {key}: {message}")


def unknown_key(key: str, known: Sequence[str]) -> str:
    """`unknown key; did you mean 'x'? (known keys here: ...)`."""
    import difflib

    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key{hint} (known keys here: {', '.join(sorted(known))})"


def _type_ok(value: Any, type_name: str) -> bool:
    if type_name in ("int", "float") and isinstance(value, bool):
        return False
    if not isinstance(value, _TYPES[type_name]):
        return False
    if type_name == "list[str]" or (type_name == "str|list[str]" and isinstance(value, list)):
        return all(isinstance(v, str) for v in value)
    return True


def validate(
    values: Mapping[str, Any], options: Sequence[Option], loc: Located, path: tuple
) -> dict[str, Any]:
    """Check `values` against `options` and return them with defaults filled in.

    Unknown keys, wrong types, bad choices and missing required keys raise `ConfigError` with file:line.
    """
    if not isinstance(values, Mapping):
        raise loc.error(path, f"expected a mapping, got {type(values).__name__}")
    by_name = {o.name: o for o in options}
    for key in values:
        if key not in by_name:
            raise loc.error(path + (key,), unknown_key(str(key), by_name))
    out: dict[str, Any] = {}
    for opt in options:
        if opt.name not in values:
            if opt.required:
                raise loc.error(path + (opt.name,), "missing required key")
            default = copy.deepcopy(opt.default)  # never share a mutable default between configs
            if opt.fields and default is not None:
                default = validate(default, opt.fields, loc, path + (opt.name,))
            out[opt.name] = default
            continue
        value = values[opt.name]
        if value is None and opt.default is None:  # `key: null` for an optional key means its default
            out[opt.name] = None
            continue
        if not _type_ok(value, opt.type):
            raise loc.error(path + (opt.name,), f"expected {opt.type}, got {type(value).__name__} {value!r}")
        if opt.choices and value not in opt.choices:
            raise loc.error(path + (opt.name,), f"{value!r} is not one of {', '.join(opt.choices)}")
        if opt.fields and value is not None:
            value = validate(value, opt.fields, loc, path + (opt.name,))
        out[opt.name] = value
    return out
