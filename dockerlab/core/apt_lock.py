"""apt and dpkg calls that wait while another program holds the package lock.

A fresh cloud machine runs unattended-upgrades at boot, which holds dpkg's lock
(``/var/lib/dpkg/lock-frontend``) or apt's index lock (``/var/lib/apt/lists/lock``) for
minutes: exactly when an instructor runs ``classroom setup`` or a learner first runs
``make lab``. Bare, ``apt-get`` then fails at once ("Could not get lock ...").

:func:`run_apt` waits instead, for at most :func:`lock_timeout` seconds
(``DOCKERLAB_APT_LOCK_TIMEOUT``, default :data:`DEFAULT_TIMEOUT`):

- before running, it asks the kernel who holds each lock the command takes
  (``fcntl(F_GETLK)``, the same POSIX record lock apt and dpkg take) and, if one is held,
  prints one line naming that process and waits for it to let go;
- it passes apt's own ``-o DPkg::Lock::Timeout=`` (apt 1.9.11 and later), so apt itself
  waits for dpkg's frontend lock if another program takes it between the check and the
  run; apt has no such wait for its index lock, so a run that still lost the race for a
  lock is tried again until the time is up;
- when the time is up, it raises :class:`~dockerlab.errors.PackageLockBusy` naming the
  process, and what to do.

It never removes a lock file (that is how package databases get broken).

Example:
    >>> holder(Path("/var/lib/dpkg/lock-frontend"))  # doctest: +SKIP
    Holder(pid=812, name='unattended-upgr', lock=PosixPath('/var/lib/dpkg/lock-frontend'))
"""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dockerlab.errors import DockerlabError, InvalidOption, PackageLockBusy

#: dpkg's locks: the frontend lock apt and other frontends hold for a whole run, and
#: dpkg's own database lock.
DPKG_LOCKS = (Path("/var/lib/dpkg/lock-frontend"), Path("/var/lib/dpkg/lock"))
#: apt's lock on its package index (``apt-get update``), and on its download cache.
LISTS_LOCK = Path("/var/lib/apt/lists/lock")
ARCHIVES_LOCK = Path("/var/cache/apt/archives/lock")
#: How long the kit waits for the lock when ``DOCKERLAB_APT_LOCK_TIMEOUT`` is unset:
#: unattended-upgrades on a fresh machine usually takes a few minutes.
DEFAULT_TIMEOUT = 600.0
#: How often the lock's holder is asked again while waiting.
POLL = 0.5
#: What apt and dpkg print when they could not take a lock.
_LOCK_FAILURES = ("Could not get lock", "Unable to acquire the dpkg frontend lock",
                  "Unable to lock directory", "dpkg frontend lock was locked",
                  "database is locked by another process")  # fmt: skip
#: The apt-get actions and dpkg options that change the system, so take dpkg's locks.
_APT_CHANGES = {"install", "reinstall", "remove", "purge", "upgrade", "dist-upgrade",
                "full-upgrade", "autoremove", "autopurge", "build-dep", "check", "clean",
                "autoclean", "satisfy"}  # fmt: skip
_DPKG_CHANGES = {"-i", "--install", "-r", "--remove", "-P", "--purge", "--configure",
                 "--unpack", "-a", "--pending"}  # fmt: skip


@dataclass(frozen=True)
class Holder:
    """A process holding a package lock.

    Attributes:
        pid: Its process id (as the kernel reports it to ``F_GETLK``).
        name: Its name (``/proc/PID/comm``, 15 characters at most: ``unattended-upgr``),
            or ``"?"`` when it cannot be read.
        lock: The lock file it holds.
    """

    pid: int
    name: str
    lock: Path

    def __str__(self) -> str:
        return f"process {self.pid} ({self.name})"


def lock_timeout() -> float:
    """Seconds to wait for a busy package lock: ``$DOCKERLAB_APT_LOCK_TIMEOUT``, or
    :data:`DEFAULT_TIMEOUT`.

    Raises:
        InvalidOption: The variable is not a number of seconds, 0 or more.
    """
    raw = os.environ.get("DOCKERLAB_APT_LOCK_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise InvalidOption(
            f"DOCKERLAB_APT_LOCK_TIMEOUT={raw!r} is not a number of seconds.",
            hint=f"Set it to how long to wait for apt's lock, e.g. 900 (unset: "
            f"{DEFAULT_TIMEOUT:.0f}).",
        )
    return seconds


def holder(lock: Path) -> Holder | None:
    """The process holding ``lock`` (a POSIX record lock, as apt and dpkg take), or None.

    A missing or unreadable lock file counts as free: apt then says itself what is wrong.
    """
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        # struct flock: l_type, l_whence, l_start, l_len, l_pid (+ padding), whole file.
        query = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
    except OSError:
        return None
    finally:
        os.close(fd)
    kind, _, _, _, pid = struct.unpack("hhqqi4x", answer)
    if kind == fcntl.F_UNLCK:
        return None
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip() or "?"
    except OSError:
        name = "?"
    return Holder(pid, name, lock)


