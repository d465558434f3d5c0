"""docker-py's private API is called from one module only: ``core/engine.py``.

docker-py may change ``APIClient._url``, ``_get``, ``_post``, ``_result`` and the rest
in any release; when it does, the fix belongs in one place, the few functions of
:mod:`dockerlab.core.engine` that ask the engine what docker-py's public API cannot
(:func:`~dockerlab.core.engine.inspect_image_manifests`,
:func:`~dockerlab.core.engine.import_image`, :func:`~dockerlab.core.engine.path_stat`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import docker

PACKAGE = Path(__file__).resolve().parents[2] / "dockerlab"
HOME = PACKAGE / "core" / "engine.py"

#: Every private method of docker-py's low-level client (``_url``, ``_get``, ``_post``,
#: ``_result``, ``_raise_for_status``...), and the four the kit has used, should a
#: docker-py release rename them.
PRIVATE = {
    name
    for cls in docker.APIClient.__mro__
    for name, value in vars(cls).items()
    if name.startswith("_") and not name.startswith("__") and callable(value)
} | {"_url", "_get", "_post", "_result"}


def _private_calls(path: Path) -> list[str]:
    """``file:line: expression`` for each use of a name in :data:`PRIVATE` as an attribute."""
    return [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE
    ]


def test_the_private_names_are_docker_pys():
    assert {"_url", "_get", "_post", "_result", "_raise_for_status"} <= PRIVATE


def test_only_core_engine_calls_docker_pys_private_api():
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) if path != HOME
             for hit in _private_calls(path)]  # fmt: skip
    assert not found, (
        "docker-py's private API outside dockerlab/core/engine.py; add a function there "
        "that asks the engine for this, and call it:\n" + "\n".join(found)
    )


def test_core_engine_is_where_they_are_called():
    # The scan above looks at what this finds: if the functions moved, it would pass on nothing.
    calls = _private_calls(HOME)
    assert any("._url" in c for c in calls) and any("._result" in c for c in calls), calls
