"""The package's layering, checked: results and tracking need no OpenVINO, no import cycles.

A CI job that only compares two result files must run without the OpenVINO runtime, and
a cycle between modules is a design fault the flat package used to hide.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "perfbench"


def test_results_and_tracking_do_not_import_openvino():
    script = ("import sys\n"
              "import perfbench.results, perfbench.results.metrics, perfbench.tracking.verdict\n"
              "import perfbench.tracking.history, perfbench.tracking.exporters\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] == 'openvino'))\n")
    # Importing the perfbench package itself pulls in the Python API (runner → openvino),
    # so stop that one import: only what results/tracking need may load.
    blocker = ("import sys, types\n"
               "pkg = types.ModuleType('perfbench'); pkg.__path__ = [%r]\n"
               "sys.modules['perfbench'] = pkg\n" % str(PACKAGE))
    done = subprocess.run([sys.executable, "-c", blocker + script], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.replace("'", '"')) == []


def _imports(path: Path) -> set[str]:
    """perfbench modules imported by a file, at any depth (function-level included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("perfbench"):
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("perfbench"))
    return found


def _module_graph() -> dict[str, set[str]]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return {name: {m for m in _imports(path) if m in modules and m != name}
            for name, path in modules.items()}


def test_no_relative_imports():
    """Absolute imports only: a module's dependencies read the same wherever it lives."""
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 for node in ast.walk(ast.parse(p.read_text()))
                 if isinstance(node, ast.ImportFrom) and node.level > 0]
    assert offenders == []


def test_no_import_cycles():
    """Package __init__ re-exports aside, no module reaches itself through its imports."""
    graph = _module_graph()
    packages = {name for name in graph if (PACKAGE.parent / name.replace(".", "/")).is_dir()}
    graph = {name: deps - packages for name, deps in graph.items() if name not in packages}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack + [dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


LAYERS = ["perfbench.cli", "perfbench.report", "perfbench.reporters", "perfbench.sizing",
          "perfbench.suite",
          "perfbench.runner",
          "perfbench.measure", "perfbench.model", "perfbench.system", "perfbench.tracking",
          "perfbench.stats", "perfbench.settings", "perfbench.results"]


def test_dependencies_point_down_the_layers():
    """presentation → orchestration → measurement/model → statistics → plain data types:
    a module never imports from a layer listed above its own."""
    def layer(name: str) -> int | None:
        return next((i for i, prefix in enumerate(LAYERS)
                     if name == prefix or name.startswith(prefix + ".")), None)
    upward = [f"{name} -> {dep}" for name, deps in _module_graph().items()
              for dep in deps if layer(name) is not None and layer(dep) is not None
              and layer(dep) < layer(name)]
    assert upward == []


#: What makes a document (measures, sweeps, merges, compares): the presentation layers
#: (reporters/, report/) read the documents it returns, typed in results/, never it.
PRODUCERS = ("perfbench.runner", "perfbench.sizing", "perfbench.suite",
             "perfbench.tracking.verdict")
PRESENTATION = ("perfbench.reporters", "perfbench.report")
#: Readers of documents not typed yet: each goes when its document is a type in results/
#: (issue 25 item 1).  None left.
NOT_YET_TYPED: set[str] = set()


def test_reporters_and_report_views_import_documents_not_producers():
    """A reporter that calls its producer can compute a figure again, its own way; one
    that reads the typed document shows the figure the producer stored."""
    found = {f"{name} -> {dep}" for name, deps in _module_graph().items()
             if name.startswith(PRESENTATION) for dep in deps
             if dep.startswith(PRODUCERS)}
    assert found - NOT_YET_TYPED == set(), "a reporter or view imports a producer"
    assert NOT_YET_TYPED - found == set(), "typed now: take it off NOT_YET_TYPED"


def _function_imports_without_a_reason(path: Path) -> list[str]:
    """Imports inside functions with no comment on their line, or just above their run of
    imports (a ``try:`` included), saying why they are there."""
    lines = path.read_text().splitlines()
    found = set()
    for function in ast.walk(ast.parse(path.read_text())):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            first = node.lineno - 1
            while first > 0 and lines[first - 1].strip().startswith(("import ", "from ",
                                                                     "try:")):
                first -= 1
            if not any("#" in line for line in lines[max(first - 1, 0):node.end_lineno]):
                found.add(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return sorted(found)


def test_an_import_inside_a_function_says_why():
    """Imports sit at the top, where a module's dependencies show (issue 25, item 4); one
    inside a function keeps an optional extra optional, or loads OpenVINO only once the
    worker's fd 1 is stderr, or the CLI's modules after the signals are taken, and says
    so beside it.  (The CLI imports each command's module when it is the one given:
    ``cli/parser.py``, through importlib.)"""
    assert [f for p in sorted(PACKAGE.rglob("*.py"))
            for f in _function_imports_without_a_reason(p)] == []
