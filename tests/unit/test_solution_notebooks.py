"""Each solution notebook runs the very answer its question's ``solution()`` shows.

The answer is written once, as ``solution_text`` in ``dockerlab/exercises/``; the
generator copies it into the solution notebook. This reads the generated notebooks
themselves, so an answer edited in either place alone fails here.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import nbformat
import pytest

import dockerlab as dl

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for p in sorted((ROOT / "exercises" / "src").glob("*.py"))
           if "from dockerlab.exercises." in p.read_text()]  # fmt: skip
NOTEBOOKS = [ROOT / "exercises" / "solutions" / f"{p.stem}.ipynb" for p in SOURCES]
CHECK = re.compile(r"^(q\d+)\.check\((\w+)\)$", re.M)
BLOCK = re.compile(r"^# BEGIN SOLUTION\n(.*?)^# END SOLUTION\n(q\d+)\.check\(", re.M | re.S)


def _answers(path: Path) -> tuple[object, dict[str, tuple[str, str]]]:
    """The notebook's exercise module, and per question (answer cell's code before check, name)."""
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    (module,) = {m for c in code for m in re.findall(r"from dockerlab\.exercises\.(\w+) import", c)}
    out = {}
    for cell in code:
        if m := CHECK.search(cell):
            out[m[1]] = (cell[: m.start()], m[2])
    return importlib.import_module(f"dockerlab.exercises.{module}"), out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_solution_notebook_runs_each_questions_solution_text(path):
    module, answers = _answers(path)
    assert set(answers) == set(module.__all__) - {"____"}, "a question has no answer cell"
    for name, (code, variable) in answers.items():
        question = getattr(module, name)
        ran: dict = {"dl": dl}
        exec(code, ran)
        if question.solution_language == "python":
            assert code.strip() == question.solution_text.strip(), name
        else:
            assert variable == "dockerfile"
            assert ran["dockerfile"] == question.solution_text, (
                f"{path.name} {name}: the notebook's Dockerfile differs from "
                f"{module.__name__}.{name}.solution_text; run `make notebooks`"
            )


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_no_exercise_source_writes_an_answer_of_its_own(path):
    text = path.read_text()
    (module,) = set(re.findall(r"from dockerlab\.exercises\.(\w+) import", text))
    blocks = BLOCK.findall(text)
    assert blocks, f"{path.name} has no answer cell"
    for block, name in blocks:
        lines = [line for line in block.splitlines() if not line.startswith("# stub: ")]
        assert lines == [f"# SOLUTION: {module}.{name}"], (
            f"{path.name} {name}: the answer is written in the package's solution_text; "
            "the source holds only its stub and a `# SOLUTION: module.qN` line"
        )


def test_the_capstone_solution_runs_the_packages_one_answer():
    """Exercise 7 has no question object: its answer is ``capstone.SOLUTION``, written once."""
    from dockerlab.assets import capstone

    src = (ROOT / "exercises" / "src" / "07-capstone.py").read_text()
    (block,) = re.findall(r"^# BEGIN SOLUTION\n(.*?)^# END SOLUTION\n", src, re.M | re.S)
    lines = [line for line in block.splitlines() if not line.startswith("# stub: ")]
    assert lines == ["# SOLUTION: assets.capstone.SOLUTION"]
    nb = nbformat.read(ROOT / "exercises" / "solutions" / "07-capstone.ipynb", as_version=4)
    (cell,) = [c.source for c in nb.cells if c.cell_type == "code" and "dockerfile =" in c.source]
    ran: dict = {"dl": dl}
    exec(cell.split("\nafter = ")[0], ran)
    assert ran["dockerfile"] == capstone.SOLUTION
