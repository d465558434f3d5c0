"""Notebooks are written as jupytext percent-format sources; the .ipynb files are generated.

    python build_tools/notebooks.py write   # regenerate every .ipynb from notebooks/src, exercises/src
    python build_tools/notebooks.py check   # fail if an .ipynb differs from its source

Sources diff cleanly in review; the generated notebooks carry no outputs, no
execution counts and stable cell ids, so regenerating them changes nothing
unless a source changed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = [ROOT / "notebooks", ROOT / "exercises"]
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def pairs() -> list[tuple[Path, Path]]:
    """(source .py, generated .ipynb) for every notebook of the course."""
    out = []
    for folder in FOLDERS:
        for src in sorted((folder / "src").glob("*.py")):
            out.append((src, folder / f"{src.stem}.ipynb"))
    return out


def render(src: Path) -> str:
    """The .ipynb text a source generates."""
    nb = jupytext.read(src, fmt="py:percent")
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in ("tags",)}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def main(argv: list[str]) -> int:
    mode = argv[1] if len(argv) > 1 else "check"
    stale = []
    for src, dst in pairs():
        text = render(src)
        if mode == "write":
            if not dst.exists() or dst.read_text() != text:
                dst.write_text(text)
                print(f"wrote {dst.relative_to(ROOT)}")
        elif not dst.exists() or dst.read_text() != text:
            stale.append(str(dst.relative_to(ROOT)))
    if stale:
        print(
            "These notebooks differ from their sources; run `make notebooks`:\n  "
            + "\n  ".join(stale)
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
