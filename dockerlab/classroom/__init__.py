"""Is this machine ready (:mod:`.checkup`), and a workshop server: a Unix user and a
rootless engine per learner (:mod:`.learners`), the hub's spawner (:mod:`.spawner`),
the instructor's live view (:mod:`.view`) and every course image once (:mod:`.workshop`);
and the grader (``python -m dockerlab grade``): answers read as literals (:mod:`.answers`),
each check re-run on a trusted engine (:mod:`.grader`, :mod:`.check_one`), the gradebook's
formats (:mod:`.gradebook`) and the grades kept where only root writes (:mod:`.grades`).

``from dockerlab import classroom`` then ``classroom.setup(...)`` sets a class up, as
before the classroom was a folder.
"""

from dockerlab.classroom.learners import (
    Budget,
    Class,
    Learner,
    cgroups,
    engine_answers,
    hub_config,
    setup,
    start,
    stop,
    teardown,
)

__all__ = [
    "Budget",
    "Class",
    "Learner",
    "cgroups",
    "engine_answers",
    "hub_config",
    "setup",
    "start",
    "stop",
    "teardown",
]
