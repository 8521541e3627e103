"""The package layout shows the architecture: the model at the top level of `simulation`,
the workflows in subpackages that the model never imports, no import cycles, small files.

The tree is scanned, so modules added later are checked without listing them here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simulation"
#: Subpackages holding workflows (everything else under simulation/ is the model).
WORKFLOWS = ("runs", "sweeps", "comparison", "attribution", "calibration", "regions", "ui")
#: The public face and the command-line dispatcher: they name the workflows on purpose.
ENTRY_POINTS = ("simulation", "simulation.cli")
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(name: str, path: Path) -> set[str]:
    """Modules of `simulation` that `name` imports anywhere (also inside functions), except
    under `if TYPE_CHECKING:`. `from a import b` counts as importing a.b if that is a module."""
    tree = ast.parse(path.read_text(), str(path))
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in MODULES)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _workflow(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in WORKFLOWS else None


def test_the_scan_sees_the_package():
    assert "simulation.model" in MODULES and "simulation.runs.runner" in MODULES
    assert "simulation.model" in GRAPH["simulation.runs.runner"]


def test_import_graph_is_acyclic():
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                walk(nxt)
        path.pop()
        state[node] = 2

    for name in sorted(GRAPH):
        if name not in state:
            walk(name)


def test_model_core_imports_no_workflow():
    core = [n for n in GRAPH if _workflow(n) is None and n not in ENTRY_POINTS]
    assert "simulation.model" in core and "simulation.instruments" in core
    bad = {n: sorted(m for m in GRAPH[n] if _workflow(m)) for n in core}
    assert not {n: ms for n, ms in bad.items() if ms}


def test_no_file_over_600_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long


def test_import_and_version_stay_cheap():
    """`import simulation` and `povsim --version` load no numerical or storage stack."""
    heavy = ("scipy", "dask", "distributed", "duckdb", "mesa")
    code = ("import sys, simulation; from simulation.cli import main; "
            "rc = main(['--version']); "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


def test_public_face():
    import simulation
    from simulation.comparison.compare import compare
    from simulation.runs.runner import run

    assert simulation.run is run and simulation.compare is compare
    assert set(simulation.__all__) <= set(dir(simulation))
    with pytest.raises(AttributeError):
        simulation.no_such_name  # noqa: B018


@pytest.mark.parametrize("module", ["simulation.population.raking",
                                    "simulation.population.records",
                                    "simulation.regions.init", "simulation.scenario"])
def test_modules_import_first_in_a_fresh_interpreter(module):
    """Import order cycles only show when a module is the first one loaded."""
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True,
                   capture_output=True, text=True)
