"""The wheel: the folder eval/ is installed as the package `mteval`, with every subpackage and its data files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from .conftest import ROOT


def test_wheel_holds_mteval_with_every_subpackage_and_data_file(tmp_path):
    src = tmp_path / "src"  # a copy: setuptools writes build/ and *.egg-info beside the sources
    shutil.copytree(ROOT / "eval", src / "eval", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    "-w", str(tmp_path), str(src)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("mteval-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert not [n for n in names if n.startswith("eval/")]
    packages = sorted(p.parent.relative_to(ROOT / "eval") for p in (ROOT / "eval").rglob("__init__.py"))
    assert len(packages) >= 9
    for package in packages:
        assert f"mteval/{package.as_posix()}/__init__.py".replace("/./", "/") in names, package
    data = [p.relative_to(ROOT / "eval").as_posix() for p in (ROOT / "eval").rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert data, "no package data found"
    for name in data:
        assert f"mteval/{name}" in names, name
    assert "entry_points.txt" in {n.rsplit("/", 1)[-1] for n in names}
