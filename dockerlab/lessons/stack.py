"""How deep can a thread recurse? Stack limits of a C program, glibc vs musl.

A small C program (``assets/recurse.c``) starts one thread with the libc's
default attributes and recurses in it, each level holding a buffer of a chosen
size. When the thread's stack runs out it dies with SIGSEGV (exit 139). This
module builds it against glibc (run on Debian) and musl (run on Alpine), finds
the deepest level each reaches by bisection, and turns those depths into the
stack size each libc gives a thread.

- :func:`build_programs`: two images, each built once (multi-stage: the kit's
  builder compiles, Debian or Alpine runs).
- :class:`Case`: one way of running the program (a fix, a ``ulimit -s``...).
- :class:`Prober`: one long-lived container per libc runs many probes per
  ``exec``, so a whole bisection takes a few round trips, not hundreds of containers.
- :class:`Bracket` and :func:`find_limits`: the bisection, many searches at once.
- :func:`implied_stack`: the stack size implied by depth x bytes per level.
- :func:`plot_depths`, :func:`plot_ulimit`: the charts.
- :func:`try_depth` and :func:`explorer`: one live run, and the widget around it.
- :func:`python_image` and :func:`python_recursion`: the same crash from Python,
  where a Python-on-Alpine image is available.

Example:
    >>> from dockerlab import stack
    >>> with stack.build_programs() as progs, stack.Prober(progs) as p:  # doctest: +SKIP
    ...     stack.find_limits(p, [("musl", stack.DEFAULT, 256)])
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import docker.errors
import docker.types
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from dockerlab import assets
from dockerlab.assets.recursion import (
    CFLAGS,
    CONTAINER_OPTIONS,
    SIGSEGV_EXIT,
    KiB,
    MiB,
    human,
    thread_stack,
)
from dockerlab.core.building import BuiltImage, build
from dockerlab.core.containers import DemoContainer, RunResult, run, start
from dockerlab.core.engine import client
from dockerlab.core.images import ref
from dockerlab.core.plotting import (
    ACCENT,
    BAD,
    GOOD,
    GUIDE,
    LIBC_COLORS,
    MUTED,
    PAPER,
    caption_below,
)
from dockerlab.errors import (
    ContainerFailed,
    ContainerGone,
    DockerlabError,
    InvalidOption,
    LessonError,
)

#: musl's default thread stack since musl 1.1.21 (Jan 2019): ``DEFAULT_STACK_SIZE 131072``
#: in musl ``src/internal/pthread_impl.h``; 80 KiB from 0.9.1 to 1.1.20 (musl ``WHATSNEW``).
MUSL_DEFAULT_STACK = 128 * KiB
#: glibc's default thread stack is the ``ulimit -s`` soft limit, usually 8 MiB
#: (glibc ``sysdeps/nptl/pthread_early_init.h``).
GLIBC_DEFAULT_STACK = 8 * MiB
#: glibc's x86_64 default when ``ulimit -s`` is unlimited: ``ARCH_STACK_DEFAULT_SIZE``
#: in glibc ``sysdeps/x86_64/nptl/pthreaddef.h``.
GLIBC_UNLIMITED_STACK = 2 * MiB

#: The stack size linked into ``recurse-bigstack`` with ``-Wl,-z,stack-size=...``.
LINKED_STACK = 8 * MiB

LIBCS = ("glibc", "musl")
_RUNTIME = {"glibc": "debian", "musl": "alpine"}
_COMPILER = {"glibc": "gcc", "musl": "musl-gcc"}
# CFLAGS, CONTAINER_OPTIONS (the probe containers') and SIGSEGV_EXIT come from
# recursion: exercise 2's checks build, run and read the same program.


# --------------------------------------------------------------------------- images


def dockerfile(libc: str) -> str:
    """The multi-stage Dockerfile that builds ``recurse`` for one libc.

    The builder stage compiles, for both libcs (the stage is the same for both, so
    the second build reuses it from the build cache), ``recurse`` (default link) and
    ``recurse-bigstack`` (linked with ``-Wl,-z,stack-size=8 MiB``, which musl reads as
    its default thread stack size). The final stage is Debian (glibc) or Alpine
    (musl) with only that libc's two binaries added. musl binaries are dynamically
    linked and run against Alpine's own musl (``/lib/ld-musl-x86_64.so.1``).
    """
    if libc not in LIBCS:
        raise InvalidOption(f"libc must be one of {LIBCS}, not {libc!r}.")
    big = f"-Wl,-z,stack-size={LINKED_STACK}"
    compile_all = " \\\n && ".join(
        f"{_COMPILER[lc]} {CFLAGS} {flags}-o /out/{lc}/{name} /src/recurse.c"
        for lc in LIBCS
        for name, flags in (("recurse", ""), ("recurse-bigstack", big + " "))
    )
    return f"""\
