"""Notebooks are written as jupytext percent-format sources; the .ipynb files are generated.

    python build_tools/notebooks.py write   # regenerate every .ipynb from notebooks/src, exercises/src
    python build_tools/notebooks.py check   # fail if an .ipynb differs from its source

Sources diff cleanly in review; the generated notebooks carry no outputs, no
execution counts and stable cell ids, so regenerating them changes nothing
unless a source changed.

Exercises are written once, as solutions (after nbgrader and scikit-learn-mooc):
``exercises/src/NN-x.py`` gives ``exercises/solutions/NN-x.ipynb`` (the solution)
and ``exercises/NN-x.ipynb`` (the learner's copy), where

- a block between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` is replaced by its
  ``# stub: ...`` lines, uncommented (e.g. ``# stub: dockerfile = ____``);
- a line ending in ``# solution-only`` (e.g. ``assert q1.passed``) is dropped;
- relative links in the solutions are made one folder deeper (``exercises/solutions/``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def pairs() -> list[tuple[Path, Path, str]]:
    """(source .py, generated .ipynb, variant) for every notebook of the course."""
    out = []
    for src in sorted((ROOT / "notebooks" / "src").glob("*.py")):
        out.append((src, ROOT / "notebooks" / f"{src.stem}.ipynb", "plain"))
    for src in sorted((ROOT / "exercises" / "src").glob("*.py")):
        out.append((src, ROOT / "exercises" / "solutions" / f"{src.stem}.ipynb", "solution"))
        out.append((src, ROOT / "exercises" / f"{src.stem}.ipynb", "learner"))
    for src in sorted((ROOT / "instructor" / "src").glob("*.py")):  # the instructor's own
        out.append((src, ROOT / "instructor" / f"{src.stem}.ipynb", "plain"))
    return out


def strip_solutions(code: str, learner: bool) -> str:
    """The code of a cell as the solution or the learner's copy shows it."""
    out, inside = [], False
    for line in code.splitlines():
        marker = line.strip()
        if marker == "# BEGIN SOLUTION":
            inside = True
        elif marker == "# END SOLUTION":
            inside = False
        elif marker.startswith("# stub: "):
            if learner:
                indent = line[: len(line) - len(line.lstrip())]
                out.append(indent + marker.removeprefix("# stub: "))
        elif learner and (inside or marker.endswith("# solution-only")):
            continue
        else:
            out.append(line)
    return "\n".join(out)


def render(src: Path, variant: str = "plain") -> str:
    """The .ipynb text a source generates."""
    nb = jupytext.read(src, fmt="py:percent")
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    if variant != "plain":
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source = strip_solutions(cell.source, learner=variant == "learner")
            elif variant == "solution":  # solutions sit one folder deeper
                cell.source = cell.source.replace("](../", "](../../")
        nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.source.strip()]
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
    for src, dst, variant in pairs():
        text = render(src, variant)
        if mode == "write":
            if not dst.exists() or dst.read_text() != text:
                dst.parent.mkdir(parents=True, exist_ok=True)
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
