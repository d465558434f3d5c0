"""The instructor's view of a class: each learner's engine and exercise progress, live.

Read as root on the class's machine (:mod:`dockerlab.classroom` made the class): each
learner's own progress file (self-reported: she can write it), the grader's regrades
(:mod:`dockerlab.classroom.grades`, root's only), and each learner's engine asked how it
is doing. Nothing
here changes a learner's files or engine. ``instructor/class-view.ipynb`` runs
:func:`watch`; ``python -m dockerlab classroom status`` prints :func:`status`.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from dockerlab.classroom import learners as classroom
from dockerlab.errors import ClassroomError


def _used(path: Path) -> tuple[int, int]:
    with contextlib.suppress(OSError):
        st = os.statvfs(path)
        return (st.f_blocks - st.f_bfree) * st.f_frsize, st.f_blocks * st.f_frsize
    return 0, 0


def status() -> list[dict]:
    """One row per learner: engine, disk, containers, images, exercises passed and when."""
    import docker

    from dockerlab.exercises.course import questions

    state = classroom.Class.load()
    total = len(questions())
    rows = []
    for learner in state.learners:
        row = {"learner": learner.name, "engine": "stopped", "containers": None, "images": None}
        if classroom.engine_answers(learner):
            engine = docker.DockerClient(base_url=learner.docker_host, timeout=10)
            row.update(
                engine="running",
                containers=len(engine.containers.list(all=True)),
                images=len(engine.images.list()),
            )
        used, size = _used(learner.data_root)
        row["disk"] = f"{used / 1e9:.1f} of {size / 1e9:.1f} GB"
        passed = [e["passed"] for e in _progress(learner).values() if e.get("passed")]
        row["passed"] = f"{len(passed)} of {total}"
        row["last passed"] = max(passed, default="")
        rows.append(row)
    return rows


def _progress(learner: classroom.Learner) -> dict[str, dict]:
    """The learner's own progress file (``dl.progress()``'s), read by root."""
    from dockerlab.exercises.progress_file import path, read

    return read(path(learner.home))


def _cell(entry: dict | None) -> str:
    from dockerlab.exercises.progress_file import NOT_YET, PASSED, state

    when = (entry or {}).get("passed" if state(entry) == PASSED else "last", "")
    when = when[:16].replace("T", " ")
    tries = (entry or {}).get("tries", 0)
    if state(entry) == PASSED:
        return f"{PASSED} {when} ({tries} {'try' if tries == 1 else 'tries'})"
    if state(entry) == NOT_YET:
        return f"{NOT_YET} ({tries} {'try' if tries == 1 else 'tries'}, last {when})"
    return state(entry)


#: How a cell says where its state comes from: the grader's measurement (kept where only
#: root writes, :mod:`dockerlab.classroom.grades`) or the learner's own progress file.
REGRADED_PASSED, REGRADED_FAILED, SELF_REPORTED = (
    "regraded-passed",
    "regraded-failed",
    "self-reported only",
)


def _graded_cell(grade: dict) -> str:
    when = str(grade.get("when", ""))[:16].replace("T", " ")
    passed = grade.get("status") == "passed"
    return f"{REGRADED_PASSED if passed else REGRADED_FAILED} {when}"


def class_progress():
    """Question x learner: "regraded-passed 2026-12-06 18:40" or "regraded-failed ..." where
    ``python -m dockerlab grade --class`` measured it, else "self-reported only: passed
    2026-12-02 10:31 (2 tries)", "self-reported only: not yet (3 tries, last ...)" or
    "self-reported only: not attempted", from the learner's own progress file, read now."""
    import pandas as pd

    from dockerlab.classroom import grades
    from dockerlab.exercises.course import questions

    state = classroom.Class.load()
    listed = questions()
    regraded = grades.load()
    table = {}
    for learner in state.learners:
        done = _progress(learner)
        mine = regraded.get(learner.name, {})
        table[learner.name] = [
            _graded_cell(mine[q.key])
            if q.key in mine
            else f"{SELF_REPORTED}: {_cell(done.get(q.key))}"
            for q in listed
        ]
    return pd.DataFrame(table, index=pd.Index([q.label for q in listed], name="question"))


def plot_progress(table):
    """The class at a glance: learner x question, green where passed, orange where tried
    and not passed yet, grey where not attempted (from :func:`class_progress`)."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from dockerlab.core.plotting import STATUS_COLORS, caption_below, use_style
    from dockerlab.exercises.progress_file import NOT_ATTEMPTED, NOT_YET, PASSED

    use_style()
    states = (NOT_ATTEMPTED, NOT_YET, PASSED)
    colours = [STATUS_COLORS[s] for s in states]
    code = table.apply(lambda col: col.map(lambda v: _code(str(v), states)))
    grid = code.to_numpy().T.astype(float)
    fig, ax = plt.subplots(
        figsize=(min(2 + 0.35 * len(table.index), 16), 1.6 + 0.45 * len(table.columns))
    )
    ax.imshow(grid, cmap=ListedColormap(colours), vmin=0, vmax=2, aspect="auto")
    ax.set_yticks(
        np.arange(len(table.columns)),
        [
            f"{name} ({int((row == 2).sum())}/{len(row)})"
            for name, row in zip(table.columns, grid, strict=True)
        ],
    )
    ax.set_xticks(
        np.arange(len(table.index)),
        [q.split(":")[0] + ":" + q.split(":")[1][:12] for q in table.index],
        rotation=90,
        fontsize=7,
    )
    ax.legend(
        handles=[Patch(color=c, label=s) for s, c in zip(states, colours, strict=True)],
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=8,
    )
    ax.set_title("Exercises per learner: passed (of all questions)")
    caption_below(
        fig,
        "Regraded where the grader measured it; elsewhere the learner's own progress "
        "file (self-reported, she can write it). The table says which is which.",
    )
    return fig


def _code(cell: str, states: tuple[str, ...]) -> int:
    """A cell's colour: its regrade's result, else its self-reported state."""
    if cell.startswith(REGRADED_PASSED):
        return 2
    if cell.startswith(REGRADED_FAILED):
        return 1
    cell = cell.removeprefix(f"{SELF_REPORTED}: ")
    return next((i for i, s in enumerate(states) if cell.startswith(s)), 0)


def watch(every: float = 30, rounds: int | None = None) -> None:
    """The class view in a notebook, live: each learner's engine and progress, redrawn
    every ``every`` seconds (``rounds`` times; None: until the kernel is interrupted)."""
    import matplotlib.pyplot as plt
    import pandas as pd
    from IPython.display import Markdown, clear_output, display

    if not classroom.Class.path().exists():
        raise ClassroomError(
            f"No class on this machine (looked in {classroom.HOME}): make one with `python -m dockerlab "
            "classroom setup NAME ...` as root, or set DOCKERLAB_CLASSROOM to its folder."
        )
    done = 0
    while rounds is None or done < rounds:
        engines = pd.DataFrame(status()).set_index("learner")
        table = class_progress()
        clear_output(wait=True)
        now = time.strftime("%H:%M:%S")
        again = f"again in {every:g} s; interrupt the kernel to stop" if rounds is None else "once"
        display(Markdown(f"**The class at {now}** (read {again})"))
        display(engines)
        fig = plot_progress(table)
        display(fig)
        plt.close(fig)
        with pd.option_context("display.max_colwidth", None):  # whole cells: "(2 tries)"
            display(table)
        done += 1
        if rounds is None or done < rounds:
            time.sleep(every)
