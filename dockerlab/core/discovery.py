"""Where the Docker engine is: found the way the docker CLI finds it.

In order: ``DOCKER_HOST``; ``DOCKER_CONTEXT``; the current context of the docker CLI's
``config.json``; ``/var/run/docker.sock``; the sockets of Docker Desktop, rootless Docker,
Colima, Rancher Desktop, OrbStack and Podman; then the kit's own engine. :func:`find`
returns the first place that answers a ping, as a :class:`Found` that says how and why,
and when none answers lists every place it tried (docs/sources.md, "Where engines listen").
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.context
import docker.context.config
import docker.tls

from dockerlab.core import config
from dockerlab.errors import EngineContextMissing, EngineNotRunning, EnginePermissionDenied

#: The docker CLI's ``default`` context: ``DOCKER_HOST``, else this socket.
DEFAULT_SOCKET = "/var/run/docker.sock"
#: Where the system-wide sockets are looked for: ``/`` (the unit tests point it elsewhere,
#: as /var/run and /run cannot be written without root).
SYSTEM_ROOT = Path("/")


@dataclass(frozen=True)
class Found:
    """A place a Docker engine may listen, and how the kit came to look there.

    :func:`places` lists them in the order the kit tries them; :func:`found` is the one
    that answered.

    Attributes:
        host: The engine's address (``unix:///home/me/.docker/desktop/docker.sock``).
        how: Where it was found, short (``DOCKER_CONTEXT=desktop-linux``, ``Docker
            Desktop's socket ~/.docker/run/docker.sock``, ``the kit's own engine``).
        why: Why the kit looked there (the rule of the docker CLI it follows).
        context: The docker context it was read from, or None.
        tls: The context's TLS material (a ``docker.tls.TLSConfig``), or None.
    """

    host: str
    how: str
    why: str
    context: str | None = None
    tls: object = field(default=None, repr=False, compare=False)

    @property
    def socket(self) -> Path | None:
        """The unix socket's path, or None for another kind of address."""
        return Path(self.host[len("unix://") :]) if self.host.startswith("unix://") else None

    def environment(self) -> dict[str, str]:
        """What a child process needs in its environment to find this same engine."""
        return {"DOCKER_CONTEXT": self.context} if self.context else {"DOCKER_HOST": self.host}


def _short(path: Path | str) -> str:
    """``path`` with the home folder written ``~``."""
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home) :] if home != "/" and text.startswith(home + "/") else text


def _socket(path: Path | str, how: str, why: str) -> Found:
    return Found(f"unix://{path}", f"{how} {_short(path)}", why)


def docker_config_dir() -> Path:
    """The docker CLI's configuration folder: ``$DOCKER_CONFIG``, else ``~/.docker``."""
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def current_context() -> str | None:
    """``currentContext`` of the docker CLI's ``config.json`` (``docker context use``).

    None when it is not set, or the file is missing or unreadable (the docker CLI then
    warns and uses its defaults).
    """
    try:
        name = json.loads((docker_config_dir() / "config.json").read_text()).get("currentContext")
    except (OSError, ValueError, AttributeError):
        return None
    return str(name) if name else None


