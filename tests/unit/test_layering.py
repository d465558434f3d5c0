"""The package's layering, as its folders show it.

- Each top-level folder (and ``errors.py``) is a layer, and a module imports only the
  layers :data:`ALLOWED` names for its own, plus its own layer;
- inside ``core/`` the modules form a chain (:data:`CORE_ORDER`): each imports only modules
  before it, so the core reads from top to bottom;
- no cycle anywhere, counting imports made inside functions too: an import moved into a
  function to hide a cycle fails here as the cycle it hides;
- a lesson never imports another lesson; no module imports another's private ``_name``.

``import dockerlab`` and ``python -m dockerlab`` (the entry points) may import anything.
CONTRIBUTING.md ("Where things live") says why this shape.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "dockerlab"

#: The layers, from the bottom up, and what each may import besides itself.
ALLOWED = {
    "errors": set(),
    "assets": {"errors"},
    "core": {"errors", "assets"},
    "inspect": {"errors", "assets", "core"},
    "registry": {"errors", "assets", "core", "inspect"},
    "engines": {"errors", "assets", "core", "inspect", "registry"},
    "lessons": {"errors", "assets", "core", "inspect", "registry"},
    "exercises": {"errors", "assets", "core", "inspect", "registry"},
    "scorecard": {"errors", "assets", "core", "inspect"},
    "classroom": {"errors", "assets", "core", "inspect", "registry", "engines", "exercises"},
}
#: The core's modules, in order: each imports only modules before it.
CORE_ORDER = [
    "config", "labels", "streams", "tar_listing", "dockerfile", "discovery", "engine", "transfer",
    "images", "containers", "building", "sessions", "apt_lock", "downloads", "plotting",
    "notebook",
]  # fmt: skip
ENTRY = {"", "__main__"}

#: Imports that break the rules today, as (module, imported module or private name): why
#: it is still there. None today; an entry added while a shared idea waits for its home
#: must name why, and the test below fails once it is gone, so the list stays true.
KNOWN: dict[tuple[str, str], str] = {}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _layer(module: str) -> str:
    return module.split(".")[0]


def _core_name(module: str) -> str:
    """A core module's place in CORE_ORDER: ``core.building.log`` is ``building``'s."""
    return module.split(".")[1]


def _imports(module: str, path: Path) -> list[tuple[str, str, int]]:
    """(imported module, name, line) for every import of the package's own modules,
    at the top or inside a function; ``from x import y`` where y is a module gives x.y."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}:{node.lineno}: a relative import: write dockerlab.…")
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "dockerlab":
            target = node.module.removeprefix("dockerlab").lstrip(".")
            for alias in node.names:
                sub = f"{target}.{alias.name}".lstrip(".")
                out.append(
                    (sub, "*", node.lineno) if sub in MODULES else (target, alias.name, node.lineno)
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "dockerlab":
                    out.append((alias.name.removeprefix("dockerlab").lstrip("."), "*", node.lineno))
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def test_every_module_is_in_a_layer():
    layers = {_layer(m) for m in MODULES} - ENTRY
    assert layers <= set(ALLOWED), f"folders that are no layer: {sorted(layers - set(ALLOWED))}"
    core = {_core_name(m) for m in MODULES if m.startswith("core.")}
    assert core == set(CORE_ORDER), (
        f"core modules missing from CORE_ORDER: {sorted(core - set(CORE_ORDER))}; "
        f"named there but gone: {sorted(set(CORE_ORDER) - core)}"
    )


def _breaks() -> dict[tuple[str, str], str]:
    out = {}
    for module, imports in GRAPH.items():
        where = f"dockerlab/{MODULES[module].relative_to(PACKAGE)}"
        layer = _layer(module)
        for target, name, line in imports:
            if name.startswith("_") and name.strip("_") and name != "__version__":  # ____: a blank
                out[(module, f"{target}.{name}")] = (
                    f"{where}:{line} imports the private {target}.{name}: make it public "
                    "where it is shared"
                )
            if module in ENTRY or target in ("", module) or target not in MODULES:
                continue
            theirs = _layer(target)
            if theirs == layer == "lessons" and target != "lessons":
                out[(module, target)] = f"{where}:{line}: a lesson imports the lesson {target}"
            elif theirs == layer == "core" and target != "core" and module != "core":
                mine, other = (CORE_ORDER.index(_core_name(m)) for m in (module, target))
                if other > mine:  # the same place: modules of one core package
                    out[(module, target)] = (
                        f"{where}:{line}: core.{CORE_ORDER[mine]} imports core.{CORE_ORDER[other]}, "
                        "which comes after it in CORE_ORDER"
                    )
            elif theirs != layer and theirs not in ALLOWED[layer]:
                out[(module, target)] = (
                    f"{where}:{line}: the {layer} layer imports {target} ({theirs}); it may "
                    f"import only {sorted(ALLOWED[layer]) or 'nothing of the kit'} and itself"
                )
    return out


def test_each_module_imports_only_what_its_layer_allows():
    breaks = {k: v for k, v in _breaks().items() if k not in KNOWN}
    assert not breaks, "\n".join(breaks.values())


def test_no_cycle_even_through_imports_inside_functions():
    edges = {m: {t for t, _, _ in GRAPH[m] if t in MODULES and t != m} for m in MODULES}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            raise AssertionError("an import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for target in sorted(edges[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(MODULES):
        visit(module, [])


@pytest.mark.parametrize("known", sorted(KNOWN))  # none today: pytest skips it, saying so
def test_each_known_exception_still_exists(known):
    assert known in _breaks(), f"{known} no longer breaks the rules: remove it from KNOWN"
