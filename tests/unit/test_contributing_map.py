"""CONTRIBUTING.md's map of the package stays true.

Its table has a row per layer of ``dockerlab/`` (each folder, and ``errors.py``), with
what the layer may import exactly as ``tests/unit/test_layering.py`` enforces it. A
folder added, or a layer's imports changed, without the map fails here, with the row
to write.
"""

from __future__ import annotations

import re
from pathlib import Path

from test_layering import ALLOWED, MODULES

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `(?P<path>[a-z_]+(?:\.py|/))` \| (?P<what>[^|]+) \| (?P<imports>[^|]*) \|$")


def _rows() -> dict[str, set[str]]:
    rows = {}
    for line in (ROOT / "CONTRIBUTING.md").read_text().splitlines():
        if m := ROW.match(line):
            layer = m["path"].removesuffix("/").removesuffix(".py")
            assert layer not in rows, f"{m['path']} is in the map twice"
            rows[layer] = set(re.findall(r"`([a-z_]+)(?:/|\.py)`", m["imports"]))
    return rows


def test_the_map_has_every_layer_with_what_it_may_import():
    rows = _rows()
    layers = {m.split(".")[0] for m in MODULES} - {"", "__main__"}
    wrong = []
    for layer in sorted(layers | set(rows)):
        if layer not in ALLOWED:
            wrong.append(f"the map names {layer!r}, which is no layer of dockerlab/")
            continue
        if rows.get(layer) != ALLOWED[layer]:
            path = f"{layer}.py" if layer == "errors" else f"{layer}/"
            names = ", ".join(
                f"`{a}.py`" if a == "errors" else f"`{a}/`" for a in sorted(ALLOWED[layer])
            )
            wrong.append(f"| `{path}` | ... | {names or '-'} |"
                         + (f"   (the map says {sorted(rows[layer])})" if layer in rows else "   (missing)"))  # fmt: skip
    assert not wrong, "CONTRIBUTING.md's map is out of date; rows to write:\n" + "\n".join(wrong)