def load_context(name: str, how: str) -> Found | None:
    """The docker endpoint of the docker context ``name``; None for ``default``.

    The context's files are where the docker CLI writes them (``docker context create``):
    ``contexts/meta/<sha256 of the name>/meta.json`` in :func:`docker_config_dir`, and its
    TLS material in ``contexts/tls/<sha256>/docker/{ca,cert,key}.pem``
    (docker/cli ``cli/context/store``). They are read with the docker SDK's own pieces
    (``docker.context.config.get_context_id``, ``docker.context.Context``,
    ``docker.tls.TLSConfig``), but not with ``ContextAPI.get_context``: that looks for the
    contexts folder next to whichever ``config.json`` docker-py finds, so with
    ``$DOCKER_CONFIG`` holding contexts but no ``config.json`` it reads
    ``~/.docker/contexts`` (or ``./contexts``), where the docker CLI reads
    ``$DOCKER_CONFIG/contexts``.

    Raises:
        EngineContextMissing: No context of that name exists (the docker CLI refuses too).
    """
    if name == "default":
        return None
    folder = docker_config_dir() / "contexts"
    key = docker.context.config.get_context_id(name)
    meta = folder / "meta" / key / "meta.json"
    try:
        data = json.loads(meta.read_text())
        context = docker.context.Context(name, endpoints=data.get("Endpoints") or None)
    except FileNotFoundError:
        raise EngineContextMissing(
            f"The docker context {name!r} ({how}) does not exist: no {_short(meta)}."
        ) from None
    except (OSError, ValueError, docker.errors.ContextException) as e:
        raise EngineContextMissing(f"The docker context {name!r} cannot be read: {e}") from e
    tls_dir = folder / "tls" / key / "docker"
    pem = {p.stem: str(p) for p in tls_dir.glob("*.pem")} if tls_dir.is_dir() else {}
    tls = None
    if {"cert", "key"} <= pem.keys():
        skip = bool(context.endpoints.get("docker", {}).get("SkipTLSVerify"))
        tls = docker.tls.TLSConfig(
            client_cert=(pem["cert"], pem["key"]), ca_cert=pem.get("ca"), verify=not skip
        )
    why = f"the docker context {name} ({_short(meta)}), as the docker CLI chooses it"
    return Found(str(context.Host), how, why, context=name, tls=tls)


def well_known_sockets() -> list[Found]:
    """Sockets where Docker Desktop, rootless Docker, Colima, Rancher Desktop, OrbStack
    and Podman listen by default, in the order the kit tries them (sources: ``docs/sources.md``,
    "Where engines listen")."""
    home = Path.home()
    uid = os.getuid() if hasattr(os, "getuid") else 0
    runtime = Path(os.environ.get("XDG_RUNTIME_DIR") or SYSTEM_ROOT / f"run/user/{uid}")
    machines = home / ".local/share/containers/podman/machine"
    each_machine = sorted(machines.glob("*/podman.sock")) if machines.is_dir() else []
    return [
        _socket(home / ".docker/run/docker.sock", "Docker Desktop's socket", "Docker Desktop on macOS"),
        _socket(home / ".docker/desktop/docker.sock", "Docker Desktop's socket", "Docker Desktop on Linux"),
        _socket(runtime / "docker.sock", "rootless Docker's socket", "a rootless Docker Engine"),
        _socket(home / ".colima/default/docker.sock", "Colima's socket", "Colima 0.4+"),
        _socket(home / ".colima/docker.sock", "Colima's socket", "Colima 0.3"),
        _socket(home / ".rd/docker.sock", "Rancher Desktop's socket", "Rancher Desktop (moby)"),
        _socket(home / ".orbstack/run/docker.sock", "OrbStack's socket", "OrbStack"),
        _socket(runtime / "podman/podman.sock", "Podman's socket", "rootless Podman's API service"),
        _socket(machines / "podman.sock", "Podman's socket", "a Podman machine on macOS"),
        *(_socket(p, "Podman's socket", "a Podman machine on macOS") for p in each_machine),
        _socket(SYSTEM_ROOT / "run/podman/podman.sock", "Podman's socket", "rootful Podman's API service"),
    ]  # fmt: skip


def places(kit: bool = True) -> list[Found]:
    """Where the kit looks for an engine, in order: the docker CLI's order, then more.

    ``DOCKER_HOST`` if set, alone; else ``DOCKER_CONTEXT`` if set, alone; else the current
    context of ``config.json``, the default socket, the well-known sockets of
    :func:`well_known_sockets` and, last, the kit's own engine.

    Args:
        kit: False to leave out the kit's own engine (is there an engine of the learner's?).

    Raises:
        EngineContextMissing: ``DOCKER_CONTEXT`` or ``currentContext`` names no context.
    """
    if os.environ.get("DOCKER_HOST"):
        why = "DOCKER_HOST is set: the docker CLI then uses it alone"
        return [Found(os.environ["DOCKER_HOST"], "DOCKER_HOST", why)]
    named = os.environ.get("DOCKER_CONTEXT")
    if named:
        chosen = load_context(named, f"DOCKER_CONTEXT={named}")
        if chosen is not None:
            return [chosen]
    found: list[Found] = []
    current = current_context()
    if not named and current:
        config_file = _short(docker_config_dir() / "config.json")
        chosen = load_context(current, f"current context {current} in {config_file}")
        found += [chosen] if chosen is not None else []
    default = SYSTEM_ROOT / DEFAULT_SOCKET.lstrip("/")
    found.append(_socket(default, "the default socket", "the docker CLI's default context"))
    found += well_known_sockets()
    if kit:
        found.append(
            Found(config.docker_host(), "the kit's own engine", "no engine of yours answered")
        )
    return found


