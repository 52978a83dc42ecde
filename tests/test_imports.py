"""Every module of the package imports on its own (no import cycle hidden by the order `import mteval` used)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import mteval

from .conftest import ROOT

CHECK = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "mteval" or m.startswith("mteval.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
"""


def test_every_module_imports_first():
    names = [m.name for m in pkgutil.walk_packages(mteval.__path__, "mteval.") if not m.name.endswith("__main__")]
    assert len(names) > 40
    proc = subprocess.run([sys.executable, "-c", CHECK, *names], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
