"""The deep-recursion program, ``assets/recurse.c``: how it is built, run and read.

``recurse FRAME DEPTH`` starts one thread and recurses DEPTH levels in it, each
level holding a buffer of FRAME bytes. A run that reaches the end prints
``reached depth DEPTH with FRAME-byte frames; thread stack: N bytes`` (N as the C
library itself reports it); a thread whose stack runs out dies of SIGSEGV (exit 139).

The stack lesson (:mod:`dockerlab.lessons.stack`) measures glibc's and musl's limits with
it, and exercise 2 (:mod:`dockerlab.exercises.stack_static`) checks a learner's build
of it: both build it with the same :data:`CFLAGS`, run it with the same
:data:`CONTAINER_OPTIONS` and read its output with :func:`thread_stack`.
"""

from __future__ import annotations

import re

import docker.types

KiB, MiB = 1024, 1024 * 1024

#: The compiler flags: no optimisation that could remove or flatten the recursion,
#: and a probe of every new stack page, so an overflow always hits the guard page.
CFLAGS = "-O0 -fstack-clash-protection -pthread"
#: Its containers: enough memory for glibc's 8 MiB stacks (and 64 MiB ones under
#: a raised ``ulimit -s``); the usual 8 MiB soft stack limit, no hard limit, so a
#: run may raise ``ulimit -s`` without privileges.
CONTAINER_OPTIONS = {
    "memory": "512m",
    "ulimits": [docker.types.Ulimit(name="stack", soft=8 * MiB, hard=-1)],
}
#: The exit code of a run whose stack ran out: 128 + SIGSEGV (11).
SIGSEGV_EXIT = 139

_THREAD_STACK = re.compile(r"thread stack: (\d+) bytes")


def thread_stack(output: str) -> int | None:
    """The thread's stack size the program printed (``pthread_getattr_np``), in bytes.

    Args:
        output: What a run of ``recurse`` printed.

    Returns:
        The size, or None if the output holds none (the run crashed, or recursed in
        the main thread).

    Example:
        >>> thread_stack("reached depth 4 with 256-byte frames; thread stack: 131072 bytes")
        131072
    """
    m = _THREAD_STACK.search(output)
    return int(m[1]) if m else None


def human(nbytes: float) -> str:
    """Bytes as KiB or MiB, e.g. ``human(131072) == '128 KiB'``."""
    if nbytes >= 1000 * KiB:
        return f"{nbytes / MiB:.3g} MiB"
    return f"{nbytes / KiB:.3g} KiB"


__all__ = ["CFLAGS", "CONTAINER_OPTIONS", "SIGSEGV_EXIT", "KiB", "MiB", "human", "thread_stack"]
