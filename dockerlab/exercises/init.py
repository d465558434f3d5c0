"""Exercises for PID 1: reap the zombies and stop fast, in the image or at run time.

The workload, ``app.sh``, is the one notebook 05 measures: it orphans five short
children, says so, then becomes ``sleep`` (``exec``), which never waits for
anyone and installs no SIGTERM handler. With no init, ``sleep`` is PID 1: the
orphans stay zombies, and ``docker stop`` waits out its grace period, then
SIGKILLs.

Each check starts the container and, after a moment, makes sure the app did
its work before crediting the init: its line is in the output, and its orphans
existed (the container's PID namespace numbers its processes in order, so a
shell started in it by ``docker exec`` learns from its own PID how many ran
before it). Then it counts zombies from the container's own ``/proc`` (the kit
copies a static reader in) and times ``docker stop`` with a grace period of
:data:`GRACE` seconds. Zero zombies and a fast stop are easy when nothing
forks: an image whose app became ``sleep``, or run options whose entrypoint
replaces it, are "not yet".
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from dockerlab.core.building import BuiltImage, build
from dockerlab.core.containers import DemoContainer, start
from dockerlab.core.downloads import dumb_init_sdist
from dockerlab.core.images import ref
from dockerlab.exercises.outcome import NOT_YET, PASSED, Outcome
from dockerlab.exercises.question import Question, ____
from dockerlab.inspect.processes import count_zombies_inside

__all__ = ["____", "q1", "q2"]

#: What the app prints once its orphans are on their way.
HEARTBEAT = "app: 5 orphans started"
APP = f"""#!/bin/sh
# Five orphans, then a PID 1 that never waits.
for i in 1 2 3 4 5; do (sleep 0.2 &); done
echo "{HEARTBEAT}"
exec sleep 30
"""
#: Processes the app starts: itself, and a subshell and a `sleep` per orphan.
APP_PROCESSES = 11
#: The least a container running the app has started: PID 1, and the five orphans.
MIN_PROCESSES = 6
GRACE = 3
MAX_STOP = 1.0
SETTLE = 1.0


def processes_started(box: DemoContainer) -> int | None:
    """How many processes the container has started so far (None if it has no ``sh``).

    Its PID namespace numbers processes in order, and a shell knows its own PID
    (``echo $$``). ``docker exec`` itself uses a few PIDs in the namespace
    before the shell runs (the runtime's threads); two execs in a row tell how
    many, and that is taken off.
    """
    pids = []
    for _ in range(2):
        probe = box.exec(["sh", "-c", "echo $$"])
        pid = probe.output.strip()
        if probe.exit_code != 0 or not pid.isdigit():
            return None
        pids.append(int(pid))
    return 2 * pids[0] - pids[1]


def measure_pid1(box: DemoContainer) -> dict:
    """After :data:`SETTLE` seconds: the output, how many processes the container has
    started, zombies, whether ``sleep`` still runs, and the stop time."""
    time.sleep(SETTLE)
    if box.status != "running":
        code = box.exit_code
        return {"running": False, "exit_code": code, "logs": box.logs()}
    started = processes_started(box)
    zombies = count_zombies_inside(box)
    names = [row["comm"] for row in box.top(("pid", "comm"))]
    logs = box.logs()
    seconds, code = box.stop(timeout=GRACE)
    return {
        "running": True,
        "zombies": zombies,
        "app": "sleep" in names,
        "names": names,
        "started": started,
        "logs": logs,
        "stop": seconds,
        "exit_code": code,
    }


def verdict(q: Question, m: dict, *, replaced: str) -> Outcome:
    """The outcome of :func:`measure_pid1`'s measures. ``replaced``: what may have replaced
    the app (said when it did not run)."""
    if not m["running"]:
        return q.outcome(
            NOT_YET,
            f"The container exited by itself (code {m['exit_code']}) within "
            f"{SETTLE:g} s; it must keep running the app. Output: "
            f"{m['logs'].strip()[:200]!r}",
        )
    if HEARTBEAT not in m["logs"]:
        return q.outcome(
            NOT_YET,
            f"The app did not run: its line {HEARTBEAT!r} is not in the "
            f"output (got {m['logs'].strip()[:200]!r}). {replaced}",
        )
    if m["started"] is not None and m["started"] < MIN_PROCESSES:
        return q.outcome(
            NOT_YET,
            "The app's five orphans never existed: "
            f"{m['started']} process(es) were started in the container in "
            f"all, and app.sh alone starts {APP_PROCESSES}. With no orphans, "
            f"0 zombies proves nothing. {replaced}",
        )
    if not m["app"]:
        return q.outcome(
            NOT_YET,
            f"The container runs {m['names']}, not the app (app.sh, which ends as `sleep`).",
        )
    problems = []
    if m["zombies"] is None:
        problems.append("the zombies could not be counted (read-only root filesystem?)")
    elif m["zombies"]:
        problems.append(f"{m['zombies']} zombies are left (target 0): PID 1 does not reap")
    if m["stop"] >= MAX_STOP:
        problems.append(
            f"`docker stop -t {GRACE}` took {m['stop']:.2f} s (target under "
            f"{MAX_STOP:g} s; exit {m['exit_code']}): PID 1 ignores SIGTERM"
        )
    if problems:
        return q.outcome(NOT_YET, "; ".join(problems) + f". Try {q.name}.hint().")
    return q.outcome(
        PASSED,
        f"The app ran ({m['started']} processes, its orphans included), "
        f"0 zombies are left, and `docker stop` took {m['stop']:.2f} s "
        f"(exit {m['exit_code']}).",
    )


class InitInTheImage(Question):
    title = "Q1: an init inside the image"
    key = "init.q1"  # where progress is saved: never changes
    name = "q1"
    hint_text = (
        "Build dumb-init from its source (dumb-init.tar.gz: `tar xzf` it, then "
        "`musl-gcc -static -Os -o /dumb-init dumb-init.c`) in a stage FROM "
        f"{ref('builder')}; COPY it onto {ref('alpine')} with app.sh; "
        'ENTRYPOINT ["/dumb-init", "--"] and CMD ["/app.sh"].'
    )
    solution_text = rf"""
FROM {ref("builder")} AS build
COPY dumb-init.tar.gz /src/
RUN cd /src && tar xzf dumb-init.tar.gz --strip-components=1 \
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
            return verdict(
                self,
                measure_pid1(box),
                replaced="The image must run the app.sh of "
                'the build context, unchanged, under the init (CMD ["/app.sh"]).',
            )


class RunOptions(Question):
    title = "Q2: fix it at run time"
    key = "init.q2"  # where progress is saved: never changes
    name = "q2"
    #: The run options a learner may set (everything else stays the kit's safe default).
    allowed = frozenset({"init", "stop_signal", "environment", "user", "entrypoint"})
    hint_text = (
        "The image has no init and you may not rebuild it. `docker run` can add one: "
        "the engine ships tini as docker-init. Which option of dl.start/docker run is it?"
    )
    solution_text = 'options = {"init": True}'
    solution_language = "python"

    dockerfile = f'FROM {ref("alpine")}\nCOPY app.sh /app.sh\nCMD ["/app.sh"]\n'

    def image(self) -> BuiltImage:
        """The image to run: Alpine and app.sh, no init (built for each check, then removed)."""
        return build(self.dockerfile, {"app.sh": (APP, 0o755)}, progress=False)

    def _check(self, options: Mapping) -> Outcome:
        if not isinstance(options, Mapping):
            return self.outcome(NOT_YET, "Give a dict of run options, such as {'user': '1000'}.")
        extra = sorted(set(options) - self.allowed)
        if extra:
            return self.outcome(
                NOT_YET,
                f"Not allowed here: {', '.join(extra)}. The options you "
                f"may set: {', '.join(sorted(self.allowed))}.",
            )
        with self.image() as img, start(img, None, role="exercise", **dict(options)) as box:
            return verdict(
                self,
                measure_pid1(box),
                replaced="The options must leave the app running (an `entrypoint` replaces it).",
            )


q1, q2 = InitInTheImage(), RunOptions()
