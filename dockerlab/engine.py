"""The connection to the Docker engine, and what it can do.

:func:`client` finds the engine (``DOCKER_HOST``, the default socket, or the
kit's private engine) and turns connection failures into errors that say what to
do; if the engine goes away later, in the middle of the work, every call
through the kit's clients raises :class:`~dockerlab.errors.EngineStopped`
instead of a connection traceback. :func:`registry_reachable` and
:func:`buildkit_cli` answer, once and fast, the two questions every lesson asks
of this machine: can we pull, and can we use BuildKit?
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import docker
import docker.errors
import requests
import urllib3.exceptions

from . import private_engine
from .errors import EngineNotRunning, EnginePermissionDenied, EngineStopped, EngineTooOld

MIN_API = (1, 41)
REGISTRY_HOST = "registry-1.docker.io"

_client: docker.DockerClient | None = None
_host: str | None = None


def _candidates() -> list[str]:
    """Where to look: DOCKER_HOST alone if set; else the default socket, then the kit's engine."""
    if os.environ.get("DOCKER_HOST"):
        return [os.environ["DOCKER_HOST"]]
    hosts = ["unix:///var/run/docker.sock"]
    if private_engine.socket_path().exists():
        hosts.append(private_engine.docker_host())
    return hosts


def answers(host_: str | None = None, timeout: float = 3.0) -> bool:
    """True if the engine (the kit's, or ``host_``) answers a ping now, on a new connection."""
    target = host_ or _host
    return bool(target) and private_engine.answers(target, timeout)


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


#: What a read of :func:`transfer_api` raises once nothing has come for too long.
STALLED = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    urllib3.exceptions.HTTPError,
)


@contextlib.contextmanager
def transfer_api(no_progress: float) -> Iterator[docker.APIClient]:
    """An engine API client of its own for a push or pull that may stall.

    Every read gives up after ``no_progress`` seconds without a byte (raising
    one of :data:`STALLED`), pulls included (docker-py's ``pull`` asks for no
    time limit at all): a registry that stops answering halfway costs the
    learner that long, not forever.
    Guarded like :func:`client`'s (a lost engine raises :class:`EngineStopped`).
    """
    limit = max(1, int(no_progress))
    api = guard(docker.APIClient(base_url=host(), timeout=limit, version="auto"), host())
    send = api.send

    @functools.wraps(send)
    def bounded(request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = limit
        return send(request, **kwargs)

    api.send = bounded
    try:
        yield api
    finally:
        api.close()


def _connect(host: str, timeout: int) -> docker.DockerClient:
    try:
        c = docker.DockerClient(base_url=host, timeout=timeout)
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

    Args:
        timeout: Seconds an API call may take before it fails.

    Returns:
        A connected ``docker.DockerClient`` (shared by the whole process).

    Raises:
        EngineNotRunning: No engine answers.
        EngineStopped: No engine answers any more, though one did earlier in
            this process (it stopped in the middle of a notebook).
        EnginePermissionDenied: The socket exists but we may not use it.
        EngineTooOld: The engine's API is older than 1.41.

    Example:
        >>> import dockerlab as dl
        >>> dl.client().version()["ApiVersion"]  # doctest: +SKIP
        '1.41'
    """
    global _client, _host
    had = _client is not None
    if _client is not None:
        try:
            _client.ping()
            return _client
        except Exception:
            _client = None
    last: Exception | None = None
    for host in _candidates():
        try:
            c = _connect(host, timeout)
        except EnginePermissionDenied:
            raise
        except EngineNotRunning as e:
            last = e
            continue
        api = tuple(int(x) for x in c.version()["ApiVersion"].split("."))
        if api < MIN_API:
            raise EngineTooOld(f"The engine at {host} speaks API {api}; the kit needs 1.41+.")
        _client, _host = c, host
        return c
    if had:
        raise EngineStopped(f"The Docker engine at {_host} stopped answering.") from last
    raise EngineNotRunning("Docker is not running (no engine answered).") from last


def host() -> str:
    """The address of the engine the kit talks to (connecting if needed)."""
    client()
    return _host or ""


def is_private() -> bool:
    """True if the kit talks to its own private engine (see :mod:`private_engine`)."""
    return host() == private_engine.docker_host()


def reset() -> None:
    """Forget the cached client (after the engine was restarted, say)."""
    global _client
    _client = None


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


@dataclass(frozen=True)
class BuildKitCLI:
    """A docker CLI that can run BuildKit builds, and how to invoke it."""

    path: str
    how: str  # "buildx" (docker 23+) or "DOCKER_BUILDKIT=1" (docker 18.09-22)

    def env(self) -> dict[str, str]:
        return {"DOCKER_BUILDKIT": "1"} if self.how == "DOCKER_BUILDKIT=1" else {}


@functools.lru_cache(maxsize=1)
def buildkit_cli() -> BuildKitCLI | None:
    """Find a docker CLI that can do BuildKit builds (``RUN --mount=type=secret``).

    The docker SDK has no BuildKit. A CLI of Docker 23+ needs the buildx plugin;
    the CLIs of 18.09 to 22 carry BuildKit inside (``DOCKER_BUILDKIT=1``).

    Returns:
        The CLI to use, or None when this machine has none.
    """
    seen = []
    for path in (shutil.which("docker"), "/usr/bin/docker", "/usr/local/bin/docker"):
        if not path or path in seen or not os.path.exists(path):
            continue
        seen.append(path)
        try:
            if (
                subprocess.run(
                    [path, "buildx", "version"], capture_output=True, timeout=10
                ).returncode
                == 0
            ):
                return BuildKitCLI(path, "buildx")
            out = subprocess.run(
                [path, "version", "--format", "{{.Client.Version}}"],
                capture_output=True, text=True, timeout=10,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired):
            continue
        try:
            major = int(out.stdout.strip().split(".")[0])
        except ValueError:
            continue
        if 18 <= major < 23:
            return BuildKitCLI(path, "DOCKER_BUILDKIT=1")
    return None
