"""A small name → object registry, shared by backends, corpus loaders, metrics and flag detectors.

Other installed packages add entries through entry points (as pytest and lm-evaluation-harness plugins do): an
entry point in group `mteval.backends`, `mteval.metrics`, `mteval.detectors` or `mteval.loaders` names a class,
registered under the entry point's name, or a module that registers its classes when imported. Entry points are
read on the first lookup of a name that is not built in, so startup stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Generic, TypeVar

from .errors import MtevalError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to registered objects; unknown names raise `error` listing the known ones."""

    def __init__(self, kind: str, error: type[MtevalError] = MtevalError, group: str | None = None) -> None:
        self.kind = kind
        self.error = error
        self.group = group
        """Entry-point group whose plugins join this registry."""
        self._items: dict[str, T] = {}
        self._plugins_loaded = group is None

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator registering an object under `name` (names are unique)."""

        def add(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        return add

    def get(self, name: str) -> T:
        if name not in self._items:
            self.load_plugins()
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items))
            raise self.error(f"unknown {self.kind} {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        self.load_plugins()
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        if name not in self._items:
            self.load_plugins()
        return name in self._items

    def load_plugins(self) -> None:
        """Register the entry points of `group` once (a failing plugin is an error naming it)."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=self.group):
            if ep.name in self._items:
                continue
            try:
                obj = ep.load()
            except Exception as exc:  # noqa: BLE001  (a broken plugin must not look like an unknown name)
                raise self.error(f"{self.kind} plugin {ep.name!r} ({ep.value}, entry point group {self.group}) "
                                 f"failed to load: {type(exc).__name__}: {exc}") from None
            if ep.name in self._items:  # the module registered itself
                continue
            if isinstance(obj, ModuleType):
                raise self.error(f"{self.kind} plugin {ep.name!r} ({ep.value}): the module registers no "
                                 f"{self.kind} named {ep.name!r}")
            self._items[ep.name] = obj
