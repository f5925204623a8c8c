"""The engine never imports Textual (nor YAML): the UI/logic split is enforced here."""

import subprocess
import sys


def test_engine_imports_neither_textual_nor_yaml():
    code = ("import sys, kissgame.engine; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'yaml')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_check_and_explore_never_import_textual():
    code = ("import sys, kissgame.checker, kissgame.explorer, kissgame.recording, "
            "kissgame.__main__; print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---- the import graph of the whole package ----

import ast  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "kissgame"


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["kissgame", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (anywhere in the file, lazy ones too)."""
    names = module_names()
    graph: dict[str, set[str]] = {name: set() for name in names}
    for name, path in names.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                # ``from pkg import sub`` imports the submodule; ``from mod import name``
                # the module (as grimp and import-linter count them).
                subs = [f"{base}.{alias.name}" for alias in node.names]
                targets = [t for t in subs if t in names] or [base]
            for target in targets:
                if target in names and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_imports():
    graph = import_graph()
    assert "kissgame.tui.screens.play" in graph["kissgame.tui.app"]
    assert "kissgame.engine.runtime" in graph["kissgame.session"] or \
        "kissgame.engine" in graph["kissgame.session"]
    # A cycle made up here is found (the detector can fail).
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_anywhere_in_the_package():
    assert cycles(import_graph()) == []


def test_no_screen_imports_the_app_module():
    graph = import_graph()
    importers = [m for m, targets in graph.items() if "kissgame.tui.app" in targets]
    assert all(not m.startswith("kissgame.tui.") for m in importers), importers


def test_import_linter_contracts_are_kept():
    pytest.importorskip("importlinter")
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint is not None
    out = subprocess.run([lint, "--no-cache"], capture_output=True, text=True,
                         cwd=PACKAGE.parents[1])
    assert out.returncode == 0, out.stdout + out.stderr
    assert " 0 broken" in out.stdout


def test_the_session_runs_without_textual_or_rich():
    code = ("import sys, kissgame.session; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
