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

A program may print the app's line and fork as many children as it likes without
leaving a single orphan, so the check does not take the app's word for it: it
orphans processes of its own in the container (``docker exec``: the kernel hands
them to PID 1, whatever the image runs), as many as it picks at check time, and
finds them reaped; and it stops the container with a signal it picks at check time
(unless the learner's run options set one), which an init passes on to the app:
``sleep`` dies of it and the init exits with 128 + its number, as dumb-init and
tini do. A PID 1 that never reaps what it did not start, handles only SIGTERM, or
exits with a code of its own, is "not yet". What this does not prove: that the
program under the init is app.sh itself (its orphans are gone before the check looks);
a PID 1 that reaps the check's orphans and ends on the check's signal does the work
asked of an init, whichever program it runs.
"""

from __future__ import annotations

import secrets
import signal
import time
from collections.abc import Mapping

from dockerlab.core.building import BuiltImage, build
from dockerlab.core.containers import DemoContainer, start
from dockerlab.core.downloads import dumb_init_sdist
from dockerlab.core.images import ref
from dockerlab.exercises.outcome import NOT_YET, PASSED, Outcome
from dockerlab.exercises.question import Question, ____
from dockerlab.inspect.processes import count_zombies, processes_inside

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
#: Signals the check may stop the container with (one, picked at check time): each
#: ends ``sleep`` when an init passes it on; a PID 1 without a handler ignores it.
STOP_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2")
#: How many orphans the check makes itself (one count, picked at check time).
CHECK_ORPHANS = range(3, 9)
#: Seconds each of the check's orphans lives, then how long PID 1 has to reap it.
ORPHAN_SECONDS = 0.3
REAP_SECONDS = 0.4


def pick_stop_signal() -> str:
    """A stop signal of :data:`STOP_SIGNALS`, picked so an answer cannot know it in advance."""
    return secrets.choice(STOP_SIGNALS)


def signal_number(name: str | int) -> int | None:
    """The number of a signal given as docker takes it (``SIGTERM``, ``TERM``, ``15``)."""
    text = str(name).strip().upper()
    if text.isdigit():
        return int(text)
    try:
        return signal.Signals[text if text.startswith("SIG") else f"SIG{text}"].value
    except KeyError:
        return None


def make_orphans(box: DemoContainer, count: int) -> list[int] | None:
    """Orphan ``count`` short ``sleep`` processes in the container; their PIDs there.

    Each is started by a subshell of a ``docker exec`` shell and outlives it, so the
    kernel gives it to the container's PID 1, which alone can reap it. None if the
    container has no ``sh`` to start them with.
    """
    one = f"(sleep {ORPHAN_SECONDS:g} & echo $!)"
    probe = box.exec(["sh", "-c", "; ".join([one] * count)])
    pids = probe.output.split()
    if probe.exit_code != 0 or len(pids) != count or not all(p.isdigit() for p in pids):
        return None
    return [int(p) for p in pids]


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


def measure_pid1(box: DemoContainer, stop_signal: str) -> dict:
    """After :data:`SETTLE` seconds: the output, how many processes the container has
    started; then orphans of the check's own and whether PID 1 reaped them, zombies,
    whether ``sleep`` still runs, and the stop (time, exit code) with ``stop_signal``,
    the container's stop signal."""
    time.sleep(SETTLE)
    if box.status != "running":
        code = box.exit_code
        return {"running": False, "exit_code": code, "logs": box.logs()}
    started = processes_started(box)
    count = secrets.choice(CHECK_ORPHANS)
    orphans = make_orphans(box, count)
    time.sleep(ORPHAN_SECONDS + REAP_SECONDS)
    procs = processes_inside(box)
    names = [row["comm"] for row in box.top(("pid", "comm"))]
    logs = box.logs()
    seconds, code = box.stop(timeout=GRACE)
    return {
        "running": True,
        "zombies": None if procs is None else count_zombies(procs),
        "orphans": count,
        "orphans_left": (
            None if procs is None or orphans is None else sum(p.pid in orphans for p in procs)
        ),
        "app": "sleep" in names,
        "names": names,
        "started": started,
        "logs": logs,
        "stop": seconds,
        "stop_signal": stop_signal,
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
    sig = m["stop_signal"]
    if m["zombies"] is None:
        problems.append("the zombies could not be counted (read-only root filesystem?)")
    elif m["zombies"]:
        made = "" if m["orphans_left"] is None else f" and the {m['orphans']} the check made itself"
        problems.append(
            f"{m['zombies']} zombies are left (target 0), the app's orphans{made}: "
            "PID 1 does not reap"
        )
    elif m["orphans_left"] is None:
        problems.append(
            "the check could not orphan processes of its own in the container (it starts "
            "them with `sh` and `sleep`, as app.sh does), so it could not see PID 1 reap"
        )
    elif m["orphans_left"]:
        problems.append(
            f"{m['orphans_left']} of the {m['orphans']} orphans the check made are still "
            f"there {ORPHAN_SECONDS + REAP_SECONDS:g} s later, though each lived "
            f"{ORPHAN_SECONDS:g} s"
        )
    number = signal_number(sig)
    if m["stop"] >= MAX_STOP:
        problems.append(
            f"`docker stop -t {GRACE}` took {m['stop']:.2f} s (target under "
            f"{MAX_STOP:g} s; exit {m['exit_code']}): PID 1 ignores {sig}, the stop "
            "signal the check picked"
        )
    elif number is not None and m["exit_code"] != 128 + number:
        problems.append(
            f"`docker stop` sent {sig} and the container exited with code {m['exit_code']}, "
            f"not {128 + number} (128 + {number}: what an init returns when the app dies of "
            f"{sig}): PID 1 did not pass {sig} on to the app"
        )
    if problems:
        return q.outcome(NOT_YET, "; ".join(problems) + f". Try {q.name}.hint().")
    return q.outcome(
        PASSED,
        f"The app's line is in the output ({m['started']} processes started), PID 1 reaped the "
        f"{m['orphans']} orphans the check made, 0 zombies are left, and `docker stop` "
        f"with {sig} took {m['stop']:.2f} s (exit {m['exit_code']}: the app ended by {sig}).",
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
        sig = pick_stop_signal()
        with (
            self.build(dockerfile) as img,
            start(img, None, role="exercise", stop_signal=sig) as box,
        ):
            return verdict(
                self,
                measure_pid1(box, sig),
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
        sig = options.get("stop_signal") or pick_stop_signal()
        run_options = {**options, "stop_signal": sig}
        with self.image() as img, start(img, None, role="exercise", **run_options) as box:
            return verdict(
                self,
                measure_pid1(box, str(sig)),
                replaced="The options must leave the app running (an `entrypoint` replaces it).",
            )


q1, q2 = InitInTheImage(), RunOptions()
