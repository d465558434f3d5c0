"""Learner copies are generated from solutions: markers, stubs, and agreement."""

import importlib.util
from pathlib import Path

import pytest

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


def test_a_solution_marker_becomes_the_questions_solution_text(tmp_path, monkeypatch):
    (tmp_path / "demo.py").write_text(
        "class A:\n"
        '    solution_text = rf"""\nFROM {ref("alpine")}\nRUN true \\\n && true\n"""\n'
        "class B:\n"
        "    solution_text = 'options = {\"init\": True}'\n"
        '    solution_language = "python"\n'
        "class C(A):\n"
        "    pass\n"
        "class D:\n"
        '    solution_text = f"FROM {BASE}"\n'
        "q1, q2, q3 = A(), B(), C()\n"
        "q4 = D()\n"
    )
    monkeypatch.setattr(nbgen, "EXERCISES", tmp_path)
    dockerfile = 'dockerfile = rf"""\nFROM {dl.ref("alpine")}\nRUN true \\\n && true\n"""'
    assert nbgen.fill_solutions("# SOLUTION: demo.q1\nq1.check(dockerfile)") == (
        dockerfile + "\nq1.check(dockerfile)"
    )
    assert nbgen.solution_code("demo.q2") == 'options = {"init": True}'
    assert nbgen.solution_code("demo.q3") == dockerfile
    with pytest.raises(ValueError, match="only use"):
        nbgen.solution_code("demo.q4")
    with pytest.raises(LookupError):
        nbgen.solution_code("demo.q5")
