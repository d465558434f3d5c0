"""Colours are defined once, by role, in dockerlab/core/plotting.py: no other module writes one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "dockerlab"
#: A colour as matplotlib or HTML take it: ``#rgb``, ``#rrggbb`` or one of the common names.
COLOR = re.compile(
    r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|white|black|red|green|blue|orange|gr[ae]y|yellow|purple"
    r"|tab:\w+|C\d"
)
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "plotting.py")


def colours_written(source: str) -> list[tuple[int, str]]:
    """(line, text) of each string constant in ``source`` that is a colour."""
    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and COLOR.fullmatch(node.value)
    ]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_but_plotting_writes_a_colour(path):
    written = [f"{path.name}:{line}: {text!r}" for line, text in colours_written(path.read_text())]
    assert not written, f"use a colour by role from dockerlab.core.plotting instead: {written}"


def test_the_check_finds_a_colour_written_by_hand():
    source = 'ax.plot(x, color="#d62728")\nax.text(0, 0, "white", color="white", family="mono")'
    assert sorted(colours_written(source)) == [(1, "#d62728"), (2, "white"), (2, "white")]
