"""The learner's progress file: recorded on pass, listed per question."""

import json

from dockerlab.exercises import NOT_ATTEMPTED, NOT_YET, PASSED, Question, ____, course
from dockerlab.exercises import progress_file as prog


class Echo(Question):
    title = "Q9: echo"
    key = "test.q9"

    def _check(self, answer):
        return self.outcome(PASSED if answer == "right" else NOT_YET, answer)


def test_each_checked_answer_is_a_try_and_the_first_pass_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(tmp_path / "p.json"))
    key = "test.q9"
    q = Echo()
    q.check(____)  # a blank is not a try
    assert not (tmp_path / "p.json").exists()
    q.check("wrong")
    entry = prog.read(tmp_path / "p.json")[key]
    assert entry["tries"] == 1 and entry["passed"] == "" and prog.state(entry) == NOT_YET
    q.check("right")
    q.check("wrong again")
    entry = prog.read(tmp_path / "p.json")[key]
    assert entry["tries"] == 3 and entry["passed"] and prog.state(entry) == PASSED
    assert prog.state(None) == NOT_ATTEMPTED


def test_a_file_from_before_tries_were_counted_still_reads(tmp_path):
    old = tmp_path / "p.json"
    old.write_text(json.dumps({"smaller: Q1: x": "2026-12-01T10:00:00+00:00"}))
    assert prog.read(old) == {"smaller: Q1: x": {"passed": "2026-12-01T10:00:00+00:00",
                                                 "tries": 1, "last": "2026-12-01T10:00:00+00:00"}}  # fmt: skip


def test_progress_lists_every_question_of_every_group(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(tmp_path / "p.json"))
    prog.record("smaller.q1")
    table = course.progress()
    assert {"smaller"} <= set(table["group"])
    row = table[table["question"] == "Q1: hello under 1 MB"].iloc[0]
    assert row["passed"] == "✓" and row["when"] and row["tries"] == 1
    assert (table[table["question"] != "Q1: hello under 1 MB"]["passed"] == "").all()
