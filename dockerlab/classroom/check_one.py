"""One question's check on one answer, in a process of its own: what the grader starts.

``python -m dockerlab.classroom.check_one KEY RESULT`` reads the answer (JSON: a literal
value, or ``{"blank": true}``) on standard input, runs that question's
:meth:`~dockerlab.exercises.question.Question.check` on the engine of ``DOCKER_HOST``,
and writes the outcome as JSON to the file ``RESULT`` (standard output carries the
build's progress). The grader runs it with a session of its own, a progress file of its
own that is thrown away, and a time limit: when it is killed, the grader removes what the
session made.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def question(key: str):
    """The question whose key is ``key`` ("smaller.q1")."""
    import importlib

    from dockerlab.exercises.course import questions
    from dockerlab.exercises.question import Question

    for listed in questions():
        if listed.key == key:
            module = importlib.import_module(f"dockerlab.exercises.{listed.group}")
            for value in vars(module).values():
                if isinstance(value, Question) and value.key == key:
                    return value
    raise KeyError(key)


def main(argv: list[str]) -> int:
    key, result = argv
    from dockerlab.exercises.question import ____

    raw = json.loads(sys.stdin.read())
    answer = ____ if raw.get("blank") else raw["value"]
    started = time.monotonic()
    outcome = question(key).check(answer)
    Path(result).write_text(
        json.dumps(
            {
                "status": outcome.status,
                "message": outcome.message,
                "seconds": round(time.monotonic() - started, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
