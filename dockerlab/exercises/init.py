"""Exercises for PID 1: reap the zombies and stop fast, in the image or at run time.

The workload, ``app.sh``, is the one notebook 05 measures: it orphans five short
children, then becomes ``sleep`` (``exec``), which never waits for anyone and
installs no SIGTERM handler. With no init, ``sleep`` is PID 1: the orphans stay
zombies, and ``docker stop`` waits out its grace period, then SIGKILLs.

Each check starts the container, counts zombies from the container's own
``/proc`` after a moment (the kit copies a static reader in), and times
``docker stop`` with a grace period of :data:`GRACE` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from ..build import BuiltImage, build
from ..containers import DemoContainer, start
from ..images import ref
from ..pid1 import FIVE_ORPHANS, dumb_init_sdist
from ..scorecard import count_zombies_inside
from .core import NOT_YET, PASSED, Outcome, Question, ____

__all__ = ["____", "q1", "q2"]

APP = f"#!/bin/sh\n# Five orphans, then a PID 1 that never waits.\n{FIVE_ORPHANS}\n"
GRACE = 3
MAX_STOP = 1.0
SETTLE = 1.0


def measure_pid1(box: DemoContainer) -> dict:
    """Zombies after :data:`SETTLE` seconds, whether ``sleep`` still runs, and the stop time."""
    time.sleep(SETTLE)
    if box.status != "running":
        code = box.container.attrs["State"]["ExitCode"]
        return {"running": False, "exit_code": code, "logs": box.logs()}
    zombies = count_zombies_inside(box)
    top = box.container.top(ps_args="-o pid,comm")
    names = [row[-1] for row in top.get("Processes") or []]
    seconds, code = box.stop(timeout=GRACE)
    return {"running": True, "zombies": zombies, "app": "sleep" in names, "names": names,
            "stop": seconds, "exit_code": code}  # fmt: skip


def verdict(q: Question, m: dict) -> Outcome:
    if not m["running"]:
        return q.outcome(NOT_YET, f"The container exited by itself (code {m['exit_code']}) within "
                                  f"{SETTLE:g} s; it must keep running the app. Output: "
                                  f"{m['logs'].strip()[:200]!r}")  # fmt: skip
    if not m["app"]:
        return q.outcome(NOT_YET, f"The container runs {m['names']}, not the app (app.sh, which "
                                  "ends as `sleep`).")  # fmt: skip
    problems = []
    if m["zombies"] is None:
        problems.append("the zombies could not be counted (read-only root filesystem?)")
    elif m["zombies"]:
        problems.append(f"{m['zombies']} zombies are left (target 0): PID 1 does not reap")
    if m["stop"] >= MAX_STOP:
        problems.append(f"`docker stop -t {GRACE}` took {m['stop']:.2f} s (target under "
                        f"{MAX_STOP:g} s; exit {m['exit_code']}): PID 1 ignores SIGTERM")  # fmt: skip
    if problems:
        return q.outcome(NOT_YET, "; ".join(problems) + f". Try {q.name}.hint().")
    return q.outcome(PASSED, f"0 zombies, and `docker stop` took {m['stop']:.2f} s "
                             f"(exit {m['exit_code']}).")  # fmt: skip


class InitInTheImage(Question):
    title = "Q1: an init inside the image"
    name = "q1"
    hint_text = (
        "Build dumb-init from its source (dumb-init.tar.gz: `tar xzf` it, then "
        "`musl-gcc -static -Os -o /dumb-init dumb-init.c`) in a stage FROM "
        f"{ref('builder')}; COPY it onto {ref('alpine')} with app.sh; "
        'ENTRYPOINT ["/dumb-init", "--"] and CMD ["/app.sh"].'
    )
    solution_text = f"""
FROM {ref("builder")} AS build
COPY dumb-init.tar.gz /src/
RUN cd /src && tar xzf dumb-init.tar.gz --strip-components=1 \\
 && musl-gcc -static -Os -o /dumb-init dumb-init.c

FROM {ref("alpine")}
COPY --from=build /dumb-init /usr/local/bin/dumb-init
COPY app.sh /app.sh
ENTRYPOINT ["dumb-init", "--"]
CMD ["/app.sh"]
"""

    @property
    def files(self) -> dict:  # type: ignore[override]
        return {"app.sh": (APP, 0o755), "dumb-init.tar.gz": dumb_init_sdist().read_bytes()}

    def _check(self, dockerfile: str) -> Outcome:
        with self.build(dockerfile) as img, start(img, None, role="exercise") as box:
            return verdict(self, measure_pid1(box))


class RunOptions(Question):
    title = "Q2: fix it at run time"
    name = "q2"
    #: The run options a learner may set (everything else stays the kit's safe default).
    allowed = frozenset({"init", "stop_signal", "environment", "user", "entrypoint"})
    hint_text = (
        "The image has no init and you may not rebuild it. `docker run` can add one: "
        "the engine ships tini as docker-init. Which option of dl.start/docker run is it?"
    )
    solution_text = "options = {'init': True}"

    dockerfile = f'FROM {ref("alpine")}\nCOPY app.sh /app.sh\nCMD ["/app.sh"]\n'

    def image(self) -> BuiltImage:
        """The image to run: Alpine and app.sh, no init (built for each check, then removed)."""
        return build(self.dockerfile, {"app.sh": (APP, 0o755)}, progress=False)

    def _check(self, options: Mapping) -> Outcome:
        if not isinstance(options, Mapping):
            return self.outcome(NOT_YET, "Give a dict of run options, such as {'user': '1000'}.")
        extra = sorted(set(options) - self.allowed)
        if extra:
            return self.outcome(NOT_YET, f"Not allowed here: {', '.join(extra)}. The options you "
                                         f"may set: {', '.join(sorted(self.allowed))}.")  # fmt: skip
        with self.image() as img, start(img, None, role="exercise", **dict(options)) as box:
            return verdict(self, measure_pid1(box))

    def solution(self):
        from IPython.display import Markdown

        return Markdown(f"**{self.title}: one solution**\n\n```python\n{self.solution_text}\n```")


q1, q2 = InitInTheImage(), RunOptions()
