"""Exercises that check a learner's own Dockerfiles by measuring them.

One module per exercise group; each question is a class with ``check()``,
``hint()`` and ``solution()`` (see :mod:`.question`; what a check says: :mod:`.outcome`; saved progress:
:mod:`.progress_file`; every question in course order: :mod:`.course`). In an exercise notebook::

    from dockerlab.exercises.smaller import q1, q2, q3, ____
"""

from dockerlab.exercises.outcome import NOT_ATTEMPTED, NOT_YET, PASSED, Outcome
from dockerlab.exercises.question import Blank, Question, ____

__all__ = ["NOT_ATTEMPTED", "NOT_YET", "PASSED", "Blank", "Outcome", "Question", "____"]
