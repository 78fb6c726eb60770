"""The house rules that keep services apart and deciders pure, read from the imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "services"
# What a pure decider may not reach: the store, HTTP, a database, the network.
IMPURE = ("shared.eventstore", "shared.http", "fastapi", "starlette", "sqlite3", "httpx")
MAX_MODULE_LINES = 420


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            found.add(node.module)
    return found


def _domain_modules() -> list[Path]:
    modules: list[Path] = []
    for service in sorted(p for p in SERVICES.iterdir() if p.is_dir()):
        modules.extend(sorted(service.glob("domain*.py")))
        modules.extend(sorted(service.glob("domain/**/*.py")))
    return modules


def _service_modules() -> list[Path]:
    return sorted(p for p in SERVICES.glob("*/**/*.py") if "__pycache__" not in p.parts)


def test_there_are_domain_modules_to_check() -> None:
    assert any(p.parent.name == "domain" for p in _domain_modules())


@pytest.mark.parametrize("module", _domain_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_domain_module_imports_nothing_that_does_io(module: Path) -> None:
    impure = sorted(
        name
        for name in _imports(module)
        if any(name == prefix or name.startswith(prefix + ".") for prefix in IMPURE)
    )
    assert impure == [], f"{module.relative_to(ROOT)} imports {impure}"


@pytest.mark.parametrize("module", _service_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_service_imports_another(module: Path) -> None:
    own = module.relative_to(SERVICES).parts[0]
    others = sorted(
        name
        for name in _imports(module)
        if name.startswith("services.") and name.split(".")[1] != own
    )
    assert others == [], f"{module.relative_to(ROOT)} imports {others}: talk through events"


def test_no_module_is_much_over_400_lines() -> None:
    modules = [*SERVICES.glob("**/*.py"), *(ROOT / "shared").glob("**/*.py")]
    long = {
        str(p.relative_to(ROOT)): n
        for p in modules
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_production_code_narrows_without_assert() -> None:
    """`python -O` drops every assert: a check that matters must raise."""
    modules = [*SERVICES.glob("**/*.py"), *(ROOT / "shared").glob("**/*.py")]
    asserting = sorted(
        f"{p.relative_to(ROOT)}:{node.lineno}"
        for p in modules
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.Assert)
    )
    assert asserting == []
