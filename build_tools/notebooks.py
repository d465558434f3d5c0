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

A question's answer is written once too, in the package: a line ``# SOLUTION: smaller.q2``
becomes the source of ``solution_text`` in the class of ``q2`` in
``dockerlab/exercises/smaller.py``, read with :mod:`ast` (nothing is imported, so no
engine is asked), so the solution notebook runs the very text ``q2.solution()`` shows:
``dockerfile = f'''...'''`` with each ``{ref(...)}`` made ``{dl.ref(...)}`` (the
base the catalog has on the engine that runs it), or, for a question whose
``solution_language`` is ``"python"``, the code itself. A line ``# SOLUTION:
assets.capstone.SOLUTION`` (an upper-case name) becomes ``dockerfile = `` that string of
``dockerlab/assets/capstone.py``, as written there.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
EXERCISES = ROOT / "dockerlab" / "exercises"
SOLUTION = "# SOLUTION: "


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


def _question_class(tree: ast.Module, name: str) -> ast.ClassDef:
    """The class of the module-level question ``name`` (``q1, q2 = A(), B()`` or ``q1 = A()``)."""
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            for n, v in zip(names, values, strict=False):
                if isinstance(n, ast.Name) and n.id == name and isinstance(v, ast.Call):
                    return classes[v.func.id]
    raise LookupError(f"no question {name} in the module")


def _attribute(tree: ast.Module, cls: ast.ClassDef, attr: str) -> ast.expr | None:
    """The value ``cls`` (or a base class of the same module) gives ``attr`` in its body."""
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    for node in cls.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == attr for t in node.targets
        ):
            return node.value
    for base in cls.bases:
        if isinstance(base, ast.Name) and base.id in classes:
            found = _attribute(tree, classes[base.id], attr)
            if found is not None:
                return found
    return None


def solution_code(question: str) -> str:
    """The answer cell's code for ``module.qN``, from the question's ``solution_text``.

    Raises:
        LookupError: if there is no such question, or it has no ``solution_text``.
        ValueError: if the text uses a name other than ``ref`` (the notebook could not run
            it as written), or a Python solution is not a plain string.
    """
    module, _, name = question.rpartition(".")
    if name.isupper():  # a module's answer constant: assets.capstone.SOLUTION
        return _constant_code(ROOT / "dockerlab" / f"{module.replace('.', '/')}.py", name)
    source = (EXERCISES / f"{module}.py").read_text()
    tree = ast.parse(source)
    cls = _question_class(tree, name)
    text = _attribute(tree, cls, "solution_text")
    if text is None:
        raise LookupError(f"{question}: {cls.name} has no solution_text")
    language = _attribute(tree, cls, "solution_language")
    if language is not None and ast.literal_eval(language) == "python":
        code = ast.literal_eval(text)
        if not isinstance(code, str):
            raise ValueError(f"{question}: a Python solution_text must be a plain string")
        return code.strip()
    names = [n.id for n in ast.walk(text) if isinstance(n, ast.Name)]
    calls = [n for n in ast.walk(text) if isinstance(n, ast.Call)]
    if set(names) - {"ref"} or any(not isinstance(c.func, ast.Name) for c in calls):
        raise ValueError(f"{question}: solution_text may only use {{ref(...)}}, not {names}")
    segment = ast.get_source_segment(source, text)
    code, found = re.subn(r"\{ref\(", "{dl.ref(", segment)
    if found != len(calls):
        raise ValueError(f"{question}: write each catalog reference as {{ref(...)}}")
    return f"dockerfile = {code}"


def _constant_code(path: Path, name: str) -> str:
    """``dockerfile = <the string NAME is set to in path>``, as written there."""
    source = path.read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            if not isinstance(ast.literal_eval(node.value), str):
                raise ValueError(f"{path.name}: {name} must be a plain string")
            return f"dockerfile = {ast.get_source_segment(source, node.value)}"
    raise LookupError(f"{path.name} sets no {name}")


def fill_solutions(code: str) -> str:
    """A cell's code with each ``# SOLUTION: module.qN`` line made that question's answer."""
    return "\n".join(
        solution_code(line.strip().removeprefix(SOLUTION))
        if line.strip().startswith(SOLUTION)
        else line
        for line in code.splitlines()
    )


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
                code = strip_solutions(cell.source, learner=variant == "learner")
                cell.source = fill_solutions(code)
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
