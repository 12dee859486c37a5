"""The layout ARCHITECTURE.md describes, checked: rooms import only rooms below them, no module-level
import cycle, the CLI in one package, few loose modules in lib/, flows that only sequence tasks."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP = ("lib", "tasks", "flows", "deployments")

# Lowest first: a module may import its own room and the rooms before it, never one after it
# (imports inside functions and under TYPE_CHECKING are not module-level and are not counted).
ROOMS = [
    "lib.words", "lib.errors", "lib.settings", "lib.models", "lib.shown",
    "lib.transcripts", "lib.cache", "lib.db", "lib.agents.schemas", "lib.llm", "lib.agents", "lib.prompt_files",
    "lib.deals", "lib.batches", "lib.intake", "lib.evaluation", "lib.crm", "lib.digest",
    "lib.run", "lib.views", "lib.prefect_local", "lib.doctor",
    "tasks", "flows", "deployments", "lib.api", "lib.cli",
]
PREFECT_FREE = [r for r in ROOMS if r.startswith("lib.")]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for top in TOP for p in (ROOT / top).rglob("*.py")}


def module_level_imports(path: Path) -> set[str]:
    """Absolute module names imported at module level, outside `if TYPE_CHECKING:`."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def room_of(module: str) -> int | None:
    best = [i for i, r in enumerate(ROOMS) if module == r or module.startswith(r + ".")]
    return max(best, key=lambda i: len(ROOMS[i])) if best else None


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: {i for i in module_level_imports(p) if i in mods and i != m} for m, p in mods.items()}


def test_every_module_is_in_a_room() -> None:
    assert [m for m in modules() if room_of(m) is None and m not in TOP] == []


def test_rooms_import_only_rooms_below() -> None:
    upward = [f"{m} imports {i}" for m, deps in graph().items() for i in deps
              if (a := room_of(m)) is not None and (b := room_of(i)) is not None and b > a]
    assert upward == []


def test_lib_never_imports_prefect_or_typer_outside_the_cli() -> None:
    offenders = []
    for m, p in modules().items():
        imports = module_level_imports(p)
        if room_of(m) is not None and ROOMS[room_of(m) or 0] in PREFECT_FREE and not m.startswith("lib.cli"):
            offenders += [f"{m}: {i}" for i in imports if i.split(".")[0] in ("prefect", "typer")]
        elif not m.startswith("lib.cli"):
            offenders += [f"{m}: {i}" for i in imports if i.split(".")[0] == "typer"]
    assert offenders == []


def test_no_module_level_import_cycle() -> None:
    deps = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for d in sorted(deps[m]):
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d, stack + [d])
        state[m] = 2

    for m in sorted(deps):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_the_cli_is_one_package_and_lib_has_few_loose_modules() -> None:
    loose = sorted(p.name for p in (ROOT / "lib").glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= 8, loose
    assert sorted(p.name for p in (ROOT / "deployments").glob("*.py")) == ["__init__.py", "run_links.py", "serve.py"]


def test_flows_only_sequence_tasks() -> None:
    """No class in flows/, and no function over 40 lines not counting its docstring."""
    long: list[str] = []
    for path in (ROOT / "flows").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                long.append(f"{path.name}: class {node.name}")
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                lines = (body[-1].end_lineno or 0) - body[0].lineno + 1 + len(node.decorator_list) + 1
                if lines > 40:
                    long.append(f"{path.name}: {node.name} has {lines} lines")
    assert long == []


def test_no_private_module_of_a_library_is_imported() -> None:
    """A library's underscore modules are not its interface: they move on an upgrade (Typer's vendored
    Click did). Any import, at any level, in our code, benchmarks and tests."""
    ours = set(TOP) | {"tests", "benchmarks"}
    offenders = []
    for path in [p for top in (*TOP, "tests", "benchmarks") for p in (ROOT / top).rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] not in ours
                          and any(part.startswith("_") and part != "__future__" for part in n.split("."))]
    assert offenders == []
