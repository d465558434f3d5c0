"""A notebook's code cells read like the practice, not like plumbing.

No cell of a lesson or exercise reaches into the docker SDK (its module, an object's raw
``attrs``, the low-level ``api``) or draws a chart by hand (matplotlib): the package does
both, so a notebook stays the same when the SDK or the course's chart style changes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    [*ROOT.glob("notebooks/src/[0-9][0-9]-*.py"), *ROOT.glob("exercises/src/[0-9][0-9]-*.py")]
)
FORBIDDEN = {
    "the docker SDK": re.compile(r"^\s*(import|from) docker\b|\bdocker\.(types|errors|from_env|APIClient|DockerClient)\b|\.attrs\b|\.api\.|\bdl\.client\("),
    "a chart drawn in the cell": re.compile(r"\bmatplotlib\b|\bplt\.|\.subplots\(|\bax\.(plot|bar|barh|scatter|set_)"),
}  # fmt: skip


def code_cells(text: str) -> list[tuple[int, str]]:
    """(first line number, code) of each code cell of a jupytext percent source."""
    cells, start, lines, code = [], 1, [], False
    for number, line in enumerate([*text.splitlines(), "# %%"], 1):
        if line.startswith("# %%"):
            if code and lines:
                cells.append((start, "\n".join(lines)))
            start, lines, code = number + 1, [], "[markdown]" not in line
        elif code:
            lines.append(line)
    return cells


def test_code_cells_are_found():
    cells = code_cells("# %% [markdown]\n# import docker\n\n# %%\nx = 1\n# %%\ny = 2\n")
    assert [c for _, c in cells] == ["x = 1", "y = 2"]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_no_cell_touches_the_sdk_or_draws_a_chart(source):
    found = [f"{source.relative_to(ROOT)}:{start}: {what}: {m.group(0).strip()!r}"
             for start, cell in code_cells(source.read_text())
             for what, pattern in FORBIDDEN.items()
             for m in pattern.finditer(cell)]  # fmt: skip
    assert not found, "\n".join(found) + "\n(give the package a function for it instead)"
