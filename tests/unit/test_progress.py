"""The learner's progress file: recorded on pass, listed per question."""

import json

from dockerlab.exercises import NOT_YET, PASSED, Question
from dockerlab.exercises import progress as prog


class Echo(Question):
    title = "Q9: echo"

    def _check(self, answer):
        return self.outcome(PASSED if answer == "right" else NOT_YET, answer)


def test_a_pass_is_recorded_and_a_miss_is_not(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(tmp_path / "p.json"))
    q = Echo()
    q.check("wrong")
    assert not (tmp_path / "p.json").exists()
    q.check("right")
    done = json.loads((tmp_path / "p.json").read_text())
    assert list(done) == [f"{__name__.rsplit('.', 1)[-1]}: Q9: echo"]


def test_progress_lists_every_question_of_every_group(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(tmp_path / "p.json"))
    prog.record("smaller: Q1: hello under 1 MB")
    table = prog.progress()
    assert {"smaller"} <= set(table["group"])
    row = table[table["question"] == "Q1: hello under 1 MB"].iloc[0]
    assert row["passed"] == "✓" and row["when"]
    assert (table[table["question"] != "Q1: hello under 1 MB"]["passed"] == "").all()
