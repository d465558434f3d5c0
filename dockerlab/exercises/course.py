"""The course's exercises: every question of every group, in the exercise notebooks'
order, and ``dl.progress()``, the learner's table of them."""

from __future__ import annotations

import importlib
import pkgutil
from typing import NamedTuple

import pandas as pd

from dockerlab.exercises import progress_file
from dockerlab.exercises.question import Question

NON_GROUPS = {"course", "outcome", "progress_file", "question"}
#: The exercise groups in the order of the exercise notebooks (exercises/01-..., 02-...).
COURSE_ORDER = ("smaller", "stack_static", "init", "layers", "config", "supply_chain")


class Listed(NamedTuple):
    """One exercise question as progress lists it."""

    group: str  #: its exercise module ("smaller")
    title: str  #: "Q1: hello under 1 MB"
    key: str  #: where its progress is saved ("smaller.q1")

    @property
    def label(self) -> str:
        """How tables name it: "smaller: Q1: hello under 1 MB"."""
        return f"{self.group}: {self.title}"


def questions() -> list[Listed]:
    """Every question in every exercise group, in course order."""
    package = importlib.import_module("dockerlab.exercises")
    out = []
    groups = [m.name for m in pkgutil.iter_modules(package.__path__) if m.name not in NON_GROUPS]
    for name in sorted(groups, key=lambda g: (_rank(g), g)):
        module = importlib.import_module(f"dockerlab.exercises.{name}")
        qs = [v for v in vars(module).values() if isinstance(v, Question)]
        out += [Listed(name, q.title, q.key) for q in sorted(qs, key=lambda q: q.title)]
    return out


def _rank(group: str) -> int:
    return COURSE_ORDER.index(group) if group in COURSE_ORDER else len(COURSE_ORDER)


def progress() -> pd.DataFrame:
    """Every exercise question, passed or not (and when).

    Example:
        >>> dl.progress()  # doctest: +SKIP
    """
    done = progress_file.load()
    rows = []
    for q in questions():
        entry = done.get(q.key) or {}
        rows.append(
            {
                "group": q.group,
                "question": q.title,
                "passed": "✓" if entry.get("passed") else "",
                "when": entry.get("passed", ""),
                "tries": int(entry.get("tries", 0)),
            }
        )
    return pd.DataFrame(rows, columns=["group", "question", "passed", "when", "tries"])
