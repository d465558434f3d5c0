"""Waiting for a package lock: who holds it, which locks a command takes, the wait's bound.

The lock is a real POSIX record lock held by a real child process (tests/lock_holder.py)
on a file of the test's own; the system's locks are tried in
tests/integration/test_apt_lock.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from lock_holder import comm, held_lock

from dockerlab.core import apt_lock
from dockerlab.errors import InvalidOption, PackageLockBusy


def test_the_holder_is_the_process_holding_the_lock(tmp_path):
    lock = tmp_path / "lock"
    with held_lock(lock, 60) as child:
        got = apt_lock.holder(lock)
        assert got is not None
        assert (got.pid, got.name, got.lock) == (child.pid, comm(child.pid), lock)
        assert str(got) == f"process {child.pid} ({comm(child.pid)})"
    assert apt_lock.holder(lock) is None  # released when the child ended
    assert apt_lock.holder(tmp_path / "missing") is None


def test_waiting_prints_one_line_and_returns_once_the_lock_is_free(tmp_path):
    lock = tmp_path / "lock"
    lines: list[str] = []
    with held_lock(lock, 1.5) as child:
        name = comm(child.pid)
        start = time.monotonic()
        apt_lock.wait_for_locks([lock], time.monotonic() + 30, say=lines.append)
        waited = time.monotonic() - start
    assert waited > 0.5, "it returned while the lock was still held"
    assert len(lines) == 1
    assert lines[0].startswith(f"Waiting for apt: process {child.pid} ({name})")
    assert str(lock) in lines[0] and "DOCKERLAB_APT_LOCK_TIMEOUT" in lines[0]


def test_a_lock_held_too_long_is_a_clear_error_after_the_bound(tmp_path):
    lock = tmp_path / "lock"
    with held_lock(lock, 60) as child:
        start = time.monotonic()
        with pytest.raises(PackageLockBusy) as e:
            apt_lock.wait_for_locks([lock], time.monotonic() + 1, say=lambda _: None, limit=1)
        assert time.monotonic() - start < 10
    assert f"process {child.pid}" in str(e.value) and str(lock) in str(e.value)
    assert "DOCKERLAB_APT_LOCK_TIMEOUT" in e.value.hint


@pytest.mark.parametrize(
    ("cmd", "locks"),
    [
        (["apt-get", "update", "-qq"], (Path("/var/lib/apt/lists/lock"),)),
        (["apt-get", "-q", "-o", "A=b", "install", "-y", "x"], (*apt_lock.DPKG_LOCKS,
                                                                apt_lock.ARCHIVES_LOCK)),
        (["apt-get", "download", "x"], ()),
        (["apt-get", "indextargets", "--format", "$(FILENAME)"], ()),
        (["apt-cache", "madison", "x"], ()),
        (["dpkg", "-i", "x.deb"], apt_lock.DPKG_LOCKS),
        (["dpkg-deb", "-x", "x.deb", "d"], ()),
    ],
)  # fmt: skip
def test_each_command_waits_for_the_locks_it_takes(cmd, locks):
    assert apt_lock.locks_of(cmd) == locks


def test_a_private_index_has_its_own_lock(tmp_path):
    assert apt_lock.locks_of(["apt-get", "update"], tmp_path) == (tmp_path / "lock",)


def test_the_bound_is_configurable(monkeypatch):
    monkeypatch.delenv("DOCKERLAB_APT_LOCK_TIMEOUT", raising=False)
    assert apt_lock.lock_timeout() == apt_lock.DEFAULT_TIMEOUT
    monkeypatch.setenv("DOCKERLAB_APT_LOCK_TIMEOUT", "90")
    assert apt_lock.lock_timeout() == 90
    for bad in ("soon", "-5", "nan"):
        monkeypatch.setenv("DOCKERLAB_APT_LOCK_TIMEOUT", bad)
        with pytest.raises(InvalidOption):
            apt_lock.lock_timeout()
