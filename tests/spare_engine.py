"""A second private engine for tests that break things: stop it, fill its disk.

Fault-injection tests must not stop or fill the engine the rest of the run
uses, so they get an engine of their own: the kit's private engine started with
another cache folder (``DOCKERLAB_CACHE``), hence another data root, socket and
exec root (see :mod:`dockerlab.engines.private`), of the run's engine profile
(``DOCKERLAB_ENGINE``) or one of the test's choosing. Its Docker Engine 28
binaries are the run's own download, linked into the folder: a spare downloads
nothing and fits a small disk. :func:`small_disk` puts that folder on a small
loop-mounted ext4 file system, to fill the engine's disk for real. Both need
Linux and root; tests skip elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

import dockerlab as dl
from dockerlab.core.engine import ping
from dockerlab.engines import private as private_engine

_START = ["-m", "dockerlab", "engine", "start"]
_STOP = ["-c", "from dockerlab.engines import private as p; print(p.stop(), p.is_running())"]


def skip_unless_private_engines() -> None:
    """Skip the test where the kit would not start engines of its own."""
    if private_engine.system_engine_host() or os.geteuid() != 0:
        pytest.skip("private engines are only used on Linux as root with no engine of your own")


def share_engine_binaries(folder: Path, profile: str) -> None:
    """Give the cache folder ``folder`` the run's Docker Engine 28 download (a symlink),
    downloading it into the run's cache folder first if needed. Nothing for 20.10."""
    if profile == "20.10":
        return
    download = private_engine.ensure_engine28().parent  # .../docker-<version>
    link = Path(folder) / download.name
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)  # a link to a download since removed
        link.symlink_to(download, target_is_directory=True)


class SpareEngine:
    """The kit's private engine of profile ``profile``, started for the cache folder ``folder``.

    Start and stop run in a child process with ``DOCKER_HOST`` unset, exactly
    as ``python -m dockerlab engine start|stop`` would; :attr:`env` is the
    environment a program (a notebook's kernel) needs to use this engine.

    Args:
        folder: The engine's cache folder (its data root goes there).
        profile: An engine profile (``private_engine.PROFILES``); default: the run's.
    """

    def __init__(self, folder: Path, profile: str | None = None) -> None:
        self.folder = Path(folder)
        self.profile = profile or private_engine.profile()
        env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
        env["DOCKERLAB_CACHE"] = str(self.folder)
        env["DOCKERLAB_ENGINE"] = self.profile
        self._private_env = env
        self.host = ""

    @property
    def env(self) -> dict[str, str]:
        return {**self._private_env, "DOCKER_HOST": self.host}

    def _kit(self, args: list[str]) -> str:
        p = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                           env=self._private_env, timeout=180)  # fmt: skip
        assert p.returncode == 0, p.stderr
        return p.stdout.strip()

    def start(self) -> str:
        """Start (or restart) the engine; returns its ``DOCKER_HOST``."""
        share_engine_binaries(self.folder, self.profile)
        out = self._kit(_START)
        assert len(out.splitlines()) == 1, out  # scripts read the DOCKER_HOST line alone
        self.host = out
        return self.host

    def stop(self) -> None:
        """Stop the engine, as ``python -m dockerlab engine stop`` does (SIGTERM, wait)."""
        assert self._kit(_STOP).split() == ["True", "False"]

    def client(self) -> docker.DockerClient:
        """A plain docker SDK client of this engine (the kit's own stays on the main one)."""
        return docker.DockerClient(base_url=self.host, timeout=120)

    def load(self, *keys: str) -> None:
        """Copy catalog images from the main engine into this one (docker save | docker load)."""
        c = self.client()
        try:
            for key in keys:
                # Saved by its catalog name: save(named=True) would take the image's first
                # tag, which may be another name it has (a registry's, left by a push).
                c.images.load(b"".join(dl.client().api.get_image(dl.ref(key))))
        finally:
            c.close()

    def kit_resources(self) -> dict[str, list[str]]:
        """What carries the kit's session label here, by kind (every session)."""
        c = self.client()
        flt = dl.labels.filter_for(None)
        try:
            return {
                "containers": [x.name for x in c.containers.list(all=True, filters=flt)],
                "images": [i.short_id for i in c.images.list(filters=flt)],
                "volumes": [v.name for v in c.volumes.list(filters=flt)],
            }
        finally:
            c.close()


@contextlib.contextmanager
def spare_engine(folder: Path, *keys: str, profile: str | None = None) -> Iterator[SpareEngine]:
    """A started :class:`SpareEngine` of ``profile`` (default: the run's) with catalog
    images ``keys`` (copied from the run's engine); stopped on exit, always."""
    skip_unless_private_engines()
    spare = SpareEngine(folder, profile)
    spare.start()
    try:
        spare.load(*keys)
        yield spare
    finally:  # never leave an engine running, even when loading failed
        if ping(spare.host):
            spare.stop()


@contextlib.contextmanager
def small_disk(folder: Path, megabytes: int) -> Iterator[Path]:
    """A fresh ext4 file system of ``megabytes`` loop-mounted at ``folder``; unmounted on exit."""
    skip_unless_private_engines()
    if not shutil.which("mkfs.ext4") or not Path("/dev/loop-control").exists():
        pytest.skip("no loop devices or mkfs.ext4 here")
    image = folder.with_suffix(".img")
    folder.mkdir(parents=True, exist_ok=True)
    with open(image, "wb") as f:
        f.truncate(megabytes << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True, capture_output=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(folder)], check=True,
                   capture_output=True)  # fmt: skip
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)
        image.unlink(missing_ok=True)