def _probe(place: Found, timeout: float) -> str | None:
    """None if an engine answers at ``place``, else what happened there."""
    path = place.socket
    if path is not None and not path.exists():
        return "no socket"
    try:
        c = docker.DockerClient(base_url=place.host, timeout=timeout, version="auto", tls=place.tls)
        try:
            c.ping()
        finally:
            c.close()
    except Exception as e:  # every failure means: not usable here
        text = str(e)
        return (
            "permission denied"
            if "Permission denied" in text or "PermissionError" in text
            else "does not answer"
        )
    return None


def find(kit: bool = True, timeout: float = 3.0) -> Found:
    """The first of :func:`places` where an engine answers a ping.

    Args:
        kit: False to leave out the kit's own engine.
        timeout: Seconds each place may take to answer.

    Raises:
        EngineNotRunning: None answers; the message lists every place tried, in order.
        EnginePermissionDenied: None answers, and a socket refused us.
        EngineContextMissing: A context is named that does not exist.
    """
    tried: list[str] = []
    denied = False
    for place in places(kit):
        status = _probe(place, timeout)
        if status is None:
            return place
        denied = denied or status == "permission denied"
        named = place.socket is not None and place.how.endswith(_short(place.socket))
        tried.append(f"{place.how if named else f'{place.how} ({place.host})'}: {status}")
    lines = "\n".join(f"  {n}. {line}" for n, line in enumerate(tried, 1))
    if denied:
        raise EnginePermissionDenied(
            f"No Docker engine may be used here. Tried, in order:\n{lines}"
        )
    raise EngineNotRunning(
        "Docker is not running, or not where the kit looks: no engine answered. "
        f"Tried, in order:\n{lines}",
        hint=what_to_do(),
    )


def what_to_do(platform_: str | None = None) -> str:
    """How to start an engine on this machine's platform (``sys.platform``), in one line."""
    platform_ = platform_ or sys.platform
    if platform_ == "darwin" or platform_.startswith(("win", "cygwin")):
        return "Start Docker Desktop (or run `colima start`), then try again."
    return (
        "Start Docker: `sudo systemctl start docker` (rootless: `systemctl --user start "
        "docker`), or Docker Desktop; or, as root, run `make lab` to use the kit's own engine."
    )


def network_of(host: str) -> str:
    """Whose network the engine at ``host`` is on, as far as this process can tell.

    The process behind a unix socket is known to the kernel (``SO_PEERCRED``); when its
    network namespace can be read (root, or the same user), compare it with ours.

    Returns:
        ``"this machine's"`` (the engine's ``127.0.0.1`` is the notebook's), ``"its own"``
        (as in Docker Desktop's VM), or ``"unknown"`` (another user's process, a TCP
        address, a socket forwarded from a VM).
    """
    if not host.startswith("unix://") or not hasattr(socket, "SO_PEERCRED"):
        return "unknown"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(3)
            s.connect(host[len("unix://") :])
            pid = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
        theirs = os.readlink(f"/proc/{pid}/ns/net")
        ours = os.readlink("/proc/self/ns/net")
    except (OSError, struct.error):
        return "unknown"
    return "this machine's" if theirs == ours else "its own"


def ping(host: str, timeout: float = 3.0) -> bool:
    """True if a Docker engine answers a ping at ``host`` (API version negotiated)."""
    try:
        client = docker.DockerClient(base_url=host, timeout=timeout, version="auto")
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False
