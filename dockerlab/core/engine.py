"""The connection to the Docker engine, and what it can do.

:func:`client` connects to the engine :mod:`~dockerlab.core.discovery` finds (the
docker CLI's order, then the well-known sockets, then the kit's own engine) and turns
connection failures into errors that say what to do; if the engine goes away later, in the middle of the work, every call
through the kit's clients raises :class:`~dockerlab.errors.EngineStopped`
instead of a connection traceback. :func:`registry_reachable` and
:func:`buildkit_cli` answer, once and fast, the two questions every lesson asks
of this machine: can we pull, and can we use BuildKit?

Three questions the kit asks the engine have no method in docker-py's public API;
:func:`inspect_image_manifests`, :func:`import_image` and :func:`path_stat` ask them,
and are the only code in the kit that calls docker-py's private ``APIClient`` methods
(``_url``, ``_get``, ``_post``, ``_result``...: ``tests/unit/test_engine_api.py``).
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from typing import BinaryIO

import docker
import docker.context
import docker.context.config
import docker.errors
import docker.tls
import docker.utils
import requests

from dockerlab.core import config
from dockerlab.core.discovery import Found, find, ping
from dockerlab.errors import (
    EngineNotRunning,
    EnginePermissionDenied,
    EngineStopped,
    EngineTooOld,
    InvalidOption,
)

MIN_API = (1, 41)
REGISTRY_HOST = "registry-1.docker.io"

_client: docker.DockerClient | None = None
_host: str | None = None
_found: Found | None = None
_connected = False  # True once an engine answered: a failure after that is EngineStopped


def answers(host_: str | None = None, timeout: float = 3.0) -> bool:
    """True if the engine (the kit's, or ``host_``) answers a ping now, on a new connection."""
    target = host_ or _host
    return bool(target) and ping(target, timeout)


def stopped(host_: str | None = None) -> EngineStopped | None:
    """The error to raise if the engine no longer answers, else None.

    For code that reads a stream (a build's output, an image export): a broken
    stream means either the engine went away or something else failed, and only
    a fresh ping tells which.
    """
    target = host_ or _host
    if not target or answers(target):  # never connected: nothing can have stopped
        return None
    return EngineStopped(f"The Docker engine at {target} stopped answering.")


def guard(api: docker.APIClient, host_: str) -> docker.APIClient:
    """Make a lost engine raise :class:`EngineStopped` on every request of ``api``.

    A request that fails to connect, or whose connection breaks, is checked with
    a fresh ping: if the engine is gone, the learner gets :class:`EngineStopped`
    (what happened, what to do); otherwise the original error stands (a read
    timeout on a long ``wait``, say, which callers handle themselves).
    """
    send = api.send

    @functools.wraps(send)
    def guarded(request, **kwargs):
        try:
            return send(request, **kwargs)
        except requests.exceptions.ConnectionError as e:
            lost = None if isinstance(e, requests.exceptions.Timeout) else stopped(host_)
            if lost is not None:
                raise lost from e
            raise

    api.send = guarded  # an instance attribute: requests.Session.request calls self.send
    return api


def _connect(host: str, timeout: int, tls: object = None) -> docker.DockerClient:
    try:
        c = docker.DockerClient(base_url=host, timeout=timeout, tls=tls)
        c.ping()
        guard(c.api, host)
        return c
    except docker.errors.DockerException as e:
        text = str(e)
        if "Permission denied" in text or "PermissionError" in text:
            raise EnginePermissionDenied(f"Permission denied on the Docker socket ({host}).") from e
        raise EngineNotRunning(f"No Docker engine answers at {host}.") from e


def client(timeout: int = 300) -> docker.DockerClient:
    """The docker SDK client the kit uses, connected and checked.

    The engine is found as :func:`find` finds it (the docker CLI's order, then the
    well-known sockets, then the kit's own engine); :func:`found` says where.

    Args:
        timeout: Seconds an API call may take before it fails.

    Returns:
        A connected ``docker.DockerClient`` (shared by the whole process).

    Raises:
        EngineNotRunning: No engine answers (the message lists every place tried).
        EngineStopped: No engine answers any more, though one did earlier in
            this process (it stopped in the middle of a notebook).
        EnginePermissionDenied: The socket exists but we may not use it.
        EngineContextMissing: ``DOCKER_CONTEXT`` or the current context names no context.
        EngineTooOld: The engine's API is older than 1.41.

    Example:
        >>> import dockerlab as dl
        >>> dl.client().version()["ApiVersion"]  # doctest: +SKIP
        '1.41'
    """
    global _client, _host, _found, _connected
    had = _connected  # an engine answered this process before (not undone by reset())
    if _client is not None:
        # No ping here: every request of the shared client is guarded (:func:`guard`), and
        # a failed one pings afresh to tell a stopped engine (EngineStopped) from the rest.
        return _client
    try:
        place = find()
        c = _connect(place.host, timeout, place.tls)
    except EngineNotRunning as e:
        if had:
            raise EngineStopped(f"The Docker engine at {_host} stopped answering.") from e
        raise
    api = tuple(int(x) for x in c.version()["ApiVersion"].split("."))
    if api < MIN_API:
        raise EngineTooOld(f"The engine at {place.host} speaks API {api}; the kit needs 1.41+.")
    _client, _host, _found, _connected = c, place.host, place, True
    return c


def found() -> Found:
    """Where the engine the kit talks to was found, and why (connecting if needed).

    Example:
        >>> from dockerlab.core import engine
        >>> engine.found().how  # doctest: +SKIP
        'current context desktop-linux in ~/.docker/config.json'
    """
    client()
    assert _found is not None  # client() sets it
    return _found


def host() -> str:
    """The address of the engine the kit talks to (connecting if needed)."""
    client()
    return _host or ""


def is_private() -> bool:
    """True if the kit talks to its own private engine (see :mod:`dockerlab.engines.private`)."""
    return host() == config.docker_host()


def reset() -> None:
    """Forget the cached client (after the engine was restarted, or DOCKER_HOST changed)."""
    global _client, _connected
    _client, _connected = None, False


@functools.lru_cache(maxsize=1)
def registry_reachable(host: str = REGISTRY_HOST, timeout: float = 3.0) -> bool:
    """True if a container registry answers from this machine.

    Decided once per process, in at most a few seconds, so nothing ever waits
    on a pull that cannot succeed. ``DOCKERLAB_OFFLINE=1`` forces False.
    """
    return registry_answers(host, timeout)


def registry_answers(registry: str, timeout: float = 3.0) -> bool:
    """True if the registry ``host[:port]`` (443 if no port) accepts a connection now.

    Not cached, unlike :func:`registry_reachable`: for a registry of one's own (a
    classroom mirror, a local registry) that may come and go.
    ``DOCKERLAB_OFFLINE=1`` forces False.
    """
    if os.environ.get("DOCKERLAB_OFFLINE", "") not in ("", "0"):
        return False
    host, _, port = registry.rpartition(":") if registry.count(":") == 1 else (registry, "", "")
    try:
        with socket.create_connection((host, int(port or 443)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def inspect_image_manifests(image_id: str) -> list[dict]:
    """The ``Manifests`` of an image's inspect (``GET /images/{id}/json?manifests=1``).

    One per platform and attestation the containerd image store holds for the image,
    each with its own sizes (API 1.48+). docker-py's ``inspect_image`` sends no
    ``manifests`` parameter, so this asks the engine directly.

    Args:
        image_id: The image's id (or a reference to it).

    Returns:
        The manifests; empty on the classic store or an engine before API 1.48, which
        leave them out.

    Raises:
        docker.errors.APIError: The engine refused (``NotFound``: no such image).
        ValueError: The engine's answer is not JSON.
    """
    api = client().api
    url = api._url("/images/{0}/json", image_id)
    full = api._result(api._get(url, params={"manifests": 1}), json=True)
    return full.get("Manifests") or []


def import_image(
    data: BinaryIO,
    repository: str,
    tag: str | None,
    changes: list[str],
    platform: str | None = None,
) -> str:
    """``docker import [--platform P]``: make an image of a tar of a root filesystem.

    ``POST /images/create?fromSrc=-``, as docker-py's ``import_image_from_data`` sends it,
    plus the ``platform`` parameter (API 1.32+) that docker-py has no way to send: a tree
    of another CPU's files is labelled with that CPU, so that runs and builds pick it for
    that platform.

    Args:
        data: The tar, an open file (read as it is sent, never whole in memory).
        repository: The image's repository (``dockerlab/debian``).
        tag: Its tag, or None for ``latest``.
        changes: Dockerfile instructions to apply (``CMD [...]``, ``LABEL k=v``).
        platform: ``linux/<arch>`` to label the image with; None for the engine's own.

    Returns:
        The engine's answer: JSON lines, one of which holds ``"error"`` if the import
        failed after it started.

    Raises:
        docker.errors.APIError: The engine refused the import.
    """
    api = client().api
    params = {"fromSrc": "-", "repo": repository, "tag": tag, "changes": changes}
    if platform:
        params["platform"] = platform
    response = api._post(
        api._url("/images/create"),
        data=data,
        params=params,
        headers={"Content-Type": "application/tar"},
        timeout=None,
    )
    return api._result(response)


def path_stat(container_id: str, path: str) -> dict | None:
    """The engine's stat of a path in a container (``docker cp``'s, a HEAD request).

    ``HEAD /containers/{id}/archive?path=``: the same stat docker-py's ``get_archive``
    returns, without the archive, so asking about a directory or a big file costs
    nothing. The engine does not follow a final symlink: ``linkTarget`` names the
    file the whole chain ends at.

    Args:
        container_id: The container (created or running).
        path: An absolute path in its filesystem.

    Returns:
        ``name``, ``size``, ``mode`` (Go's ``os.FileMode`` bits), ``mtime`` and
        ``linkTarget``; None if the path (or the container) does not exist.

    Raises:
        docker.errors.APIError: The engine answered with another error; its
            ``response.reason`` says what.
    """
    api = client().api
    res = api.head(api._url("/containers/{0}/archive", container_id), params={"path": path})
    if res.status_code == 404:
        return None
    api._raise_for_status(res)
    return docker.utils.decode_json_header(res.headers["X-Docker-Container-Path-Stat"])


@dataclass(frozen=True)
class EngineInfo:
    """What the engine in front of the learner is: every number the kit shows depends on it.

    Attributes:
        version: Server version (``28.5.2``).
        api: API version the kit speaks with it (``1.51``).
        image_store: ``"containerd"`` (the containerd image store: Docker Desktop 4.34+,
            fresh Engine 29 installs) or the classic storage driver's name (``"overlay2"``).
        cgroup: cgroup version (``"1"`` or ``"2"``).
        arch: The engine's architecture as Docker names it (``amd64``, ``arm64``).
        os: The engine host's operating system (``Docker Desktop``, ``Debian GNU/Linux 12``).
        rootless: True for a rootless engine.
        private: True if it is the kit's own private engine.
    """

    version: str
    api: str
    image_store: str
    cgroup: str
    arch: str
    os: str
    rootless: bool
    private: bool

    @property
    def major(self) -> int:
        """The engine's major version (20 for 20.10, 28 for 28.5)."""
        try:
            return int(self.version.split(".")[0])
        except ValueError:
            return 0

    @property
    def containerd_store(self) -> bool:
        """True on the containerd image store (image ids are manifest digests there)."""
        return self.image_store == "containerd"

    @property
    def default_builder(self) -> str:
        """What ``docker build`` uses on this engine: BuildKit from Engine 23, legacy before."""
        return "buildkit" if self.major >= 23 else "legacy"

    def label(self) -> str:
        """One short line for captions: ``Docker 28.5.2, containerd image store, amd64``."""
        store = "containerd image store" if self.containerd_store else f"{self.image_store} store"
        return f"Docker {self.version}, {store}, {self.arch}" + (
            ", rootless" if self.rootless else ""
        )


_ARCH = config.DOCKER_ARCH
_info: dict[str, EngineInfo] = {}


def engine_info() -> EngineInfo:
    """The engine's version, API, image store, cgroup version, architecture and mode.

    Read once per engine and process (two API calls).

    Example:
        >>> dl.engine_info().label()  # doctest: +SKIP
        'Docker 28.5.2, containerd image store, amd64'
    """
    c = client()
    if _host in _info:
        return _info[_host]
    v, info = c.version(), c.info()
    status = dict((k, v2) for k, v2 in (info.get("DriverStatus") or []) if isinstance(k, str))
    containerd = "containerd.snapshotter" in str(status.get("driver-type", ""))
    options = " ".join(info.get("SecurityOptions") or [])
    described = EngineInfo(
        version=str(v.get("Version", "?")),
        api=str(c.api.api_version),
        image_store="containerd" if containerd else str(info.get("Driver", "?")),
        cgroup=str(info.get("CgroupVersion", "?")),
        arch=_ARCH.get(str(info.get("Architecture", "")), str(info.get("Architecture", "?"))),
        os=str(info.get("OperatingSystem", "?")),
        rootless="rootless" in options,
        private=is_private(),
    )
    _info[_host or ""] = described
    return described


#: Names the platform the course's images, builds and containers are for.
PLATFORM_VAR = "DOCKERLAB_PLATFORM"


def requested_platform() -> str | None:
    """``$DOCKERLAB_PLATFORM`` (``linux/arm64``), checked; None when it is not set.

    Raises:
        DockerlabError: It is set to something that is not ``linux/<arch>``.
    """
    wanted = os.environ.get(PLATFORM_VAR, "").strip()
    if not wanted:
        return None
    parts = wanted.split("/")
    if len(parts) not in (2, 3) or parts[0] != "linux" or not all(parts):
        raise InvalidOption(
            f"{PLATFORM_VAR}={wanted!r} is not a platform: use linux/<arch>, "
            "e.g. linux/arm64 or linux/amd64.",
            hint=f"Unset {PLATFORM_VAR} to use the engine's own platform.",
        )
    return wanted


def platform(*, connect: bool = True) -> str:
    """The platform the course runs on: ``$DOCKERLAB_PLATFORM``, else the engine's own.

    ``linux/arm64`` on an Apple Silicon Mac's Docker Desktop; on an x86_64 machine,
    ``DOCKERLAB_PLATFORM=linux/arm64`` runs the course's arm64 images under qemu
    emulation (the ``28-arm64`` engine profile sets it).

    Args:
        connect: False to never connect (reading a registry's manifests needs no
            engine): the engine's platform if the kit is connected, else this machine's.

    Example:
        >>> dl.platform()  # doctest: +SKIP
        'linux/amd64'
    """
    if connect:
        return requested_platform() or f"linux/{engine_info().arch}"
    info = current_info()
    return requested_platform() or f"linux/{info.arch if info else config.machine_arch()}"


def emulated() -> bool:
    """True when the course's platform is not the engine's CPU (qemu runs its programs)."""
    return platform().split("/")[1] != engine_info().arch


def current_info() -> EngineInfo | None:
    """:func:`engine_info` of the engine the kit is connected to, or None if it is not
    connected yet (never connects: for captions and reports that must not wait)."""
    if _client is None:
        return None
    try:
        return engine_info()
    except Exception:  # the engine went away: the caption just does not name it
        return None


@dataclass(frozen=True)
class BuildKitCLI:
    """A program that can run BuildKit builds on the engine, and how to invoke it.

    Attributes:
        path: The program.
        how: ``"buildx"`` (``docker buildx build``: Docker 23+ and Docker Desktop),
            ``"standalone buildx"`` (the kit's own ``docker-buildx``, run as a program), or
            ``"DOCKER_BUILDKIT=1"`` (``docker build`` of a 18.09-22 CLI, BuildKit built in).
    """

    path: str
    how: str

    def env(self) -> dict[str, str]:
        return {"DOCKER_BUILDKIT": "1"} if self.how == "DOCKER_BUILDKIT=1" else {}

    @property
    def buildx(self) -> bool:
        """True for buildx (which knows ``--load``, ``--metadata-file``, attestations)."""
        return self.how != "DOCKER_BUILDKIT=1"

    def command(self) -> list[str]:
        """The start of a build command line, up to ``build``."""
        if self.how == "buildx":
            return [self.path, "buildx", "build"]
        return [self.path, "build"]


def _works(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@functools.lru_cache(maxsize=1)
def buildkit_cli() -> BuildKitCLI | None:
    """Find a program that can run BuildKit builds (``RUN --mount=type=secret``).

    The docker SDK has no BuildKit. In order: the ``docker buildx`` plugin (Docker
    Desktop, Docker 23+), the buildx the kit downloaded with its private Engine 28,
    and a 18.09-22 CLI, which carries BuildKit inside (``DOCKER_BUILDKIT=1``).

    Returns:
        The program to use, or None when this machine has none.
    """
    seen: list[str] = []
    for path in (shutil.which("docker"), "/usr/local/bin/docker", "/usr/bin/docker"):
        if path and path not in seen and os.path.exists(path):
            seen.append(path)
    for path in seen:
        if _works([path, "buildx", "version"]):
            return BuildKitCLI(path, "buildx")
    kit = config.kit_buildx()
    if kit and _works([str(kit), "version"]):
        return BuildKitCLI(str(kit), "standalone buildx")
    for path in seen:
        try:
            out = subprocess.run(
                [path, "version", "--format", "{{.Client.Version}}"],
                capture_output=True,
                text=True,
                timeout=10,
            )
            major = int(out.stdout.strip().split(".")[0])
        except (OSError, subprocess.TimeoutExpired, ValueError):
            continue
        if 18 <= major < 23:
            return BuildKitCLI(path, "DOCKER_BUILDKIT=1")
    return None
