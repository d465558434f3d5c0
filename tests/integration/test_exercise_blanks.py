"""Every exercise group: a blank answer is "not attempted", never an error; a base missing
offline reads as the kit's plain message.

(Each group's own test file checks its right answer and several wrong ones.)
"""

import importlib

import pytest

import dockerlab as dl
from dockerlab.exercises import NOT_ATTEMPTED, NOT_YET, Question, ____, course

QUESTIONS = [pytest.param(q.group, q.title, id=q.label) for q in course.questions()]


@pytest.mark.parametrize(("group", "title"), QUESTIONS)
def test_a_blank_is_not_attempted(group, title):
    module = importlib.import_module(f"dockerlab.exercises.{group}")
    q = next(v for v in vars(module).values() if isinstance(v, Question) and v.title == title)
    out = q.check(____)
    assert out.status == NOT_ATTEMPTED and "____" in out.message
    assert not q.passed
    assert q.hint().message and q.solution_text.strip()


#: One question per group, with an answer whose base is not on the engine.
MISSING_BASE = [
    ("config", "q1", 'FROM alpine:3.19\nCOPY app.sh /app.sh\nCMD ["/app.sh"]\n', "alpine:3.19"),
    ("init", "q1", 'FROM alpine:3.19\nCOPY app.sh /app.sh\nCMD ["/app.sh"]\n', "alpine:3.19"),
    ("layers", "q1", "FROM alpine:3.19\nRUN true\n", "alpine:3.19"),
    ("smaller", "q1", 'FROM alpine:latest\nCMD ["true"]\n', "alpine:latest"),
    ("stack_static", "q2", 'FROM alpine:3.19\nCMD ["true"]\n', "alpine:3.19"),
    ("supply_chain", "q2", 'FROM alpine:3.19\nCOPY greeting.txt /\nCMD ["cat", "/greeting.txt"]\n',
     "alpine:3.19"),
]  # fmt: skip


@pytest.mark.parametrize(("group", "name", "answer", "base"), MISSING_BASE,
                         ids=[g for g, *_ in MISSING_BASE])  # fmt: skip
def test_a_base_missing_offline_is_named_plainly(group, name, answer, base, bases):
    if dl.registry_reachable():
        pytest.skip("a registry answers here: the base would be pulled")
    q = getattr(importlib.import_module(f"dockerlab.exercises.{group}"), name)
    out = q.check(answer)
    assert out.status == NOT_YET
    assert f"'{base}' is not on this engine" in out.message and "make bases" in out.message
    assert "registry-1.docker.io" not in out.message and "Traceback" not in out.message
