"""The host's state that engines could change, set for a test and put back afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

IP_FORWARD = Path("/proc/sys/net/ipv4/ip_forward")


@contextlib.contextmanager
def ip_forward_off() -> Iterator[None]:
    """``net.ipv4.ip_forward`` = 0, as on a fresh machine, until the block ends; then its
    value before. Needs root (the tests that use it run only as root)."""
    before = IP_FORWARD.read_text().strip()
    IP_FORWARD.write_text("0\n")
    try:
        yield
    finally:
        IP_FORWARD.write_text(before + "\n")
