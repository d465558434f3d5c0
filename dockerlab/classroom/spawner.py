"""The class's JupyterHub spawner: each learner's server as that learner, with folders of its own.

:class:`ClassSpawner` is JupyterHub's ``LocalProcessSpawner`` (the server runs as the
learner's Unix user) plus one step root takes before it drops to the learner: the
server gets a mount and IPC namespace of its own, in which the folders every user of
a machine may write to (``/tmp``, ``/var/tmp``, ``/dev/shm``, ``/run/lock``) are fresh,
empty, in-memory file systems, and POSIX message queues and System V shared memory are
its own. So learners share no writable folder: what alice leaves in ``/tmp`` bob never
sees, and it is gone when her server stops. What these folders hold counts against the
learner's memory budget (the kernel charges a tmpfs page to whoever wrote it).

Its ``/proc`` is a procfs of its own, mounted ``hidepid=invisible`` (Linux 5.8 or later:
each procfs mount has its own options): the learner's server and kernels see only the
processes she may trace, her own, not the other learners' nor their command lines. The
machine's ``/proc`` is unchanged, so the hub, root and the instructor see every process.
Chosen over a pid namespace per server, which would make the server (or a helper) pid 1
and hide its pid from ``LocalProcessSpawner``, which watches the server by its pid.

The hub must run as root (it already must, to start servers as other users) from a
Python environment with dockerlab installed: the class's, which ``classroom setup`` makes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Unicode

from dockerlab.classroom.learners import HIDEPID, PRIVATE_FOLDERS

_CLONE_NEWNS, _CLONE_NEWIPC = 0x00020000, 0x08000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 2, 4, 8, 1 << 14, 1 << 18
# Loaded before any fork: the preexec step runs between fork and exec.
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _call(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def private_folders(size: str) -> None:
    """In this process (root, before it becomes the learner): new mount and IPC
    namespaces, a fresh tmpfs of at most ``size`` on each of :data:`PRIVATE_FOLDERS`, and
    a ``/proc`` that shows only the processes the learner may trace."""
    _call(_libc.unshare(_CLONE_NEWNS | _CLONE_NEWIPC), "unshare (mount, IPC)")
    # Nothing mounted from here on may reach the machine's namespace (systemd shares /).
    _call(_libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "make / private")
    for folder in PRIVATE_FOLDERS:
        if os.path.isdir(folder) and not os.path.islink(folder):
            options = f"mode=1777,size={size}".encode()
            _call(
                _libc.mount(b"tmpfs", folder.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, options),
                f"mount a private {folder}",
            )
    _call(
        _libc.mount(b"proc", b"/proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                    HIDEPID.encode()),
        "mount a /proc that hides other users' processes",
    )  # fmt: skip
    if os.path.isdir("/dev/mqueue"):  # the new IPC namespace's message queues
        _call(
            _libc.mount(
                b"mqueue", b"/dev/mqueue", b"mqueue", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None
            ),
            "mount /dev/mqueue",
        )


class ClassSpawner(LocalProcessSpawner):
    """``LocalProcessSpawner`` whose servers get private ``/tmp``, ``/var/tmp``, ``/dev/shm``,
    ``/run/lock`` and IPC (see the module's text)."""

    private_size = Unicode(
        "1g", config=True, help="The most each private folder may hold (a tmpfs size)."
    )

    def make_preexec_fn(self, name):
        become_learner = super().make_preexec_fn(name)
        size = self.private_size

        def preexec():
            private_folders(size)  # as root; a failure stops the spawn: no shared folders
            become_learner()

        return preexec
