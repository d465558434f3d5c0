"""The learner's progress: which exercise questions they have passed.

Stored locally in a small JSON file (``$DOCKERLAB_PROGRESS``, or
``progress.json`` in the user's data folder), written when a check passes.
``dl.progress()`` shows every question of every exercise group with a tick.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

NON_GROUPS = {"core", "progress"}


def path() -> Path:
    """Where progress is kept."""
    if os.environ.get("DOCKERLAB_PROGRESS"):
        return Path(os.environ["DOCKERLAB_PROGRESS"])
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data / "dockerlab" / "progress.json"


def _load() -> dict[str, str]:
    try:
        return json.loads(path().read_text())
    except (FileNotFoundError, ValueError):
        return {}


def record(key: str) -> None:
    """Remember that the question ``key`` ("group: title") was passed, and when."""
    done = _load()
    done.setdefault(key, datetime.now(timezone.utc).isoformat(timespec="seconds"))
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
    rows = [
        {"group": g, "question": t, "passed": "✓" if f"{g}: {t}" in done else "",
         "when": done.get(f"{g}: {t}", "")}
        for g, t in questions()
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["group", "question", "passed", "when"])
