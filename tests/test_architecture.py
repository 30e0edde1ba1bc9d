"""The parts depend in one direction (docs/architecture.md): `server` → `surveys` ← `scheduler`; inside
`surveys/`, each subject folder imports only the folders below it; no module imports itself back through
others; and no Piccolo query is written outside `surveys/`. Checked by walking the code's imports."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "surveys", "scheduler", "web")
# Lowest first: a subject may import itself and the subjects before it, never one after it.
SUBJECTS = ("core", "people", "register", "survey", "learning", "reporting")
# Modules of `surveys/` outside the subject folders that any subject may import.
SHARED = {"surveys.tables", "surveys.schemas"}
# Methods that build or run a Piccolo query (`count` left out: bytes and str have one too, and a
# table's count would need the tables, whose import is refused anyway).
QUERY_METHODS = {
    "select",
    "objects",
    "insert",
    "delete",
    "raw",
    "where",
    "first",
    "exists",
    "run_ddl",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: str) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        if "piccolo_migrations" not in path.parts:
            yield module_name(path), ast.parse(path.read_text(encoding="utf-8"))


def imports(tree: ast.Module, known: set[str]) -> set[str]:
    """The modules `tree` imports (at the top or inside a function), `from a import b` naming module
    `a.b` when that is a module."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
    return found


def graph() -> dict[str, set[str]]:
    trees = {name: tree for package in PACKAGES for name, tree in modules(package)}
    known = set(trees)
    return {name: {i for i in imports(tree, known) if i in known} for name, tree in trees.items()}


def subject(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "surveys" and parts[1] in SUBJECTS else None


def test_surveys_imports_neither_server_nor_scheduler_nor_the_web_framework() -> None:
    for name, tree in modules("surveys"):
        roots = {i.split(".")[0] for i in imports(tree, set())}
        assert not roots & {"server", "scheduler", "litestar"}, name


def test_scheduler_does_not_import_server() -> None:
    for name, tree in modules("scheduler"):
        assert not any(i.split(".")[0] == "server" for i in imports(tree, set())), name


def test_only_the_launcher_imports_the_scheduler() -> None:
    importers = {
        n for n, tree in modules("server") if any(i.startswith("scheduler") for i in imports(tree, set()))
    }
    assert importers <= {"server.cli"}


def test_each_subject_imports_only_the_subjects_below_it() -> None:
    wrong = []
    for module, targets in graph().items():
        own = subject(module)
        if own is None:
            continue
        for target in targets:
            other = subject(target)
            if other is not None and SUBJECTS.index(other) > SUBJECTS.index(own):
                wrong.append(f"{module} → {target}")
            elif other is None and target.startswith("surveys.") and target not in SHARED:
                wrong.append(f"{module} → {target} (outside the subject folders)")
    assert wrong == []


def test_no_import_cycles() -> None:
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert cycles == []


def test_handlers_and_jobs_write_no_query() -> None:
    """`server/` and `scheduler/` call named functions of `surveys/`; the tables and their queries stay there."""
    wrong = []
    for package in ("server", "scheduler"):
        for name, tree in modules(package):
            wrong += [
                f"{name} imports {i}"
                for i in imports(tree, set())
                if i.startswith(("surveys.tables", "piccolo"))
            ]
            wrong += [
                f"{name}:{node.lineno} calls .{node.func.attr}()"
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in QUERY_METHODS
            ]
    assert wrong == []


def test_the_checks_see_a_violation() -> None:
    """The walkers find what they look for: a handler written with a query and a subject importing upward."""
    handler = ast.parse(
        "from surveys.tables import Ward\nasync def h():\n    return await Ward.select().first()\n"
    )
    assert "surveys.tables" in imports(handler, set())
    assert {
        n.func.attr
        for n in ast.walk(handler)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
    } >= {
        "select",
        "first",
    }
    upward = ast.parse("from surveys.reporting.coverage import village_coverage\n")
    known = {"surveys.reporting.coverage"}
    assert imports(upward, known) == {"surveys.reporting.coverage"}
    assert SUBJECTS.index(str(subject("surveys.reporting.coverage"))) > SUBJECTS.index(
        str(subject("surveys.core.db"))
    )


def test_application_code_uses_no_assert_for_control_flow() -> None:
    """`python -O` drops asserts: a check that must hold raises a named error instead."""
    found = [
        f"{name}:{node.lineno}"
        for package in ("server", "surveys", "scheduler")
        for name, tree in modules(package)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert)
    ]
    assert found == []


def test_surveys_reads_no_file_of_the_web_folder() -> None:
    """What surveys/ needs (translations, email templates, fonts) lives in surveys/: web/ is the pages'."""
    found = [
        f"{name}:{node.lineno}"
        for name, tree in modules("surveys")
        for node in ast.walk(tree)
        # a path built with `/ "web"` (a session's kind may still be called "web")
        if isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Div)
        and isinstance(node.right, ast.Constant)
        and str(node.right.value).strip("/").split("/")[0] == "web"
    ]
    assert found == []
