"""The grader's parts that need no engine: answers read as literals only, files read
without following links, the gradebook's formats, the grades' trust, the class view."""

import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from dockerlab.classroom import answers, gradebook, grader, grades
from dockerlab.classroom import learners as classroom
from dockerlab.classroom import view as class_view
from dockerlab.core.images import ref

ROOT = Path(__file__).resolve().parents[2]


def notebook(*cells: str) -> str:
    return json.dumps(
        {"cells": [{"cell_type": "code", "source": c, "metadata": {}} for c in cells]}
    )


def test_a_literal_answer_is_read_and_anything_else_refused():
    text = notebook(
        "import dockerlab as dl\nfrom dockerlab.exercises.smaller import ____, q1, q2, q3",
        'dockerfile = f"""FROM {dl.ref("alpine")}\nCMD ["true"]\n"""\nq1.check(dockerfile)',
        "dockerfile = open('/etc/shadow').read()\nq2.check(dockerfile)",
        "dockerfile = f\"FROM {__import__('os').system('id')}\"\nq3.check(dockerfile)",
    )
    found = answers.from_notebook(text)
    assert found["smaller.q1"].value == f'FROM {ref("alpine")}\nCMD ["true"]\n'
    assert found["smaller.q2"].value is None and "literal" in found["smaller.q2"].refused
    assert found["smaller.q3"].value is None and "only dl.ref" in found["smaller.q3"].refused


def test_run_options_and_blanks_are_read_from_the_course_notebooks():
    sol = (ROOT / "exercises/solutions/03-init-and-zombies.ipynb").read_text()
    assert answers.from_notebook(sol)["init.q2"].value == {"init": True}
    blank = (ROOT / "exercises/03-init-and-zombies.ipynb").read_text()
    assert answers.from_notebook(blank)["init.q2"].value is answers.BLANK


def test_links_in_a_learners_folder_are_never_followed(tmp_path):
    secret = tmp_path / "secret.ipynb"
    secret.write_text(notebook("from dockerlab.exercises.smaller import q1", "q1.check('x')"))
    alice = tmp_path / "subs" / "alice"
    alice.mkdir(parents=True)
    (alice / "linked.ipynb").symlink_to(secret)
    (alice / "folder").symlink_to(tmp_path)
    assert answers.notebooks(tmp_path / "subs", ("alice",)) == {}
    (tmp_path / "subs" / "bob").symlink_to(alice)
    assert list(grader.folder_submissions(tmp_path / "subs")) == ["alice"]


def documented_columns() -> list[str]:
    text = (ROOT / "docs/instructor.md").read_text()
    table = text.split("`--csv FILE`", 1)[1].split("\n\n", 2)[1]
    return re.findall(r"^\| `([^`]+)` \|", table, flags=re.M)


def graded() -> list:
    q = grader.Graded("smaller.q1", "smaller: Q1", "passed", "It works", 1.5, "2026-12-06")
    no = grader.Graded("smaller.q2", "smaller: Q2", "not yet", "a <b> & c", 2.0, "2026-12-06")
    skip = grader.Graded("smaller.q3", "smaller: Q3", "not attempted", "blank", 0, "2026-12-06")
    return [
        grader.LearnerGrade("alice", [q, no, skip]),
        grader.LearnerGrade("bob, jr", [no, no, skip]),
    ]


def test_the_gradebook_csv_has_the_documented_columns_and_parses():
    text = gradebook.to_csv(graded())
    assert documented_columns() == list(gradebook.CSV_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["SIS Login ID"] for r in rows] == ["alice", "bob, jr"]
    table = pd.read_csv(io.StringIO(text))
    assert list(table.columns) == list(gradebook.CSV_COLUMNS)
    assert table[gradebook.ASSIGNMENT].tolist() == [1, 0]


def test_json_and_junit_say_each_question():
    data = json.loads(gradebook.to_json(graded()))
    assert data["learners"][0]["points"] == 1 and data["learners"][0]["possible"] == 3
    assert data["learners"][0]["questions"][1]["message"] == "a <b> & c"
    suites = ET.fromstring(gradebook.to_junit(graded()))
    alice = suites.find("testsuite[@name='alice']")
    assert (alice.get("tests"), alice.get("failures"), alice.get("skipped")) == ("3", "1", "1")
    assert alice.findall("testcase")[1].find("failure").text == "a <b> & c"
    assert gradebook.below(graded(), 30) == ["bob, jr"] and gradebook.below(graded(), None) == []


def test_the_class_view_tells_regraded_from_self_reported(tmp_path, monkeypatch):
    from dockerlab.exercises import course

    monkeypatch.setattr(classroom, "HOME", tmp_path)
    learners = [classroom.Learner(n, 1000, 1000, str(tmp_path / n)) for n in ("alice", "bob")]
    classroom.Class(learners=learners).save()
    q1, q2, q3 = course.questions()[:3]
    monkeypatch.setenv(
        "DOCKERLAB_PROGRESS", str(tmp_path / "alice/.local/share/dockerlab/progress.json")
    )
    from dockerlab.exercises import progress_file

    progress_file.record(q3.key, passed=True)  # her own file: self-reported
    graded_ = grader.LearnerGrade("alice", [
        grader.Graded(q1.key, q1.label, "passed", "ok", 1, "2026-12-06T18:40:00+00:00"),
        grader.Graded(q2.key, q2.label, "not yet", "no", 1, "2026-12-06T18:41:00+00:00"),
    ])  # fmt: skip
    grades.save([graded_])
    assert oct(os.stat(grades.folder()).st_mode & 0o777) == "0o700"
    assert oct(os.stat(grades.path()).st_mode & 0o777) == "0o600"
    table = class_view.class_progress()
    assert table.loc[q1.label, "alice"] == "regraded-passed 2026-12-06 18:40"
    assert table.loc[q2.label, "alice"] == "regraded-failed 2026-12-06 18:41"
    assert table.loc[q3.label, "alice"].startswith("self-reported only: passed ")
    grid = class_view.plot_progress(table).axes[0].images[0].get_array()
    assert list(grid[0][:3]) == [2, 1, 2]
    os.chmod(grades.path(), 0o666)  # anyone could have written it now: not a grade any more
    assert grades.load() == {}
    assert class_view.class_progress().loc[q1.label, "alice"].startswith("self-reported only")
