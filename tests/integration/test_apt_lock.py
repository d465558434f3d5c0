"""The kit's apt calls wait while another process holds the system's package lock.

A real process (tests/lock_holder.py) holds the very lock unattended-upgrades holds at
boot, ``/var/lib/dpkg/lock-frontend``, while the kit installs a package this machine has
already (``dpkg``: apt has nothing to do, so nothing changes). The child is killed at the
end of each test, so the lock is never left held. Root and apt-get only.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest
from lock_holder import comm, held_lock

from dockerlab.core import apt_lock
from dockerlab.core.downloads import Apt, apt_install
from dockerlab.errors import PackageLockBusy

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("apt-get"), reason="needs root and apt-get"
)
FRONTEND = apt_lock.DPKG_LOCKS[0]


def test_apt_install_waits_for_the_lock_then_installs(capfd, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_APT_LOCK_TIMEOUT", "120")
    with held_lock(FRONTEND, 4) as child:
        name = comm(child.pid)
        start = time.monotonic()
        apt_install(["dpkg"], "the apt lock test")
        waited = time.monotonic() - start
    err = capfd.readouterr().err
    waiting = [line for line in err.splitlines() if line.startswith("Waiting for apt")]
    assert waiting == [
        f"Waiting for apt: process {child.pid} ({name}) holds the package lock {FRONTEND}; "
        f"the kit waits up to {waiting[0].split('up to ')[1].split()[0]} s more "
        "(DOCKERLAB_APT_LOCK_TIMEOUT) ..."
    ], err
    assert waited >= 2, "apt ran while the lock was held"
    assert apt_lock.holder(FRONTEND) is None


def test_a_lock_held_past_the_bound_fails_clearly_and_in_time(monkeypatch):
    monkeypatch.setenv("DOCKERLAB_APT_LOCK_TIMEOUT", "3")
    with held_lock(FRONTEND, 120) as child:
        start = time.monotonic()
        with pytest.raises(PackageLockBusy) as e:
            apt_install(["dpkg"], "the apt lock test")
        took = time.monotonic() - start
    assert took < 60, f"it waited {took:.0f} s for a 3 s bound"
    assert f"process {child.pid}" in str(e.value) and str(FRONTEND) in str(e.value)
    assert "waited 3 s" in str(e.value)
    assert apt_lock.holder(FRONTEND) is None


def test_apt_itself_waits_when_the_lock_is_taken_after_the_kit_looked(monkeypatch):
    """The race the kit's own look cannot close: apt's DPkg::Lock::Timeout covers it."""
    monkeypatch.setattr(apt_lock, "wait_for_locks", lambda *a, **k: None)  # look away
    with held_lock(FRONTEND, 3):
        start = time.monotonic()
        done = apt_lock.run_apt(["apt-get", "install", "-y", "-qq", "dpkg"], wait=60)
        took = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    assert took >= 2, "apt did not wait for the lock"


def test_a_private_index_update_waits_for_its_lock(tmp_path, capfd):
    """apt has no timeout for its index lock: the kit's own wait and retry cover it."""
    lists = tmp_path / "apt" / "lists"
    lists.mkdir(parents=True)
    private = Apt("an empty test index", tmp_path / "apt", sources="")
    with held_lock(lists / "lock", 3) as child:
        start = time.monotonic()
        private.run("apt-get", "update")
        took = time.monotonic() - start
    assert took >= 2
    assert f"Waiting for apt: process {child.pid}" in capfd.readouterr().err
