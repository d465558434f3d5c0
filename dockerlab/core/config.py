"""The kit's settings: where it keeps its files, and where its own engine listens.

Read from the environment, never written: ``DOCKERLAB_CACHE`` (the cache folder),
``DOCKERLAB_ENGINE`` (which of the kit's engine profiles), ``DOCKERLAB_CPUS`` (what the
engine's containers may use in all, where that is less than one CPU). The first module of the core:
it imports nothing of the kit but its errors, so every other module may ask it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from dockerlab.errors import InvalidOption

#: The engine profiles ``DOCKERLAB_ENGINE`` may name, and what each one runs.
PROFILES = {
    "28": "Docker Engine 28 with the containerd image store, as on Docker Desktop",
    "28-overlay2": "Docker Engine 28 with the classic overlay2 store, as after an upgrade",
    "20.10": "Debian 12's docker.io 20.10: overlay2 store, legacy builder",
    "28-arm64": "Docker Engine 28 with the containerd image store, running linux/arm64 images "
    "under qemu emulation, as on an Apple Silicon Mac",
    "28-desktop": "Docker Engine 28 with the containerd image store in network and mount "
    "namespaces of its own, reached only through its socket, as in Docker Desktop's VM",
}
#: The platform a profile's engine runs the course for (the others: the machine's own).
PROFILE_PLATFORM = {"28-arm64": "linux/arm64"}
#: Profiles whose engine runs apart, as in Docker Desktop's VM: its own loopback (a port
#: it listens on is not the notebook's), and the machine's ``/home`` and ``/tmp`` hidden
#: from it (a path of the notebook's means nothing to it).
PROFILE_APART = {"28-desktop"}
#: The group whose members may use the kit engine's socket (dockerd ``--group``); unset:
#: root only.
SOCKET_GROUP_VARIABLE = "DOCKERLAB_SOCKET_GROUP"
DEFAULT_PROFILE = "28"
#: How many CPUs the engine's containers may use in all, where the engine itself is limited
#: (a Kubernetes pod's engine sidecar: ``python -m dockerlab classroom kubernetes`` sets it):
#: the kit's containers then ask for at most that. On cgroup v1 the kernel refuses a
#: container whose CPU quota is over its engine's, so none could start without it.
CPUS_VARIABLE = "DOCKERLAB_CPUS"


#: Debian unstable's packages of Docker Engine 28, at the versions the kit was tested
#: with (2026-12-01). If Debian no longer serves one, the newest it serves is used, and
#: said so.
ENGINE_28_PACKAGES = {
    "docker.io": "28.5.2+dfsg4-5",
    "containerd": "2.1.9+ds1-5",
    "docker-cli": "28.5.2+dfsg4-5",
    "docker-buildx": "0.29.1+ds1-4",
}


def profile() -> str:
    """The engine profile in use: ``$DOCKERLAB_ENGINE``, or :data:`DEFAULT_PROFILE`.

    Raises:
        DockerlabError: ``DOCKERLAB_ENGINE`` names no profile of :data:`PROFILES`.
    """
    name = os.environ.get("DOCKERLAB_ENGINE", "").strip() or DEFAULT_PROFILE
    if name not in PROFILES:
        raise InvalidOption(
            f"DOCKERLAB_ENGINE={name!r} is not an engine profile the kit knows: use "
            + ", ".join(PROFILES)
            + f" (unset: {DEFAULT_PROFILE}).",
            hint="; ".join(f"{p}: {what}" for p, what in PROFILES.items()),
        )
    return name


def engine_cpus() -> float | None:
    """``$DOCKERLAB_CPUS``: the CPUs the engine's containers may use in all; None if unset.

    Raises:
        InvalidOption: It is set to something other than a number above 0.
    """
    text = os.environ.get(CPUS_VARIABLE, "").strip()
    if not text:
        return None
    try:
        cpus = float(text.removesuffix("m")) / (1000 if text.endswith("m") else 1)
    except ValueError:
        cpus = 0.0
    if not 0 < cpus < float("inf"):  # refuses nan too
        raise InvalidOption(
            f"{CPUS_VARIABLE}={text!r} is not a number of CPUs.",
            hint=f"Give the engine's CPU limit, as 0.75 or 750m, or unset {CPUS_VARIABLE}.",
        )
    return cpus


def cache_dir() -> Path:
    """The kit's cache folder (``$DOCKERLAB_CACHE`` or ``~/.cache/dockerlab``)."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dockerlab"
    return Path(os.environ.get("DOCKERLAB_CACHE") or default)


