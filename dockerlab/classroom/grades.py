"""The class's regraded grades, kept where no learner can write.

``python -m dockerlab grade --class`` (as root) keeps the last regrade of each question
of each learner in ``grades/grades.json`` of the class's folder (``/srv/dockerlab-class``):
the folder is root's, mode 0700, the file root's, mode 0600, written whole and
renamed into place. Never in a learner's home. The class view reads it back only if it
is still root's and writable by no one else; otherwise it shows no regrade at all.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

from dockerlab.classroom import learners
from dockerlab.errors import GradingError


def folder() -> Path:
    """Where the class's grades live."""
    return learners.HOME / "grades"


def path() -> Path:
    return folder() / "grades.json"


def _trusted(p: Path, mode: int) -> bool:
    """Root's, not a link, and writable by no one else (and ``mode``'s bits only)."""
    try:
        st = os.lstat(p)
    except OSError:
        return False
    return st.st_uid == 0 and not stat.S_ISLNK(st.st_mode) and not st.st_mode & ~mode & 0o777


def save(graded: list) -> Path:
    """Keep each learner's regraded questions (:class:`~dockerlab.classroom.grader.LearnerGrade`),
    the newest regrade of a question replacing the one before."""
    if os.geteuid() != 0:
        raise GradingError(
            "The class's grades are kept where only root may write: run the grader as root."
        )
    g = folder()
    g.mkdir(parents=True, exist_ok=True)
    os.chown(g, 0, 0)
    os.chmod(g, 0o700)
    if not _trusted(g, 0o700):
        raise GradingError(f"{g} is not root's alone: the grades were not saved there.")
    kept = load()
    for grade in graded:
        mine = kept.setdefault(grade.learner, {})
        for q in grade.questions:
            mine[q.key] = {"status": q.status, "when": q.when, "message": q.message}
    fd, tmp = tempfile.mkstemp(dir=g, prefix=".grades-")
    with os.fdopen(fd, "w") as f:
        json.dump(kept, f, indent=1, sort_keys=True)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path())
    return path()


def load() -> dict[str, dict[str, dict]]:
    """learner -> question key -> ``{"status", "when", "message"}``; empty if there are no
    grades, or if the folder or file could have been written by anyone but root."""
    if not (_trusted(folder(), 0o700) and _trusted(path(), 0o600)):
        return {}
    try:
        data = json.loads(path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
