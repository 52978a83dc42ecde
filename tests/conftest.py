"""Shared test fixtures: offline hubs, the shared data folder, the repository root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture
def shared() -> Path:
    """../shared/data, or skip with the reason when this checkout has no shared folder beside it."""
    if not SHARED.is_dir():
        pytest.skip(f"shared evaluation data not found at {SHARED}")
    return SHARED


@pytest.fixture
def seed_dir() -> Path:
    return ROOT / "corpora" / "xinhua-2021-04-13"


@pytest.fixture(scope="session")
def tiny_family(tmp_path_factory: pytest.TempPathFactory):
    """`tiny_family(name)`: the tiny trained model of a family (tests/tiny_families.py), built once per session."""
    from tests.tiny_families import save_family

    root = tmp_path_factory.mktemp("families")
    return lambda family: root / family if (root / family).is_dir() else save_family(family, root / family)
