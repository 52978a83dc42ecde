"""The metric output cache: SQLite, keyed on model identity + segment (source, hypothesis, reference)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import MetricError
from ..systems.cache import FILE_HASHES_SCHEMA, memo_file_sha256

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outputs (key TEXT PRIMARY KEY, model TEXT NOT NULL, value TEXT NOT NULL);
"""


def output_key(model: str, segment: Sequence[str | None]) -> str:
    """Digest of a model identity and one segment's inputs (None for a missing source or reference)."""
    blob = json.dumps([model, *segment], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


class MetricCache:
    """Cached per-segment outputs (JSON values) of model-based metrics; a corrupted file is reported, never used."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            problems = [row[0] for row in self._db.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise sqlite3.DatabaseError("; ".join(problems[:3]))
            self._db.executescript(_SCHEMA + FILE_HASHES_SCHEMA)
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            raise MetricError(f"{self.path}: cannot use the metric cache ({exc}); delete it or set `cache: false`"
                              ) from None

    def close(self) -> None:
        self._db.close()

    def file_sha256(self, path: Path) -> str:
        return memo_file_sha256(self._db, path)

    def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(self._db.execute(f"SELECT key, value FROM outputs WHERE key IN ({marks})", chunk))
        return [json.loads(found[k]) if k in found else None for k in keys]

    def put_many(self, model: str, items: Sequence[tuple[str, Any]]) -> None:
        """Store (key, value) pairs in one transaction."""
        rows = [(k, model, json.dumps(v, ensure_ascii=False)) for k, v in items]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?)", rows)
        except sqlite3.OperationalError as exc:
            raise MetricError(f"{self.path}: cannot write the metric cache: {exc}") from None
