"""The learner's progress: which exercise questions they have tried and passed.

Stored locally in a small JSON file (``$DOCKERLAB_PROGRESS``, or
``progress.json`` in the user's data folder), written each time a check measures an
answer: per question, when it was first passed, how many answers were checked and
when the last one was. ``dl.progress()`` shows every question of every exercise group
with a tick; an instructor's class view reads the same file (``classroom``).
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .core import NOT_ATTEMPTED, NOT_YET, PASSED

NON_GROUPS = {"core", "progress"}


def path() -> Path:
    """Where progress is kept."""
    if os.environ.get("DOCKERLAB_PROGRESS"):
        return Path(os.environ["DOCKERLAB_PROGRESS"])
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data / "dockerlab" / "progress.json"


def read(file: Path) -> dict[str, dict]:
    """A progress file: question key -> ``{"passed": when or "", "tries": n, "last": when}``.

    Files written before tries were counted hold key -> when passed; read as one try.
    """
    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: (v if isinstance(v, dict) else {"passed": v, "tries": 1, "last": v})
            for k, v in data.items()}  # fmt: skip


def state(entry: dict | None) -> str:
    """:data:`PASSED`, :data:`NOT_YET` or :data:`NOT_ATTEMPTED` for one question's entry."""
    if not entry:
        return NOT_ATTEMPTED
    return PASSED if entry.get("passed") else NOT_YET


def _load() -> dict[str, dict]:
    return read(path())


def record(key: str, passed: bool = True) -> None:
    """Remember a checked answer to the question ``key`` ("group: title"): when, and
    whether it passed (the first pass's time is kept)."""
    done = _load()
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    entry = done.setdefault(key, {"passed": "", "tries": 0, "last": now})
    entry["tries"] = int(entry.get("tries", 0)) + 1
    entry["last"] = now
    if passed and not entry.get("passed"):
        entry["passed"] = now
    p = path()
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(done, indent=1, sort_keys=True))
    tmp.replace(p)  # atomic: a crash never leaves half a file


def questions() -> list[tuple[str, str]]:
    """(group, title) of every question in every exercise group, in course order."""
    from . import core

    package = importlib.import_module(__package__)
    out = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name in NON_GROUPS:
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        qs = [v for v in vars(module).values() if isinstance(v, core.Question)]
        out += [(info.name, q.title) for q in sorted(qs, key=lambda q: q.title)]
    return out


def progress() -> pd.DataFrame:
    """Every exercise question, passed or not (and when).

    Example:
        >>> dl.progress()  # doctest: +SKIP
    """
    done = _load()
    rows = []
    for g, t in questions():
        entry = done.get(f"{g}: {t}") or {}
        rows.append({"group": g, "question": t, "passed": "✓" if entry.get("passed") else "",
                     "when": entry.get("passed", ""), "tries": int(entry.get("tries", 0))})  # fmt: skip
    return pd.DataFrame(rows, columns=["group", "question", "passed", "when", "tries"])
