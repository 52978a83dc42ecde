"""The translation cache: SQLite, keyed on backend identity + languages + source, committed after every batch."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Self

from ..errors import RunError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    key TEXT PRIMARY KEY,
    system TEXT NOT NULL,
    src_lang TEXT NOT NULL,
    tgt_lang TEXT NOT NULL,
    source TEXT NOT NULL,
    hypothesis TEXT NOT NULL
);
"""


def identity_key(identity: dict[str, Any]) -> str:
    """A stable digest of a backend identity (sorted JSON)."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def segment_key(system: str, src_lang: str, tgt_lang: str, source: str) -> str:
    return hashlib.sha256(f"{system}\x00{src_lang}\x00{tgt_lang}\x00{source}".encode()).hexdigest()


class TranslationCache:
    """Cached hypotheses. Opening checks integrity; a corrupted file is reported, never used or overwritten."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.hits = 0
        self.misses = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise RunError(f"{self.path}: cannot open the translation cache: {exc}") from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            problems = [row[0] for row in self._db.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise sqlite3.DatabaseError("; ".join(problems[:3]))
            self._db.executescript(_SCHEMA + FILE_HASHES_SCHEMA)
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise RunError(f"{self.path}: translation cache is corrupted ({exc}); delete it (or set `cache:` "
                           f"to another file) to re-translate") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_many(self, system: str, src_lang: str, tgt_lang: str, sources: list[str]) -> list[str | None]:
        """Cached hypothesis per source (None where missing); counts hits and misses."""
        keys = [segment_key(system, src_lang, tgt_lang, s) for s in sources]
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT key, hypothesis FROM translations WHERE key IN ({marks})", chunk)
            found.update(rows.fetchall())
        out = [found.get(k) for k in keys]
        hits = sum(h is not None for h in out)
        self.hits += hits
        self.misses += len(out) - hits
        return out

    def put_many(self, system: str, src_lang: str, tgt_lang: str, pairs: Iterable[tuple[str, str]]) -> None:
        """Store (source, hypothesis) pairs and commit: one transaction per batch."""
        rows = [(segment_key(system, src_lang, tgt_lang, s), system, src_lang, tgt_lang, s, h) for s, h in pairs]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO translations VALUES (?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.OperationalError as exc:  # disk full, read-only file: the transaction is rolled back
            raise RunError(f"{self.path}: cannot write the translation cache: {exc}") from None

    def count(self, system: str | None = None) -> int:
        if system is None:
            return self._db.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM translations WHERE system = ?", (system,)).fetchone()[0]

    def merge(self, other: str | Path) -> int:
        """Copy every entry of another cache file (e.g. from a shard) into this one; returns entries added."""
        src = TranslationCache(other)
        src.close()
        before = self.count()
        with self._db:
            self._db.execute("ATTACH DATABASE ? AS other", (str(other),))
        try:
            with self._db:
                self._db.execute("INSERT OR IGNORE INTO translations SELECT * FROM other.translations")
        finally:
            self._db.execute("DETACH DATABASE other")
        return self.count() - before

    def file_sha256(self, path: Path) -> str:
        """sha256 of a (large) file, memoised in this cache (see `memo_file_sha256`)."""
        return memo_file_sha256(self._db, path)


FILE_HASHES_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_hashes (
    path TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL,
    PRIMARY KEY (path, size, mtime_ns)
);
"""


def memo_file_sha256(db: sqlite3.Connection, path: Path) -> str:
    """sha256 of a (large) file, memoised in the `file_hashes` table of `db` on (path, size, ctime), so weights
    are hashed once.

    The change time, not the modification time: `cp -p`, `rsync -t` or `tar x` can give a file new content and
    its old mtime, but every write, rename or `touch` sets the ctime to now (column `mtime_ns` holds it).
    """
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_ctime_ns)
    row = db.execute("SELECT sha256 FROM file_hashes WHERE path=? AND size=? AND mtime_ns=?", key)
    hit = row.fetchone()
    if hit:
        return hit[0]
    digest = sha256_file(path)
    with db:
        db.execute("INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?)", (*key, digest))
    return digest


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def cache_path(setting: str | bool | None, output: Path) -> Path | None:
    """The cache file for a config's `cache:` value: default `<run folder's parent>/.cache/translations.sqlite`,
    `false` disables caching."""
    if setting is None or setting is True:
        return output.parent / ".cache" / "translations.sqlite"
    if setting is False:
        return None
    if not isinstance(setting, str) or not setting.strip():
        raise RunError(f"cache: expected a file path or false, got {setting!r}")
    return Path(setting)
