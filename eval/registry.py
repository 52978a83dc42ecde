"""A small name → object registry, shared by backends, corpus loaders, metrics and flag detectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from .errors import MtevalError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to registered objects; unknown names raise `error` listing the known ones."""

    def __init__(self, kind: str, error: type[MtevalError] = MtevalError) -> None:
        self.kind = kind
        self.error = error
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator registering an object under `name` (names are unique)."""

        def add(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        return add

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items))
            raise self.error(f"unknown {self.kind} {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items
