"""The learner's progress: which exercise questions they have tried and passed.

Stored locally in a small JSON file (``$DOCKERLAB_PROGRESS``, or
``progress.json`` in the user's data folder), written each time a check measures an
answer: per question, when it was first passed, how many answers were checked and
when the last one was. ``dl.progress()`` shows every question of every exercise group
with a tick; an instructor's class view reads the same file (``classroom``).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from dockerlab.exercises.outcome import NOT_ATTEMPTED, NOT_YET, PASSED

#: Keys saved progress was once stored under -> the question's key now. Until
#: 2026-12 a key was "<module>: <title>", so a renamed module or title lost it; every
#: question now declares its own fixed :attr:`~dockerlab.exercises.Question.key`.
RENAMED = {
    "config: Q1: no secret in the image": "config.q1",
    "config: Q2: not root": "config.q2",
    "init: Q1: an init inside the image": "init.q1",
    "init: Q2: fix it at run time": "init.q2",
    "layers: Q1: no wasted bytes": "layers.q1",
    "layers: Q2: build with a compiler, ship without it": "layers.q2",
    "smaller: Q1: hello under 1 MB": "smaller.q1",
    "smaller: Q2: a pinned base": "smaller.q2",
    "smaller: Q3: one layer instead of five": "smaller.q3",
    "stack_static: Q1: recurse FROM scratch": "stack_static.q1",
    "stack_static: Q2: deep recursion on Alpine": "stack_static.q2",
    "supply_chain: Q1: hadolint-clean": "supply_chain.q1",
    "supply_chain: Q2: pinned and small": "supply_chain.q2",
}


def path(home: Path | str | None = None) -> Path:
    """Where progress is kept: this user's, or with ``home``, the default place in that
    home (a learner's file, as the class view reads it)."""
    if home is not None:
        return Path(home) / ".local" / "share" / "dockerlab" / "progress.json"
    if os.environ.get("DOCKERLAB_PROGRESS"):
        return Path(os.environ["DOCKERLAB_PROGRESS"])
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data / "dockerlab" / "progress.json"


def read(file: Path) -> dict[str, dict]:
    """A progress file: question key -> ``{"passed": when or "", "tries": n, "last": when}``.

    Files written before tries were counted hold key -> when passed; read as one try.
    Keys from before a question's key was fixed are read as the key now (:data:`RENAMED`).
    """
    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, dict] = {}
    for k, v in data.items():
        entry = v if isinstance(v, dict) else {"passed": v, "tries": 1, "last": v}
        out[RENAMED.get(k, k)] = _merged(out.get(RENAMED.get(k, k)), entry)
    return out


def _merged(a: dict | None, b: dict) -> dict:
    """One entry for two saved under an old and a new key: tries added, first pass kept."""
    if not a:
        return b
    passed = min((e["passed"] for e in (a, b) if e.get("passed")), default="")
    return {
        "passed": passed,
        "tries": int(a.get("tries", 0)) + int(b.get("tries", 0)),
        "last": max(a.get("last", ""), b.get("last", "")),
    }


def state(entry: dict | None) -> str:
    """:data:`PASSED`, :data:`NOT_YET` or :data:`NOT_ATTEMPTED` for one question's entry."""
    if not entry:
        return NOT_ATTEMPTED
    return PASSED if entry.get("passed") else NOT_YET


def load() -> dict[str, dict]:
    """This user's progress file, read."""
    return read(path())


def record(key: str, passed: bool = True) -> None:
    """Remember a checked answer to the question ``key`` ("smaller.q1"): when, and
    whether it passed (the first pass's time is kept)."""
    done = load()
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
