r"""A container's processes, read from its own ``/proc``: states, parents, zombies.

``docker top`` lists what the host sees in the container's cgroup, and a zombie
has already left it, so zombies are counted from inside: a small static program
(``assets/procstat.c``) prints every ``/proc/PID/stat`` line, in any image, FROM
scratch included. The PID 1 lesson, its exercise and the capstone's scorecard all
read processes this way.

Example:
    >>> procs = parse_stat("1 (sleep) S 0\n7 (sh) Z 1\n")
    >>> count_zombies(procs)
    1
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dockerlab import assets
from dockerlab.core.building import build
from dockerlab.core.containers import DemoContainer
from dockerlab.core.images import ref
from dockerlab.errors import DockerlabError
from dockerlab.inspect.elf import read_file


@dataclass(frozen=True)
class Proc:
    """One process, from its ``/proc/PID/stat`` line.

    Attributes:
        pid: Process id (inside the container's PID namespace).
        name: The command name (``comm``, at most 15 characters; may hold
            spaces and parentheses).
        state: One letter: R running, S sleeping, Z zombie, ...
        ppid: The parent's pid (0 for a process whose parent is outside the
            namespace, such as PID 1 or a ``docker exec``).
    """

    pid: int
    name: str
    state: str
    ppid: int

    @property
    def zombie(self) -> bool:
        return self.state == "Z"


def parse_stat_line(line: str) -> Proc:
    """Parse one ``/proc/PID/stat`` line.

    The name sits between the first ``(`` and the **last** ``)``: a program may
    call itself ``a) Z (b``, so splitting on spaces, or on the first ``)``, reads
    the wrong fields.

    Raises:
        ValueError: The line is not a stat line.
    """
    line = line.strip()
    open_, close = line.find("("), line.rfind(")")
    if open_ < 1 or close < open_:
        raise ValueError(f"not a /proc/PID/stat line: {line[:80]!r}")
    rest = line[close + 1 :].split()
    if len(rest) < 2:
        raise ValueError(f"not a /proc/PID/stat line: {line[:80]!r}")
    return Proc(int(line[:open_]), line[open_ + 1 : close], rest[0], int(rest[1]))


def parse_stat(text: str) -> list[Proc]:
    """Every process in the output of ``/procstat`` (one stat line each), by pid."""
    return sorted(
        (parse_stat_line(ln) for ln in text.splitlines() if ln.strip()), key=lambda p: p.pid
    )


def count_zombies(procs: Iterable[Proc]) -> int:
    """How many processes are zombies (state Z)."""
    return sum(p.zombie for p in procs)


_PROCSTAT: bytes | None = None


def procstat_binary() -> bytes:
    """The program ``.dockerlab-procstat``: ``assets/procstat.c`` built static (musl).

    It is copied into the running container under test and run there with
    ``docker exec``, so zombies are counted from the container's own ``/proc``
    in any image, FROM scratch included. (``docker top`` cannot count them: on
    this engine a zombie has already left the container's cgroup, so ``top``
    does not list it.) Built once per process; the build image is removed.
    """
    global _PROCSTAT
    if _PROCSTAT is None:
        dockerfile = (
            f"FROM {ref('builder')}\nCOPY procstat.c /src/procstat.c\n"
            "RUN musl-gcc -static -Os -o /procstat /src/procstat.c && strip /procstat\n"
        )
        with build(dockerfile, {"procstat.c": assets.text("procstat.c")}, progress=False) as img:
            _PROCSTAT = read_file(img, "/procstat")
    return _PROCSTAT


def processes_inside(box: DemoContainer) -> list[Proc] | None:
    """A running container's processes, read from its own ``/proc`` (None if impossible)."""
    try:
        box.copy_in("/", {".dockerlab-procstat": procstat_binary()}, mode=0o755)
    except DockerlabError:
        return None  # e.g. a read-only root filesystem
    result = box.exec(["/.dockerlab-procstat"])
    if result.exit_code != 0:
        return None
    return parse_stat(result.output)


def count_zombies_inside(box: DemoContainer) -> int | None:
    """Zombies in a running container, read from its own ``/proc`` (None if impossible)."""
    procs = processes_inside(box)
    return None if procs is None else count_zombies(procs)
