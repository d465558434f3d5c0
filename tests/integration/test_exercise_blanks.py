"""Every question of every exercise group: a blank answer is "not attempted", never an error.

(Each group's own test file checks its right answer and several wrong ones.)
"""

import importlib

import pytest

from dockerlab.exercises import NOT_ATTEMPTED, Question, ____, progress

QUESTIONS = [
    pytest.param(group, title, id=f"{group}: {title}") for group, title in progress.questions()
]


@pytest.mark.parametrize(("group", "title"), QUESTIONS)
def test_a_blank_is_not_attempted(group, title):
    module = importlib.import_module(f"dockerlab.exercises.{group}")
    q = next(v for v in vars(module).values() if isinstance(v, Question) and v.title == title)
    out = q.check(____)
    assert out.status == NOT_ATTEMPTED and "____" in out.message
    assert not q.passed
    assert q.hint().message and q.solution_text.strip()
