"""Shared test fixtures: offline hubs, the shared data folder, the repository root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data. Missing: the test fails in CI (`CI=true`), is skipped on a user's clone."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"shared evaluation data not found: {path}"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: the shared data must be beside the checkout)", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture
def shared() -> Path:
    """../shared/data (see `shared_path`)."""
    return shared_path()


@pytest.fixture
def seed_dir() -> Path:
    return ROOT / "corpora" / "xinhua-2021-04-13"


@pytest.fixture(scope="session")
def tiny_family(tmp_path_factory: pytest.TempPathFactory):
    """`tiny_family(name)`: the tiny trained model of a family (tests/tiny_families.py), built once per session."""
    from tests.tiny_families import save_family

    root = tmp_path_factory.mktemp("families")
    return lambda family: root / family if (root / family).is_dir() else save_family(family, root / family)
