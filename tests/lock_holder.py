"""A real process holding a real package lock, for the tests of apt's waiting.

``held_lock(path, seconds)`` starts a child Python that takes the POSIX record lock apt
and dpkg take (``lockf``, ``F_WRLCK``) on ``path`` and keeps it for ``seconds``; the
block yields the child, and kills it at the end whatever happens, so the lock is never
left held.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

_HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o640)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextlib.contextmanager
def held_lock(path: Path, seconds: float) -> Iterator[subprocess.Popen]:
    """A child process holding ``path``'s lock for ``seconds`` (then it exits)."""
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline().strip()
        assert line == "held", f"the child could not take {path}'s lock"
        yield child
    finally:
        child.kill()
        child.wait()
        child.stdout.close()


def comm(pid: int) -> str:
    """A process's name, as the kernel keeps it."""
    return Path(f"/proc/{pid}/comm").read_text().strip()
