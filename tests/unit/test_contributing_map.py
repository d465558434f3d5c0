"""CONTRIBUTING.md's map of the package stays true.

Its table names every module of ``dockerlab/`` once, with the layer
tests/unit/test_layering.py gives it and the notebooks and exercises that use it
directly (``from dockerlab import x``, ``dl.x``, or an exported name of x such as
``dl.build``). A module added, moved or newly used without the map being updated
fails here, with the rows to write.
"""

from __future__ import annotations

import re
from pathlib import Path

from test_layering import MODULES, _kind

import dockerlab as dl

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(
    r"^\| `(?P<path>[a-z0-9_/]+(?:\.py|/))` \| (?P<layer>[a-z ]+) \|.*\| (?P<users>[^|]*) \|$"
)
LAYER = {"core": "core", "lesson": "lesson", "check": "teaching", "classroom": "classroom",
         "entry": "entry point"}  # fmt: skip


def _module(path: str) -> str:
    return path.removesuffix("/").removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _rows() -> dict[str, tuple[str, set[str]]]:
    rows = {}
    for line in (ROOT / "CONTRIBUTING.md").read_text().splitlines():
        if m := ROW.match(line):
            module = _module(m["path"])
            module = "" if module == "__init__" else module
            assert module not in rows, f"{m['path']} is in the map twice"
            users = set(re.findall(r"ex \d|\d\d", m["users"]))
            if "every notebook" in m["users"]:
                users |= {p.name[:2] for p in (ROOT / "notebooks" / "src").glob("[0-9][0-9]-*.py")}
            if "every exercise" in m["users"]:
                users |= {
                    f"ex {int(p.name[:2])}"
                    for p in (ROOT / "exercises" / "src").glob("[0-9][0-9]-*.py")
                }
            rows[module] = (m["layer"], users)
    return rows


def _home(name: str) -> str | None:
    """The module a name of ``dl`` comes from, or the module it is."""
    if name in dl._HOME:
        return dl._HOME[name]
    return name if name in MODULES else None


def _uses(text: str) -> set[str]:
    out = set()
    for names in re.findall(r"^\s*from dockerlab import ([\w, ]+)", text, re.M):
        out |= {_home(n.strip()) for n in names.split(",")}
    out |= set(re.findall(r"^\s*from dockerlab\.([\w.]+) import", text, re.M))
    out |= {_home(n) for n in re.findall(r"\bdl\.(\w+)", text)}
    return {m for m in out if m} - {"errors"}


def _users() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {m: set() for m in MODULES}
    for path in sorted((ROOT / "notebooks" / "src").glob("[0-9][0-9]-*.py")):
        for m in _uses(path.read_text()):
            out[m].add(path.name[:2])
    for path in sorted((ROOT / "exercises" / "src").glob("[0-9][0-9]-*.py")):
        for m in _uses(path.read_text()):
            out[m].add(f"ex {int(path.name[:2])}")
    return out


def test_the_map_names_every_module_with_its_layer_and_users():
    rows, users = _rows(), _users()
    assert len(rows) > 20, (
        "CONTRIBUTING.md's map (a table of `module.py` | layer | ... rows) is missing"
    )
    wrong = []
    for module in sorted(set(MODULES) | set(rows)):
        if module not in MODULES:
            wrong.append(f"the map names {module!r}, which dockerlab/ does not have")
            continue
        want_layer, want_users = LAYER[_kind(module)], users[module]
        got = rows.get(module)
        if got != (want_layer, want_users):
            path = MODULES[module].relative_to(ROOT / "dockerlab")
            wrong.append(f"| `{path}` | {want_layer} | ... | {', '.join(sorted(want_users)) or '-'} |"
                         + (f"   (the map says {got[0]!r}, {sorted(got[1])})" if got else "   (missing)"))  # fmt: skip
    assert not wrong, "CONTRIBUTING.md's map is out of date; rows to write:\n" + "\n".join(wrong)


def test_the_map_reads_what_the_notebooks_use():
    """The usage scan itself: notebook 08 builds (dl.build) and reads layers."""
    users = _users()
    assert "08" in users["building"] and "08" in users["layers"]
    assert "ex 7" in users["scorecard"]
