"""Offline detection for loaders that download: fail fast, before any slow network call."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

OFFLINE_VARS = ("MTEVAL_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE")


def offline_var(names: tuple[str, ...] = OFFLINE_VARS) -> str | None:
    """The first of `names` set to a true value ("1", "true", "yes", "on"), or None."""
    for var in names:
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return var
    return None


def unreachable(url: str, timeout: float = 1.0, names: tuple[str, ...] = OFFLINE_VARS) -> str | None:
    """Why `url`'s host cannot be reached (one of the offline variables `names` set, DNS failure, no
    connection), or None if it can."""
    var = offline_var(names)
    if var:
        return f"offline mode ({var}={os.environ[var]})"
    parsed = urlparse(url)
    host = parsed.hostname or url
    port = parsed.port or (80 if parsed.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        return f"cannot reach {host} ({exc.strerror or exc})"
    return None