def locks_of(cmd: Sequence[str], lists: Path = LISTS_LOCK.parent) -> tuple[Path, ...]:
    """The locks an ``apt-get``/``dpkg`` command takes (``lists``: its index folder)."""
    tool = Path(cmd[0]).name
    if tool == "dpkg":
        return DPKG_LOCKS if set(cmd[1:]) & _DPKG_CHANGES else ()
    if tool not in ("apt-get", "apt"):
        return ()
    action = next((a for a in cmd[1:] if not a.startswith("-") and "=" not in a), "")
    if action == "update":
        return (lists / "lock",)
    return (*DPKG_LOCKS, ARCHIVES_LOCK) if action in _APT_CHANGES else ()


def wait_for_locks(
    locks: Sequence[Path],
    deadline: float,
    *,
    say: Callable[[str], None] | None = None,
    what: str = "apt",
    limit: float | None = None,
) -> None:
    """Return once no process holds any of ``locks``; print one line while waiting.

    Args:
        locks: The lock files.
        deadline: ``time.monotonic()`` after which it gives up.
        say: Prints the waiting line (default: standard error).
        what: The command waited for, for the messages.
        limit: The seconds waited in all, for the error (default :func:`lock_timeout`).

    Raises:
        PackageLockBusy: A lock was still held at the deadline.
    """
    say = say or _stderr
    told: set[int] = set()
    while True:
        busy = next((h for lock in locks if (h := holder(lock))), None)
        if busy is None:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise PackageLockBusy(
                f"{what} could not run: {busy} still holds the package lock {busy.lock} "
                f"after the kit waited {lock_timeout() if limit is None else limit:.0f} s.",
            )
        if busy.pid not in told:
            told.add(busy.pid)
            say(
                f"Waiting for apt: {busy} holds the package lock {busy.lock}; the kit waits "
                f"up to {left:.0f} s more (DOCKERLAB_APT_LOCK_TIMEOUT) ..."
            )
        time.sleep(min(POLL, max(left, 0.01)))


def lock_failure(output: str) -> bool:
    """True if apt's or dpkg's output says it could not take a lock."""
    return any(text in output for text in _LOCK_FAILURES)


def run_apt(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    wait: float | None = None,
    lists: Path = LISTS_LOCK.parent,
    say: Callable[[str], None] | None = None,
    run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
    **kwargs,
) -> subprocess.CompletedProcess:
    """Run an ``apt-get``/``apt-cache``/``dpkg`` command once the package locks it takes
    are free, waiting at most ``wait`` seconds (default :func:`lock_timeout`).

    Args:
        cmd: The command (``["apt-get", "install", "-y", "uidmap"]``).
        env: Its environment.
        wait: Seconds to wait for the locks (default :func:`lock_timeout`).
        lists: The index folder of its apt configuration (a private one's lock is there).
        say: Prints the waiting line (default: standard error).
        run: What runs it (:func:`subprocess.run`); given ``capture_output``, ``text``
            and any other ``kwargs``.
        **kwargs: Passed to ``run`` (``cwd``; ``timeout``: how long the command itself
            may take once it runs).

    Returns:
        The finished process, whatever its exit status (the caller judges it), unless
        the lock stayed busy.

    Raises:
        PackageLockBusy: A lock was still held when the time was up.
    """
    wait = lock_timeout() if wait is None else wait
    deadline = time.monotonic() + wait
    locks = locks_of(cmd, lists)
    shown = " ".join(cmd[:3])
    while True:
        wait_for_locks(locks, deadline, say=say, what=f"`{shown}`", limit=wait)
        argv = list(cmd)
        if Path(cmd[0]).name in ("apt-get", "apt", "apt-cache"):
            left = max(int(deadline - time.monotonic()), 0)
            argv[1:1] = ["-o", f"DPkg::Lock::Timeout={left}"]
        done = run(argv, env=env, capture_output=True, text=True, **kwargs)
        output = (done.stdout or "") + (done.stderr or "")
        if done.returncode == 0 or not lock_failure(output):
            return done
        if time.monotonic() >= deadline:
            busy = next((h for lock in locks if (h := holder(lock))), None)
            who = f"{busy} holds the package lock {busy.lock}" if busy else "another program"
            raise PackageLockBusy(
                f"`{shown}` could not run: {who} held apt's lock for all of the "
                f"{wait:.0f} s the kit waits:\n    | " + output.strip().splitlines()[-1]
            )
        time.sleep(POLL)


def check(done: subprocess.CompletedProcess, what: str, error: type[DockerlabError]) -> str:
    """``done``'s standard output if it succeeded; else raise ``error`` with its last lines.

    Raises:
        DockerlabError: (``error``) It exited with a non-zero status.
    """
    if done.returncode != 0:
        tail = ((done.stdout or "") + (done.stderr or "")).strip().splitlines()[-12:]
        raise error(
            f"{what} failed (exit {done.returncode}):\n" + "\n".join(f"    | {x}" for x in tail)
        )
    return done.stdout or ""


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
