"""Saved progress survives renames: each question's key is its own, fixed literal, and
every key a released kit ever wrote still finds its question.

``released_progress_keys.txt`` is the record of every key a released kit wrote into a
learner's progress file. A key leaves it never: a question's key changed without an
entry in ``progress_file.RENAMED`` would lose every learner's progress on it.
"""

import importlib
import json
from pathlib import Path

import pytest

from dockerlab.exercises import Question, course
from dockerlab.exercises import progress_file as prog

RELEASED = Path(__file__).with_name("released_progress_keys.txt")


def _released() -> list[str]:
    lines = RELEASED.read_text().splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def _question(listed: course.Listed) -> Question:
    module = importlib.import_module(f"dockerlab.exercises.{listed.group}")
    return next(v for v in vars(module).values() if isinstance(v, Question) and v.key == listed.key)


@pytest.mark.parametrize("listed", course.questions(), ids=lambda q: q.label)
def test_each_question_declares_its_own_key(listed):
    """Declared in the question's own class, never inherited or derived from a name."""
    q = _question(listed)
    owner = next(c for c in type(q).__mro__ if "key" in vars(c))
    assert owner is type(q) and q.key, f'{listed.label}: set `key = "..."` in its class'


def test_keys_are_unique_and_not_an_old_key():
    keys = [q.key for q in course.questions()]
    assert len(keys) == len(set(keys))
    assert not set(keys) & set(prog.RENAMED), "a key now in use must not be renamed away"


def test_every_released_key_still_finds_its_question():
    keys = {q.key for q in course.questions()}
    lost = [k for k in _released() if prog.RENAMED.get(k, k) not in keys]
    assert not lost, f"progress saved under {lost} would be lost: add them to RENAMED"
    assert all(v in keys for v in prog.RENAMED.values())


def test_every_question_key_is_recorded_as_released():
    new = sorted({q.key for q in course.questions()} - set(_released()))
    assert not new, f"add these keys to {RELEASED.name}: {new}"


def test_the_course_order_is_the_exercise_notebooks_order():
    src = sorted((Path(__file__).parents[2] / "exercises" / "src").glob("0*.py"))
    imported = []
    for notebook in src:
        text = notebook.read_text()
        imported += [g for g in course.COURSE_ORDER if f"dockerlab.exercises.{g} import" in text]
    assert imported == list(course.COURSE_ORDER)
    assert list(dict.fromkeys(q.group for q in course.questions())) == list(course.COURSE_ORDER)


def test_a_file_saved_under_the_old_keys_reads_under_the_new_ones(tmp_path, monkeypatch):
    old = tmp_path / "progress.json"
    when = "2026-12-01T10:00:00+00:00"
    old.write_text(json.dumps({"smaller: Q1: hello under 1 MB": {"passed": when, "tries": 2,
                                                                  "last": when}}))  # fmt: skip
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(old))
    table = course.progress()
    row = table[table["question"] == "Q1: hello under 1 MB"].iloc[0]
    assert row["passed"] == "✓" and row["when"] == when and row["tries"] == 2
    prog.record("smaller.q1", passed=False)  # the next check writes the new key only
    saved = json.loads(old.read_text())
    assert list(saved) == ["smaller.q1"]
    assert saved["smaller.q1"]["passed"] == when and saved["smaller.q1"]["tries"] == 3


def test_an_old_and_a_new_key_for_one_question_are_merged(tmp_path):
    file = tmp_path / "p.json"
    file.write_text(json.dumps({
        "smaller: Q1: hello under 1 MB": {"passed": "", "tries": 2, "last": "2026-12-01T09:00"},
        "smaller.q1": {"passed": "2026-12-01T11:00", "tries": 1, "last": "2026-12-01T11:00"},
    }))  # fmt: skip
    assert prog.read(file) == {"smaller.q1": {"passed": "2026-12-01T11:00", "tries": 3,
                                              "last": "2026-12-01T11:00"}}  # fmt: skip


def test_a_retitled_question_keeps_its_progress(tmp_path, monkeypatch):
    """The title is only shown; progress is found by the key (a module's name, likewise,
    is only the group shown: the key is a literal in the question's class)."""
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(tmp_path / "p.json"))
    q = _question(course.questions()[0])
    prog.record(q.key)
    monkeypatch.setattr(type(q), "title", "Q1: renamed")
    table = course.progress()
    assert table[table["question"] == "Q1: renamed"].iloc[0]["passed"] == "✓"
