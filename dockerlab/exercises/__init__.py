"""Exercises that check a learner's own Dockerfiles by measuring them.

One module per exercise group; each question is a class with ``check()``,
``hint()`` and ``solution()`` (see :mod:`.core`). In an exercise notebook::

    from dockerlab.exercises.smaller import q1, q2, q3, ____
"""

from .core import NOT_ATTEMPTED, NOT_YET, PASSED, Blank, Outcome, Question, ____

__all__ = ["NOT_ATTEMPTED", "NOT_YET", "PASSED", "Blank", "Outcome", "Question", "____"]