def engine_dir(name: str | None = None) -> Path:
    """Where the private engine of profile ``name`` (default: :func:`profile`) keeps its
    data (images survive restarts), its log and its configuration."""
    name = name or profile()
    return cache_dir() / ("engine" if name == "20.10" else f"engine-{name}")


def run_dir(name: str | None = None) -> Path:
    """Runtime files of profile ``name``'s engine: socket, exec root, pid file.

    Kept at a short path, whatever the cache folder: unix sockets allow about
    100 bytes, and containerd's socket lives deep inside the exec root. One
    folder per cache folder and profile, so each gives an independent engine.
    """
    base = Path("/run") if os.access("/run", os.W_OK) else Path(tempfile.gettempdir())
    return base / f"dockerlab-{tag(name)}"


def tag(name: str | None = None) -> str:
    """Short name of the cache folder and profile: one engine (socket, cgroup) for each.

    The 20.10 profile keeps the tag it had before profiles existed (the cache
    folder's alone), so its running engines and caches stay valid.
    """
    name = name or profile()
    tag = hashlib.sha256(str(cache_dir().resolve()).encode()).hexdigest()[:10]
    return tag if name == "20.10" else f"{tag}-{name}"


def socket_path(name: str | None = None) -> Path:
    """Where the private engine (of profile ``name``, default the active one) listens."""
    return run_dir(name) / "docker.sock"


def docker_host(name: str | None = None) -> str:
    """The address of the kit's engine of profile ``name``: ``unix://`` and its socket."""
    return f"unix://{socket_path(name)}"


#: CPU names as the kernel gives them (``uname -m``) -> as Docker gives them.
DOCKER_ARCH = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}


def machine_arch() -> str:
    """This machine's CPU as Docker names it (``amd64``, ``arm64``)."""
    machine = os.uname().machine
    return DOCKER_ARCH.get(machine, machine)


def engine28_complete(folder: Path) -> bool:
    """True for a finished download (extractions are renamed into place once complete)."""
    return (folder / "versions.json").is_file() and (folder / "root/usr/sbin/dockerd").is_file()


def engine28_root() -> Path | None:
    """The unpacked Docker Engine 28 of the kit's cache, if downloaded (no network used).

    The tested version (:data:`ENGINE_28_PACKAGES`) if present, else the newest
    download of another version (made when Debian no longer served the tested one).
    """
    pinned = cache_dir() / f"docker-{ENGINE_28_PACKAGES['docker.io']}"
    if engine28_complete(pinned):
        return pinned / "root"
    others = [d for d in cache_dir().glob("docker-*") if engine28_complete(d)]
    others.sort(key=lambda d: d.stat().st_mtime, reverse=True)
    return others[0] / "root" if others else None


def kit_docker_cli() -> Path | None:
    """The docker CLI (28.x) of the kit's Docker Engine 28 download, if downloaded.

    It finds :func:`kit_buildx` as its ``buildx`` plugin when that binary's folder is
    listed in ``cliPluginsExtraDirs`` of its ``$DOCKER_CONFIG/config.json`` (or linked
    into ``$DOCKER_CONFIG/cli-plugins/``).
    """
    root = engine28_root()
    cli = root / "usr/bin/docker" if root else None
    return cli if cli and cli.is_file() else None


def kit_buildx() -> Path | None:
    """The ``docker-buildx`` binary of the kit's Docker Engine 28 download, if downloaded.

    It runs standalone too: ``DOCKER_HOST=... docker-buildx build --load ...``.
    """
    root = engine28_root()
    buildx = root / "usr/libexec/docker/cli-plugins/docker-buildx" if root else None
    return buildx if buildx and buildx.is_file() else None
