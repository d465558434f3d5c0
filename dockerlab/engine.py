"""The connection to the Docker engine, and what it can do.

:func:`client` finds the engine (``DOCKER_HOST``, the default socket, or the
kit's private engine) and turns connection failures into errors that say what to
do. :func:`registry_reachable` and :func:`buildkit_cli` answer, once and fast,
the two questions every lesson asks of this machine: can we pull, and can we use
BuildKit?
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass

import docker
import docker.errors

from . import private_engine
from .errors import EngineNotRunning, EnginePermissionDenied, EngineTooOld

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


def _connect(host: str, timeout: int) -> docker.DockerClient:
    try:
        c = docker.DockerClient(base_url=host, timeout=timeout)
        c.ping()
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
        EnginePermissionDenied: The socket exists but we may not use it.
        EngineTooOld: The engine's API is older than 1.41.

    Example:
        >>> import dockerlab as dl
        >>> dl.client().version()["ApiVersion"]  # doctest: +SKIP
        '1.41'
    """
    global _client, _host
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
    if os.environ.get("DOCKERLAB_OFFLINE", "") not in ("", "0"):
        return False
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
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
