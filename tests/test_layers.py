"""Imports go one way: models <- sla <- ledger, streams, api <- the shell (sla_police).

Every module of every layer is parsed (``ast``, nothing is imported) and each import of a
project package is checked against what its layer may know (README, "Layout"). Imports
inside functions and under ``TYPE_CHECKING`` count too: a lazy import is still a
dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Each layer and the project packages it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "models": set(),
    "sla": {"models"},
    "ledger": {"models"},
    "streams": {"models", "sla"},
    "api": {"models", "sla", "ledger"},
    "sla_police": {"models", "sla", "ledger", "streams", "api"},
}
PROJECT = set(ALLOWED)


def imported_packages(path: Path) -> set[tuple[str, int]]:
    """(top-level project package, line) of every absolute import in the module at
    ``path``; relative imports stay inside their package."""
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {(name.split(".")[0], node.lineno) for name in names
                  if name.split(".")[0] in PROJECT}
    return found


def upward_imports(layer: str) -> list[str]:
    """``path:line imports package`` for each import ``layer`` may not make."""
    wrong = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for package, line in sorted(imported_packages(path)):
            if package != layer and package not in ALLOWED[layer]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {package}")
    return wrong


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_the_layers_below(layer: str) -> None:
    assert upward_imports(layer) == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom sla_police.settings import Settings\n\n"
                      "def f():\n    import streams.app\n    from . import sibling\n")
    assert imported_packages(module) == {("sla_police", 2), ("streams", 5)}


def test_every_package_is_in_a_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "bench"} <= PROJECT


def test_every_layer_ships_in_the_package_and_the_image() -> None:
    import tomllib

    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    dockerfile = (ROOT / "deploy" / "docker" / "Dockerfile").read_text().splitlines()
    for layer in ALLOWED:
        assert f"{layer}*" in include
        assert f"COPY {layer} ./{layer}" in dockerfile
