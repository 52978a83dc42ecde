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


def _module_imports(path, name: str, is_pkg: bool, modules: set[str]) -> set[str]:
    """Package modules that `name` imports when it is imported (module-level statements, not those inside
    functions or `if TYPE_CHECKING:`)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if is_pkg else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.If | ast.Try | ast.With):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, field, []):
                        visit(child.body if isinstance(child, ast.ExceptHandler) else [child])
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target in modules:
                    found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in modules)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name in modules)

    visit(tree.body)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports at import time."""
    import importlib.util

    names = {m.name: m.ispkg for m in pkgutil.walk_packages(mteval.__path__, "mteval.")}
    names["mteval"] = True
    files = {}
    for name in names:
        spec = importlib.util.find_spec(name)
        files[name] = spec.origin
    from pathlib import Path

    return {name: _module_imports(Path(files[name]), name, names[name], set(names)) for name in names}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            strong(v)
    return out


def test_no_import_cycle_inside_the_package():
    graph = import_graph()
    assert len(graph) > 40
    assert "mteval.corpus.base" in graph["mteval.systems.base"]  # the graph sees real edges
    assert cycles(graph) == []


def test_cycle_detector_finds_a_planted_cycle():
    graph = import_graph()
    graph["mteval.corpus.base"] = graph["mteval.corpus.base"] | {"mteval.systems.outputs"}
    assert any({"mteval.corpus.base", "mteval.systems.outputs"} <= set(c) for c in cycles(graph))


def test_import_mteval_does_not_load_torch_or_transformers():
    code = ("import sys, mteval, mteval.cli, mteval.api, mteval.runs.reader, mteval.systems, mteval.metrics, "
            "mteval.flags, mteval.corpus, mteval.report.html\n"
            "print(sorted(m for m in ('torch', 'transformers', 'datasets', 'ctranslate2') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=True)
    assert proc.stdout.strip() == "[]"
