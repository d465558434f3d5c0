"""The package's layering: one core under the lessons, and the teaching on top.

- **core**: the engine, images, building, running, measuring and the shared ideas
  (a Dockerfile's bases, a container's processes, pinned downloads, the capstone app);
- **lessons**: one module per practice, importing only the core;
- **teaching**: the exercises and the capstone's scorecard (only the core, so a lesson can
  change without breaking a check), and the classroom tools;
- **entry points**: ``import dockerlab`` and ``python -m dockerlab``, which may import anything.

No module imports another module's private (``_x``) name. CONTRIBUTING.md shows the same map.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "dockerlab"

CORE = {
    "assets", "errors", "labels", "engine", "private_engine", "images", "bases", "bases.alpine",
    "bases.debian", "building", "build_progress", "containers", "sessions", "streams",
    "measuring", "layers", "elf", "lint", "sbom", "vulns", "plotting", "notebook",
    "dockerfile", "processes", "downloads", "capstone", "transfer", "registry_client",
    "registry_server", "packages", "recursion",
}  # fmt: skip
LESSONS = {"stack", "pid1", "services", "lifecycle", "freshness"}
CHECKS = {"scorecard", "exercises", "exercises.core", "exercises.progress_file", "exercises.smaller",
          "exercises.stack_static", "exercises.init", "exercises.layers", "exercises.config",
          "exercises.supply_chain"}  # fmt: skip
CLASSROOM = {"checkup", "workshop", "classroom", "classroom_spawner", "class_view"}
ENTRY = {"", "__main__"}

#: What each kind of module may import.
ALLOWED = {
    "core": CORE,
    "lesson": CORE,
    "check": CORE | {m for m in CHECKS if m.startswith("exercises")},
    "classroom": CORE | CLASSROOM | {"exercises.progress_file"},
}

#: Imports that break the rules today, as (module, imported module or private name): why
#: it is still there. None today; an entry added while a shared idea waits for its core
#: home must name why, and the test below fails once it is gone, so the list stays true.
KNOWN: dict[tuple[str, str], str] = {}


def _kind(module: str) -> str:
    if module in CORE:
        return "core"
    if module in LESSONS:
        return "lesson"
    if module in CHECKS:
        return "check"
    if module in CLASSROOM:
        return "classroom"
    if module in ENTRY:
        return "entry"
    raise AssertionError(module)


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] == "assets" and parts != ("assets", "__init__"):
            continue  # the assets package's data
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(module: str, path: Path) -> list[tuple[str, str, int]]:
    """(imported module, name, line) for every import of the package's own modules."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    package = [p for p in package if p]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                if node.module is None:  # from . import layers
                    out.append((".".join([*base, alias.name]), "*", node.lineno))
                else:
                    out.append((target, alias.name, node.lineno))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dockerlab"):
            out.append((node.module.removeprefix("dockerlab").lstrip("."), node.names[0].name,
                        node.lineno))  # fmt: skip
    return out


MODULES = _modules()


def test_every_module_has_a_place_in_the_map():
    placed = CORE | LESSONS | CHECKS | CLASSROOM | ENTRY
    assert not set(MODULES) - placed, (
        f"modules with no layer: {sorted(set(MODULES) - placed)}: add each to this test's "
        "map and to CONTRIBUTING.md"
    )
    assert not placed - set(MODULES), f"the map names modules that are gone: {sorted(placed - set(MODULES))}"  # fmt: skip


def _breaks() -> dict[tuple[str, str], str]:
    out = {}
    for module, path in MODULES.items():
        kind = _kind(module)
        for target, name, line in _imports(module, path):
            if target not in MODULES and target.rsplit(".", 1)[0] in MODULES:
                target = target.rsplit(".", 1)[0]  # from . import x where x is a name
            if name.startswith("_") and name.strip("_") and name != "__version__":  # ____: a blank
                out[(module, f"{target}.{name}")] = (
                    f"dockerlab/{path.relative_to(PACKAGE)}:{line} imports the private "
                    f"{target}.{name}: make it public where it is shared"
                )
            if kind == "entry" or target == module or target not in MODULES:
                continue
            if target not in ALLOWED[kind]:
                out[(module, target)] = (
                    f"dockerlab/{path.relative_to(PACKAGE)}:{line}: a {kind} module imports "
                    f"the {_kind(target)} module {target}; a {kind} module imports only "
                    + ("the core" if kind in ("core", "lesson") else "the core and its own kind")
                )
    return out


def test_each_module_imports_only_what_its_layer_allows():
    breaks = {k: v for k, v in _breaks().items() if k not in KNOWN}
    assert not breaks, "\n".join(breaks.values())


@pytest.mark.parametrize("known", sorted(KNOWN))  # none today: pytest skips it, saying so
def test_each_known_exception_still_exists(known):
    assert known in _breaks(), f"{known} no longer breaks the rules: remove it from KNOWN"
