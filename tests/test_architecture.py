"""The parts depend in one direction (DESIGN.md section 3): surveys knows nothing of the web or the
scheduler; server and scheduler never import each other (the `phocap` launcher joins them)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_packages(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_surveys_imports_neither_server_nor_scheduler() -> None:
    for path, names in imported_packages("surveys").items():
        assert not names & {"server", "scheduler", "litestar"}, path


def test_scheduler_does_not_import_server() -> None:
    for path, names in imported_packages("scheduler").items():
        assert "server" not in names, path


def test_only_the_launcher_imports_the_scheduler() -> None:
    importers = {p for p, names in imported_packages("server").items() if "scheduler" in names}
    assert importers <= {"server/cli.py"}