FROM {ref("builder")} AS build
COPY recurse.c /src/recurse.c
RUN mkdir -p {" ".join(f"/out/{lc}" for lc in LIBCS)} \\
 && {compile_all}

FROM {ref(_RUNTIME[libc])}
COPY --from=build /out/{libc}/ /usr/local/bin/
"""


@dataclass
class Programs:
    """The two images of the lesson; a context manager that removes them.

    Attributes:
        images: ``{"glibc": BuiltImage, "musl": BuiltImage}``.
    """

    images: dict[str, BuiltImage]

    def __getitem__(self, libc: str) -> BuiltImage:
        try:
            return self.images[libc]
        except KeyError:
            raise InvalidOption(f"libc must be one of {LIBCS}, not {libc!r}.") from None

    def remove(self) -> None:
        """Remove both images (and their build's intermediate images)."""
        for img in self.images.values():
            img.remove()

    def __enter__(self) -> Programs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def build_programs(progress: bool | Callable[[str], None] = False) -> Programs:
    """Build ``recurse`` for glibc (on Debian) and musl (on Alpine).

    Args:
        progress: Passed to :func:`dockerlab.build` (False: silent).

    Returns:
        The :class:`Programs`; remove them with ``.remove()`` or a ``with`` block.
    """
    made: dict[str, BuiltImage] = {}
    try:
        for libc in LIBCS:
            made[libc] = build(
                dockerfile(libc),
                {"recurse.c": assets.text("recurse.c")},
                tag=f"dockerlab/recurse:{libc}",
                progress=progress,
            )
    except BaseException:
        Programs(made).remove()
        raise
    return Programs(made)


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One way of running the program.

    Attributes:
        label: A short name for tables and charts.
        stack_size: Give the thread this stack with ``pthread_attr_setstacksize``
            (``-s``); None: default attributes.
        binary: ``"recurse"``, or ``"recurse-bigstack"`` (linked with
            ``-Wl,-z,stack-size=8 MiB``).
        ulimit_s: Run under ``ulimit -s`` of this many KiB (or ``"unlimited"``);
            None: the container's 8 MiB.
        main_thread: Recurse in the main thread instead of a new thread (``-m``).
    """

    label: str = "default"
    stack_size: int | None = None
    binary: str = "recurse"
    ulimit_s: int | str | None = None
    main_thread: bool = False

    def argv(self, frame: int, depth: int) -> list[str]:
        """The program's command line for one probe."""
        args = [self.binary]
        if self.stack_size:
            args += ["-s", str(int(self.stack_size))]
        if self.main_thread:
            args.append("-m")
        return [*args, str(int(frame)), str(int(depth))]

    def shell(self, frame: int, depth: int, *, exec_: bool = True) -> str:
        """The probe as a shell command (``ulimit -s`` first if the case sets one).

        ``exec_=False`` keeps the shell as the program's parent: in a container of its
        own the program is then not PID 1 (see :func:`try_depth`).
        """
        cmd = ("exec " if exec_ else "") + shlex.join(self.argv(frame, depth))
        if self.ulimit_s is None:
            return cmd
        return f"ulimit -s {shlex.quote(str(self.ulimit_s))} && {cmd}"


def stack_ulimit(kib: int | str) -> list[docker.types.Ulimit]:
    """``docker run --ulimit stack=`` of ``kib`` KiB (or ``"unlimited"``), hard limit unlimited."""
    if kib != "unlimited" and not str(kib).isdigit():
        raise InvalidOption(
            f"ulimit -s {kib!r}: a stack limit is a whole number of KiB or 'unlimited'."
        )
    soft = -1 if kib == "unlimited" else int(kib) * 1024
    return [docker.types.Ulimit(name="stack", soft=soft, hard=-1)]


def docker_run_ulimit(nbytes: int) -> list[docker.types.Ulimit]:
    """What ``docker run --ulimit stack=NBYTES`` sets: soft and hard stack limit ``nbytes``.

    Example:
        >>> docker_run_ulimit(2 * MiB)[0].soft
        2097152
    """
    return [docker.types.Ulimit(name="stack", soft=nbytes, hard=nbytes)]


def ulimit_from_outside() -> bool:
    """True when a probe's ``ulimit -s`` must be set on its container instead (emulation).

    Under qemu-user (linux/arm64 on an x86_64 machine) a program's own
    ``setrlimit(RLIMIT_STACK)`` is ignored: qemu keeps the stack limit it started with,
    since the limit would apply to qemu itself. The limit a container starts with
    (``--ulimit stack=``) does reach the emulated program. Native engines, an Apple
    Silicon Mac's included, honour ``ulimit -s`` as usual.
    """
    from dockerlab.core.engine import emulated

    return emulated()


DEFAULT = Case("default attributes")
SETSTACKSIZE = Case("pthread_attr_setstacksize 1 MiB", stack_size=1 * MiB)
LINKED = Case("-Wl,-z,stack-size=8 MiB", binary="recurse-bigstack")
MAIN_THREAD = Case("main thread (no new thread)", main_thread=True)


def with_ulimit(kib: int | str, case: Case = DEFAULT) -> Case:
    """``case`` run under ``ulimit -s kib`` (KiB, or ``"unlimited"``)."""
    return replace(case, label=f"ulimit -s {kib}", ulimit_s=kib)


# --------------------------------------------------------------------------- probing

# Runs each argument as a probe in a subshell and prints "index exit-status".
# `ulimit -c 0`: a crash writes no core file. stderr goes nowhere, including the
# shell's own "Segmentation fault" notices.
_PROBE_LOOP = 'ulimit -c 0; i=0; for p in "$@"; do (eval "$p") >/dev/null; echo "$i $?"; i=$((i+1)); done 2>/dev/null'
_RESULT = re.compile(r"^(\d+) (\d+)$", re.M)


@dataclass(frozen=True)
class ProbeOutcome:
    """What one probe did.

    Attributes:
        exit_code: 0 = the recursion finished; 139 = SIGSEGV, the stack ran out.
    """

    libc: str
    case: Case
    frame: int
    depth: int
    exit_code: int
    output: str = ""

    @property
    def survived(self) -> bool:
        return self.exit_code == 0

    @property
    def crashed(self) -> bool:
        return self.exit_code == SIGSEGV_EXIT

    @property
    def thread_stack(self) -> int | None:
        """The thread's stack size as the libc itself reports it (``pthread_getattr_np``),
        from a run that survived in a thread; None otherwise."""
        return thread_stack(self.output)


#: :class:`ProbeOutcome`'s old name, kept for learners' saved copies of
#: notebook 03 (``stack.Outcome``); it is not :class:`dockerlab.exercises.Outcome`.
Outcome = ProbeOutcome


def classify(exit_code: int, command: str) -> bool:
    """True if a probe survived, False if it died of SIGSEGV; any other status is an error.

    Raises:
        DockerlabError: The probe failed for another reason (bad arguments, a refused
            ``ulimit``, killed for memory...).
    """
    if exit_code == 0:
        return True
    if exit_code == SIGSEGV_EXIT:
        return False
    why = {137: " (SIGKILL: out of memory?)", 2: " (usage error)", 3: " (thread not created)"}
    raise LessonError(
        f"The probe `{command}` exited with status {exit_code}{why.get(exit_code, '')}, "
        "neither 0 (survived) nor 139 (stack overflow)."
    )


class Prober:
    """One long-lived container per libc that runs batches of probes.

    Each :meth:`run` is one ``docker exec`` of a shell loop over many probes; a
    bisection round for every frame size of a libc costs one round trip.
    Use it as a context manager: the containers are removed on exit.

    Each container lives ``lifetime`` seconds at most (its command is a ``sleep``);
    one that ended meanwhile (a notebook left open) is started again on next use.
    """

    def __init__(
        self, programs: Programs, libcs: Iterable[str] = LIBCS, lifetime: int = 900
    ) -> None:
        self.boxes: dict[str, DemoContainer] = {}
        self.execs = 0
        self.probes = 0
        self._programs, self._lifetime = programs, lifetime
        try:
            for libc in libcs:
                self.boxes[libc] = start(
                    programs[libc],
                    ["sleep", str(int(lifetime))],
                    role="stack-probe",
                    **CONTAINER_OPTIONS,
                )
        except BaseException:
            self.close()
            raise

    def _box_for(self, libc: str, ulimit_s: int | str) -> str:
        """The container of ``libc`` started under ``--ulimit stack=ulimit_s`` (made on
        first use): where ``ulimit -s`` inside does not work (:func:`ulimit_from_outside`)."""
        key = f"{libc} --ulimit stack={ulimit_s}"
        if key not in self.boxes:
            if libc not in self.boxes:
                raise InvalidOption(
                    f"This prober has no {libc!r} container; it has {list(self.boxes)}."
                )
            options = {**CONTAINER_OPTIONS, "ulimits": stack_ulimit(ulimit_s)}
            self.boxes[key] = start(
                self._programs[libc],
                ["sleep", str(int(self._lifetime))],
                role="stack-probe",
                **options,
            )
        return key

    def _exec(self, libc: str, command: list[str]) -> RunResult:
        if libc not in self.boxes:
            raise InvalidOption(
                f"This prober has no {libc!r} container; it has {list(self.boxes)}."
            )
        box = self.boxes[libc]
        try:
            if box.status != "running":
                box.start()
        except ContainerGone:
            raise ContainerFailed(
                f"The {libc} probe container is gone (removed by a cleanup?): make a new Prober."
            ) from None
        self.execs += 1
        return box.exec(command)

    def run(self, libc: str, probes: Sequence[tuple[Case, int, int]]) -> list[bool]:
        """Run probes ``(case, frame, depth)`` in the libc's container.

        Returns:
            For each probe: True if it survived, False if it crashed with SIGSEGV.
        """
        if not probes:
            return []
        if ulimit_from_outside() and any(case.ulimit_s is not None for case, _, _ in probes):
            return self._run_per_limit(libc, probes)
        commands = [case.shell(frame, depth) for case, frame, depth in probes]
        result = self._exec(libc, ["sh", "-c", _PROBE_LOOP, "probe", *commands])
        codes = {int(i): int(c) for i, c in _RESULT.findall(result.output)}
        self.probes += len(commands)
        if len(codes) != len(commands):
            raise LessonError(
                f"The {libc} probe loop reported {len(codes)} of {len(commands)} results "
                f"(exit {result.exit_code}): {result.output[-300:]!r}"
            )
        return [classify(codes[i], cmd) for i, cmd in enumerate(commands)]

    def _run_per_limit(self, libc: str, probes: Sequence[tuple[Case, int, int]]) -> list[bool]:
        """:meth:`run`, each ``ulimit -s`` group in a container started with that limit."""
        groups: dict[int | str | None, list[int]] = {}
        for i, (case, _, _) in enumerate(probes):
            groups.setdefault(case.ulimit_s, []).append(i)
        survived: dict[int, bool] = {}
        for limit, members in groups.items():
            key = libc if limit is None else self._box_for(libc, limit)
            batch = [(replace(probes[i][0], ulimit_s=None), *probes[i][1:]) for i in members]
            survived.update(zip(members, self.run(key, batch), strict=True))
        return [survived[i] for i in range(len(probes))]

    def outcome(self, libc: str, frame: int, depth: int, case: Case | None = None) -> ProbeOutcome:
        """Run one probe in the libc's container and keep what the program printed."""
        case = case or DEFAULT
        key = libc
        if ulimit_from_outside() and case.ulimit_s is not None:
            key = self._box_for(libc, case.ulimit_s)
        probe = replace(case, ulimit_s=None) if key != libc else case
        r = self._exec(key, ["sh", "-c", "ulimit -c 0; " + probe.shell(frame, depth)])
        self.probes += 1
        return ProbeOutcome(libc, case, int(frame), int(depth), r.exit_code or 0, r.output.strip())

    def close(self) -> None:
        for box in self.boxes.values():
            box.remove()

    def __enter__(self) -> Prober:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- bisection


@dataclass
class Bracket:
    """A search for the deepest depth that survives, a batch of probes at a time.

    It keeps ``lo``, the deepest depth known to survive, and ``hi``, the shallowest
    known to crash. While no crash is known it probes a doubling grid up to
    ``max_depth``; then ``fanout`` evenly spaced depths between ``lo`` and ``hi``
    per round, cutting the bracket ``fanout + 1`` times per round (``fanout=1`` is
    plain bisection).

    Attributes:
        lo: Deepest depth known to survive (0: nothing known; no recursion survives).
        hi: Shallowest depth known to crash, or None.
        max_depth: Stop looking for a crash beyond this depth.
        fanout: Probes per round once a crash is known.
        rounds: Rounds of probes so far.
        probes: Probes so far.
    """

    lo: int = 0
    hi: int | None = None
    max_depth: int = 1 << 17
    fanout: int = 3
    rounds: int = 0
    probes: int = 0

    @property
    def done(self) -> bool:
        if self.hi is None:
            return self.lo >= self.max_depth
        return self.hi - self.lo <= 1

    @property
    def limit(self) -> int:
        """The deepest surviving depth found (final once :attr:`done`)."""
        return self.lo

    def points(self) -> list[int]:
        """The depths to probe next (empty when done)."""
        if self.done:
            return []
        if self.hi is None:
            grid, d = [], max(1, self.lo * 2)
            while d < self.max_depth:
                grid.append(d)
                d *= 2
            return [*grid, self.max_depth]
        span = self.hi - self.lo
        n = min(self.fanout, span - 1)
        return sorted({self.lo + (span * k) // (n + 1) for k in range(1, n + 1)} - {self.lo})

    def update(self, depths: Sequence[int], survived: Sequence[bool]) -> None:
        """Narrow the bracket with the outcomes of :meth:`points`."""
        self.rounds += 1
        self.probes += len(depths)
        crashes = [d for d, ok in zip(depths, survived, strict=True) if not ok]
        if crashes:
            self.hi = min([*crashes, *([self.hi] if self.hi is not None else [])])
        ok = [
            d
            for d, s in zip(depths, survived, strict=True)
            if s and (self.hi is None or d < self.hi)
        ]
        if ok:
            self.lo = max(self.lo, *ok)


def bisect(survives: Callable[[list[int]], list[bool]], **bracket) -> Bracket:
    """Search one boundary with a batch predicate (``depths -> survived?``).

    Args:
        survives: Called with a list of depths, returns one bool per depth.
        **bracket: :class:`Bracket` settings (``max_depth``, ``fanout``).

    Returns:
        The finished :class:`Bracket` (``.limit``, ``.rounds``, ``.probes``).
    """
    b = Bracket(**bracket)
    while pts := b.points():
        b.update(pts, survives(pts))
    return b


def find_limits(
    prober: Prober,
    searches: Iterable[tuple[str, Case, int]],
    *,
    max_depth: int = 1 << 17,
    fanout: int = 3,
) -> pd.DataFrame:
    """Find the deepest surviving depth of many ``(libc, case, frame)`` at once.

    All searches advance together: each round is one ``exec`` per libc holding
    every search's next probes.

    Returns:
        One row per search: libc, case, frame, max_depth (deepest survived),
        rounds, probes, and ``bytes_per_frame_x_depth`` (frame x depth).
    """
    todo = {key: Bracket(max_depth=max_depth, fanout=fanout) for key in searches}
    while active := [(k, b, b.points()) for k, b in todo.items() if not b.done]:
        for libc in sorted({k[0] for k, _, _ in active}):
            mine = [(k, b, pts) for k, b, pts in active if k[0] == libc]
            batch = [(k[1], k[2], d) for k, _, pts in mine for d in pts]
            results = iter(prober.run(libc, batch))
            for _, b, pts in mine:
                b.update(pts, [next(results) for _ in pts])
    rows = []
    for (libc, case, frame), b in todo.items():
        rows.append(
            {
                "libc": libc,
                "case": case.label,
                "frame": frame,
                "max_depth": b.limit,
                "reached_cap": b.hi is None,
                "rounds": b.rounds,
                "probes": b.probes,
            }
        )
    df = pd.DataFrame(rows)
    df["frame_x_depth"] = df["frame"] * df["max_depth"]
    return df


def ulimit_sweep(
    prober: Prober, values: Iterable[int | str], frame: int, libcs: Iterable[str] = LIBCS
) -> pd.DataFrame:
    """:func:`find_limits` of the default case under several ``ulimit -s`` values.

    Args:
        values: Soft stack limits in KiB, or ``"unlimited"``.
        frame: The frame size of every search.

    Returns:
        :func:`find_limits` rows plus ``ulimit_kib`` (``inf`` for unlimited).
    """
    values = list(values)
    df = find_limits(prober, [(libc, with_ulimit(v), frame) for libc in libcs for v in values])
    kib = {with_ulimit(v).label: float("inf") if v == "unlimited" else float(v) for v in values}
    df["ulimit_kib"] = df["case"].map(kib)
    return df


def compare_cases(
    prober: Prober, cases: Iterable[Case], frame: int, depth: int, libcs: Iterable[str] = LIBCS
) -> pd.DataFrame:
    """Run every case once at one frame size and depth, per libc.

    Returns:
        A table: one row per case, one column per libc, "survived" or "crashed".
    """
    cases, libcs = list(cases), list(libcs)
    out = {libc: prober.run(libc, [(c, frame, depth) for c in cases]) for libc in libcs}
    table = pd.DataFrame(
        {libc: ["survived" if ok else "crashed" for ok in out[libc]] for libc in libcs},
        index=pd.Index([c.label for c in cases], name=f"{frame}-byte frames, depth {depth:,}"),
    )
    return table


# --------------------------------------------------------------------------- the numbers


@dataclass(frozen=True)
class StackFit:
    """A straight line through ``frame = stack / depth - overhead``.

    Each level of recursion uses ``frame + overhead`` bytes (the buffer, plus the
    return address, saved registers and alignment), so the deepest level times
    that is the stack: ``depth x (frame + overhead) ~= stack``. Plotting ``frame``
    against ``1 / depth`` gives a line whose slope is the stack size.

    Attributes:
        stack: Implied stack size in bytes (the slope).
        overhead: Bytes per level beyond the buffer (minus the intercept).
        r2: How straight the line is (1.0 = perfectly).
    """

    stack: float
    overhead: float
    r2: float

    def depth(self, frame: float | np.ndarray) -> float | np.ndarray:
        """The depth this fit predicts for a frame size."""
        return self.stack / (np.asarray(frame, dtype=float) + self.overhead)


def implied_stack(frames: Sequence[float], depths: Sequence[float]) -> StackFit:
    """The stack size implied by the deepest depths at several frame sizes.

    Args:
        frames: Buffer bytes per level (at least two different values).
        depths: The deepest level each frame size survived (all > 0).

    Returns:
        The :class:`StackFit` (least squares of ``frame`` on ``1 / depth``).

    Raises:
        ValueError: Fewer than two points, or a depth of 0.

    Example:
        >>> fit = implied_stack([256, 1024], [400, 110])
        >>> round(fit.stack / 1024)
        113
    """
    f = np.asarray(frames, dtype=float)
    d = np.asarray(depths, dtype=float)
    if len(f) < 2 or len(set(f.tolist())) < 2:
        raise ValueError("need depths for at least two different frame sizes")
    if (d <= 0).any():
        raise ValueError("every depth must be > 0 (a frame size too big for even one level?)")
    x = 1.0 / d
    slope, intercept = np.polyfit(x, f, 1)
    pred = slope * x + intercept
    ss_res = float(((f - pred) ** 2).sum())
    ss_tot = float(((f - f.mean()) ** 2).sum())
    return StackFit(float(slope), float(-intercept), 1.0 - ss_res / ss_tot if ss_tot else 1.0)


def fits(limits: pd.DataFrame) -> dict[str, StackFit]:
    """:func:`implied_stack` per libc, from :func:`find_limits` rows."""
    return {
        libc: implied_stack(g["frame"], g["max_depth"])
        for libc, g in limits[limits["max_depth"] > 0].groupby("libc")
    }


# --------------------------------------------------------------------------- charts

RUNS_ON = {"glibc": "glibc on Debian", "musl": "musl on Alpine"}


_plain = FuncFormatter(lambda v, _: f"{v:,.0f}")  # 1,000 rather than $10^{3}$


def plot_depths(limits: pd.DataFrame, fitted: dict[str, StackFit], *, caption: str | None = None):
    """Deepest recursion vs frame size, per libc, on log axes.

    Measured points, each libc's fitted line (labelled with its implied stack),
    and dotted reference lines for 128 KiB and 8 MiB stacks.

    Returns:
        The matplotlib Figure.
    """
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    frames = np.geomspace(limits["frame"].min() / 1.3, limits["frame"].max() * 1.3, 50)
    for size, name in ((GLIBC_DEFAULT_STACK, "8 MiB"), (MUSL_DEFAULT_STACK, "128 KiB")):
        ax.plot(frames, size / frames, ":", color=GUIDE, lw=1)
        ax.annotate(
            f"depth x frame = {name}",
            (frames[0], size / frames[0]),
            fontsize=8,
            color=MUTED,
            xytext=(2, 4),
            textcoords="offset points",
        )
    for libc, g in limits.groupby("libc"):
        color = LIBC_COLORS.get(libc, ACCENT)
        ax.plot(
            g["frame"],
            g["max_depth"],
            "o",
            color=color,
            label=f"{RUNS_ON.get(libc, libc)}: measured",
        )
        if libc in fitted:
            fit = fitted[libc]
            ax.plot(
                frames,
                fit.depth(frames),
                "-",
                color=color,
                alpha=0.6,
                label=f"{libc}: fit, implied stack {human(fit.stack)}",
            )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    fs = sorted(limits["frame"].unique())
    ax.set_xticks(fs, [f"{int(f):,}" for f in fs])
    ax.minorticks_off()
    ax.yaxis.set_major_formatter(_plain)
    ax.set_xlabel("bytes of buffer per recursion level (frame size)")
    ax.set_ylabel("deepest level reached before SIGSEGV")
    ax.set_title("A thread with default attributes: how deep before the stack runs out?")
    ax.legend(fontsize=8, loc="upper right")
    if caption:
        caption_below(fig, caption)
    return fig


def plot_ulimit(
    limits: pd.DataFrame,
    frame: int,
    fitted: dict[str, StackFit] | None = None,
    *,
    caption: str | None = None,
):
    """Deepest recursion vs ``ulimit -s``, per libc.

    Args:
        limits: Rows of :func:`ulimit_sweep` (``ulimit_kib``: the limit in KiB,
            ``inf`` for unlimited).
        frame: The frame size of the sweep (for the axis label).
        fitted: Per-libc fits from the default sweep: used to label the last and
            the unlimited points with the stack they imply.

    Returns:
        The matplotlib Figure.
    """
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    finite = limits[np.isfinite(limits["ulimit_kib"])]
    ticks = sorted(finite["ulimit_kib"].unique())
    unl_x = ticks[-1] * 4 if ticks else 1
    for libc, g in limits.groupby("libc"):
        color = LIBC_COLORS.get(libc, ACCENT)
        f = g[np.isfinite(g["ulimit_kib"])].sort_values("ulimit_kib")
        ax.plot(f["ulimit_kib"], f["max_depth"], "o-", color=color, label=RUNS_ON.get(libc, libc))
        u = g[~np.isfinite(g["ulimit_kib"])]
        if len(u):
            ax.plot([unl_x] * len(u), u["max_depth"], "s", color=color, mfc=PAPER, mew=2)
        if fitted and libc in fitted:
            per_level = frame + fitted[libc].overhead
            points = [
                *zip(f["ulimit_kib"].tail(1), f["max_depth"].tail(1), strict=True),
                *zip([unl_x] * len(u), u["max_depth"], strict=True),
            ]
            for x, d in points:
                ax.annotate(
                    f"{human(d * per_level)} stack",
                    (x, d),
                    xytext=(0, 7),
                    textcoords="offset points",
                    ha="center",
                    fontsize=8,
                    color=color,
                )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    labels = [f"{int(t) // 1024} MiB" if t >= 1024 else f"{int(t)} KiB" for t in ticks]
    ax.set_xticks([*ticks, unl_x], [*labels, "unlimited"])
    ax.minorticks_off()
    ax.yaxis.set_major_formatter(_plain)
    ax.set_xlabel("ulimit -s (soft stack limit) the program starts with")
    ax.set_ylabel(f"deepest level reached ({frame}-byte frames)")
    ax.set_title("ulimit -s moves glibc's thread stack, not musl's")
    ax.legend(fontsize=8, loc="upper left")
    ax.margins(y=0.15)
    if caption:
        caption_below(fig, caption)
    return fig


# --------------------------------------------------------------------------- live runs


def try_depth(
    programs: Programs, libc: str, frame: int, depth: int, case: Case = DEFAULT, **options
) -> ProbeOutcome:
    """Run the program once, in a fresh container, and say whether it survived.

    This is what the :func:`explorer` button calls.

    Args:
        programs: The images from :func:`build_programs`.
        libc: ``"glibc"`` or ``"musl"``.
        frame: Bytes of buffer per level.
        depth: Levels to recurse.
        case: How to run it (a fix, a ``ulimit -s``...).
        **options: Container options that replace :data:`CONTAINER_OPTIONS`, e.g.
            ``ulimits=[docker.types.Ulimit(name="stack", soft=..., hard=...)]``
            (``docker run --ulimit stack=...``).

    Returns:
        A :class:`ProbeOutcome` (``.survived``, ``.crashed``, ``.exit_code``, ``.output``).
    """
    options = {**CONTAINER_OPTIONS, **options}
    probe = case
    if ulimit_from_outside() and case.ulimit_s is not None:
        options["ulimits"] = stack_ulimit(case.ulimit_s)
        probe = replace(case, ulimit_s=None)
    # Not exec'd: as a container's PID 1, a program that qemu emulates hangs where it
    # should die of SIGSEGV (qemu re-raises the signal at itself, and PID 1 ignores it).
    command = f"ulimit -c 0; {probe.shell(frame, depth, exec_=False)}; exit $?"
    result = run(programs[libc], ["sh", "-c", command], timeout=60, role="stack-probe", **options)
    return ProbeOutcome(
        libc, case, int(frame), int(depth), result.exit_code or 0, result.output.strip()
    )


def describe(outcome: ProbeOutcome) -> str:
    """One line for a learner: survived, or crashed and why."""
    what = (
        f"{RUNS_ON.get(outcome.libc, outcome.libc)}, {outcome.case.label}, "
        f"{outcome.frame}-byte frames, depth {outcome.depth:,}"
    )
    if outcome.survived:
        return f"SURVIVED: {what}. {outcome.output}"
    if outcome.crashed:
        return f"CRASHED (exit 139, SIGSEGV: the thread's stack ran out): {what}."
    return f"FAILED (exit {outcome.exit_code}): {what}. {outcome.output}"


def explorer(programs: Programs, frame: int = 256, depth: int = 1000):
    """A widget: pick a libc, a fix, a frame size and a depth, press the button.

    The button runs :func:`try_depth` in a fresh container and shows whether the
    program survived or crashed. It needs the images of ``programs``: rebuild them
    if the notebook's last cell removed them.

    Returns:
        The ipywidgets ``VBox`` (display it by making it a cell's last value).
    """
    import ipywidgets as w

    cases = {c.label: c for c in (DEFAULT, SETSTACKSIZE, LINKED, with_ulimit(65536), MAIN_THREAD)}
    libc = w.ToggleButtons(
        options=[("musl (Alpine)", "musl"), ("glibc (Debian)", "glibc")], description="libc"
    )
    fix = w.Dropdown(options=list(cases), description="run with", layout=w.Layout(width="420px"))
    frames = [2**k for k in range(5, 17)]
    frame_s = w.SelectionSlider(
        options=[(f"{f:,}", f) for f in frames],
        value=frame,
        description="frame (B)",
        continuous_update=False,
    )
    depth_s = w.IntSlider(
        value=depth,
        min=1,
        max=50_000,
        step=1,
        description="depth",
        continuous_update=False,
        layout=w.Layout(width="520px"),
    )
    button = w.Button(description="Run it", button_style="primary", icon="play")
    result = w.HTML(value="<i>Choose, then press Run it.</i>")

    def on_click(_=None) -> None:
        button.disabled = True
        result.value = "<i>running...</i>"
        try:
            out = try_depth(programs, libc.value, frame_s.value, depth_s.value, cases[fix.value])
            color = GOOD if out.survived else BAD
            result.value = f"<b style='color:{color}'>{describe(out)}</b>"
        except DockerlabError as e:
            result.value = f"<b style='color:{BAD}'>Could not run it: {e}</b>"
        finally:
            button.disabled = False

    button.on_click(on_click)
    box = w.VBox([libc, fix, frame_s, depth_s, button, result])
    box.run = on_click  # for a programmatic press
    return box


# --------------------------------------------------------------------------- Python

PYTHON_IMAGE_ENV = "DOCKERLAB_IMAGE_PYTHON_ALPINE"
PYTHON_IMAGE_DEFAULT = "python:3-alpine"

_PY_SCRIPT = """
import json, sys, threading
depth = int(sys.argv[1])
sys.setrecursionlimit(depth * 4 + 1000)
out = {"stack_size()": threading.stack_size(), "version": sys.version.split()[0]}
def work():
    data = []
    for _ in range(depth):
        data = [data]
    try:
        json.dumps(data)
        out["result"] = "survived"
    except RecursionError as e:
        out["result"] = f"RecursionError: {e}"
t = threading.Thread(target=work)
t.start(); t.join()
print(json.dumps(out))
"""


def python_image() -> str | None:
    """A Python-on-Alpine image on this engine, or None.

    ``$DOCKERLAB_IMAGE_PYTHON_ALPINE`` if set, else ``python:3-alpine``; never pulled.
    """
    name = os.environ.get(PYTHON_IMAGE_ENV) or PYTHON_IMAGE_DEFAULT
    try:
        client().images.get(name)
    except docker.errors.ImageNotFound:
        return None
    return name


def python_recursion(image: str, depth: int = 50_000) -> dict:
    """``json.dumps`` of a list nested ``depth`` deep, in a Python thread.

    Returns:
        ``{"stack_size()": ..., "version": ..., "result": "survived" | "RecursionError..."
        | "crashed (exit 139)"}``.
    """
    r = run(image, ["python3", "-c", _PY_SCRIPT, str(depth)], timeout=60, **CONTAINER_OPTIONS)
    if r.exit_code == SIGSEGV_EXIT:
        return {"result": "crashed (exit 139, SIGSEGV)"}
    lines = [ln for ln in r.output.splitlines() if ln.startswith("{")]
    if r.exit_code != 0 or not lines:
        raise ContainerFailed(f"python in {image} exited {r.exit_code}: {r.output[-300:]}")
    return json.loads(lines[-1])


__all__ = [
    "CFLAGS",
    "CONTAINER_OPTIONS",
    "DEFAULT",
    "GLIBC_DEFAULT_STACK",
    "GLIBC_UNLIMITED_STACK",
    "LIBCS",
    "LINKED",
    "LINKED_STACK",
    "MAIN_THREAD",
    "MUSL_DEFAULT_STACK",
    "PYTHON_IMAGE_DEFAULT",
    "PYTHON_IMAGE_ENV",
    "SETSTACKSIZE",
    "SIGSEGV_EXIT",
    "Bracket",
    "Case",
    "KiB",
    "MiB",
    "Outcome",
    "ProbeOutcome",
    "Prober",
    "Programs",
    "StackFit",
    "bisect",
    "build_programs",
    "classify",
    "compare_cases",
    "describe",
    "dockerfile",
    "explorer",
    "find_limits",
    "fits",
    "human",
    "implied_stack",
    "plot_depths",
    "plot_ulimit",
    "python_image",
    "python_recursion",
    "try_depth",
    "ulimit_sweep",
    "with_ulimit",
]
