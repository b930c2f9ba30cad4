"""One-way layers: pages never import duckdb or pandera; the core never imports streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ["funds", "schemas", "pipelines", "funds_cli"]
PAGES = ["app_pages"]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def files(folders: list[str]) -> list[Path]:
    return [p for f in folders for p in (ROOT / f).rglob("*.py")]


@pytest.mark.parametrize("path", files(CORE), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_never_imports_streamlit(path: Path) -> None:
    assert "streamlit" not in imports(path)


@pytest.mark.parametrize("path", files(PAGES) + [ROOT / "app.py"], ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_never_import_duckdb_or_pandera(path: Path) -> None:
    assert not imports(path) & {"duckdb", "pandera"}


@pytest.mark.parametrize("path", files(["funds"]), ids=lambda p: str(p.relative_to(ROOT)))
def test_funds_package_is_the_bottom_layer(path: Path) -> None:
    assert not imports(path) & {"pipelines", "funds_cli", "app_pages"}


def test_schemas_sit_on_funds_only() -> None:
    for path in files(["schemas"]):
        assert not imports(path) & {"pipelines", "funds_cli", "app_pages"}, path
