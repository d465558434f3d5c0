"""Learner copies are generated from solutions: markers, stubs, and agreement."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("nbgen", ROOT / "build_tools" / "notebooks.py")
nbgen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(nbgen)

CELL = """# BEGIN SOLUTION
# stub: dockerfile = ____
dockerfile = "FROM scratch"
# END SOLUTION
q1.check(dockerfile)
assert q1.passed  # solution-only"""


def test_learner_copy_keeps_the_stub_and_drops_the_solution():
    assert nbgen.strip_solutions(CELL, learner=True) == "dockerfile = ____\nq1.check(dockerfile)"


def test_solution_copy_keeps_the_answer_and_its_assertion():
    code = nbgen.strip_solutions(CELL, learner=False)
    assert (
        code
        == 'dockerfile = "FROM scratch"\nq1.check(dockerfile)\nassert q1.passed  # solution-only'
    )


def test_every_generated_notebook_matches_its_source():
    stale = [
        str(dst)
        for src, dst, variant in nbgen.pairs()
        if dst.read_text() != nbgen.render(src, variant)
    ]
    assert not stale, f"run `make notebooks`: {stale}"


def test_learner_copies_hold_no_solution():
    for _src, dst, variant in nbgen.pairs():
        if variant == "learner":
            text = dst.read_text()
            assert "BEGIN SOLUTION" not in text and "solution-only" not in text, dst
