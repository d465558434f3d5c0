"""Running demo containers safely.

Every demo container runs with no network, every capability dropped (unless a
demo needs one back), ``no-new-privileges``, limits on processes, memory and CPU,
capped logs, and a time limit; it carries the kit's session label and is
removed afterwards. A fork bomb hits the pids limit, a memory hog the memory
limit, an endless loop the time limit, a log flood the log cap.

No option a caller passes replaces those defaults, and what reaches past the
container is refused before anything is created: the Docker socket, privileged
mode, a folder of the host, devices, capabilities beyond Docker's default set,
the host's or another container's namespaces. These refusals catch mistakes in
notebooks; they are no boundary (a kernel can call the engine's API itself).

One container of the kit's own is on the engine's network: its registry
(:func:`registry_container`), which the engine must reach at ``127.0.0.1``.
"""

from __future__ import annotations

import contextlib
import io
import os
import tarfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import docker.errors
import requests
from docker.types import LogConfig

from dockerlab.core import config, labels
from dockerlab.core.engine import client, requested_platform
from dockerlab.core.images import name_of
from dockerlab.errors import (
    ContainerFailed,
    ContainerGone,
    ContainerTimeout,
    DockerlabError,
    ImageNotFound,
    InvalidOption,
    UnsafeOption,
)

#: Defaults every demo container gets (override per call).
DEFAULT_LIMITS = {"memory": "256m", "pids": 128, "cpus": 1.0}
LOG_CAP = LogConfig(type=LogConfig.types.JSON, config={"max-size": "1m", "max-file": "1"})
#: Most bytes :meth:`DemoContainer.copy_in` copies at once (a program, a config file).
MAX_COPY_IN = 64 * 2**20
#: The restart policies of ``docker run --restart``.
RESTART_POLICIES = ("no", "always", "unless-stopped", "on-failure")


@dataclass
class RunResult:
    """What a finished demo container did.

    Attributes:
        exit_code: The process's exit status (137 = killed, 139 = segfault).
        output: stdout and stderr, interleaved (capped at about 1 MB).
        seconds: Wall-clock time from start to exit.
        timed_out: True if the kit killed it at the time limit.
        oom_killed: True if the memory limit killed it.
    """

    exit_code: int | None
    output: str
    seconds: float
    timed_out: bool = False
    oom_killed: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    @property
    def crashed(self) -> bool:
        """True on a fatal signal such as SIGSEGV (139) or SIGKILL (137)."""
        return self.exit_code is not None and self.exit_code > 128


#: Where Docker engines listen by default (the kit's private engine and DOCKER_HOST are added).
_ENGINE_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")


def _mounts_engine_socket(volumes=None, mounts=None) -> bool:
    """True if these mounts would give a container the Docker engine's socket.

    A container that reaches the socket can start a privileged container with
    the host's ``/`` mounted: it controls the whole engine, and the host. Caught:
    any path named ``docker.sock``, the default sockets, the kit's private
    engine's and ``DOCKER_HOST``'s, and every folder holding one of them (``/``,
    ``/run``, ``/var``...), symlinks resolved (``/var/run`` is ``/run``). Named
    volumes (a name, not a path) are fine, unless one binds such a host folder
    (``docker volume create -o type=none -o o=bind -o device=/run``).

    Args:
        volumes: docker-py's ``volumes=``: ``{source: {"bind": target}}`` or
            ``["source:target[:mode]"]`` (the list form is also a HostConfig's ``Binds``).
        mounts: ``docker.types.Mount`` objects (or a HostConfig's ``Mounts``).
    """
    if isinstance(volumes, Mapping):
        sources = [str(v) for v in volumes]
    else:
        sources = [str(v).split(":")[0] for v in volumes or () if ":" in str(v)]
    sources += [str(m.get("Source") or "") for m in mounts or ()]
    sources += [_bound_folder(name) for name in sources if name and "/" not in name]
    sockets = [*_ENGINE_SOCKETS, str(config.socket_path())]
    if os.environ.get("DOCKER_HOST", "").startswith("unix://"):
        sockets.append(os.environ["DOCKER_HOST"].removeprefix("unix://"))
    paths = [Path(p) for s in sockets for p in (s, os.path.realpath(s))]  # and the real one
    holders = {os.path.realpath(p) for path in paths for p in (path, *path.parents)}

    def gives_socket(source: str) -> bool:
        real = os.path.realpath(source)
        return real in holders or "docker.sock" in (Path(source).name, Path(real).name)

    return any(gives_socket(s) for s in sources if "/" in s)


def _bound_folder(volume: str) -> str:
    """The host folder a named volume binds (local driver, ``o=bind``), or ""."""
    try:
        options = client().api.inspect_volume(volume).get("Options") or {}
    except docker.errors.NotFound:
        return ""  # created on first use, empty
    return options.get("device", "") if "bind" in options.get("o", "") else ""


#: Most a demo container may ask for: a demo that needs more is a mistake, not a lesson.
MAX_LIMITS = {"memory": 2 * 1024**3, "pids": 1024}
#: Capabilities of Docker's own default set: giving one of these back to a container that
#: dropped ALL reaches no further than a plain ``docker run``. Others are refused.
DOCKER_DEFAULT_CAPS = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "NET_RAW",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
#: Options the kit sets itself on every demo container, and the parameter to use instead.
_SAFETY_OPTIONS = {
    "network_mode": "network=", "network": "network=", "networking_config": "network=",
    "cap_drop": "cap_add=", "security_opt": None, "pids_limit": "pids=",
    "mem_limit": "memory=", "memswap_limit": "memory=", "nano_cpus": "cpus=",
    "cpu_quota": "cpus=", "cpu_period": "cpus=", "log_config": None,
    "oom_kill_disable": None, "cgroup_parent": None,
}  # fmt: skip
#: Options that reach past the container: the host's or another container's namespaces,
#: devices, the host's files, every privilege.
_REACHING_OPTIONS = (
    "privileged", "volumes_from", "pid_mode", "ipc_mode", "uts_mode", "userns_mode",
    "cgroupns", "devices", "device_requests", "device_cgroup_rules", "sysctls", "runtime",
)  # fmt: skip


def _check_limits(memory: str, pids: int, cpus: float) -> None:
    from docker.utils import parse_bytes

    try:
        nbytes = parse_bytes(memory)
    except docker.errors.DockerException:
        nbytes = -1
    problems = []
    if not 0 < nbytes <= MAX_LIMITS["memory"]:
        problems.append(f"memory={memory!r} (more than 0, at most 2g)")
    if not (isinstance(pids, int) and 0 < pids <= MAX_LIMITS["pids"]):
        problems.append(
            f"pids={pids!r} (from 1 to {MAX_LIMITS['pids']}; 0 or -1 would mean no limit)"
        )
    if not 0 < cpus <= (os.cpu_count() or 1):
        problems.append(f"cpus={cpus!r} (more than 0, at most this machine's {os.cpu_count()})")
    if problems:
        raise UnsafeOption("A demo container's limits must be limits: " + "; ".join(problems) + ".")


def _host_paths(volumes=None, mounts=None) -> list[str]:
    """The host folders or files these mounts would bind into a container (named volumes
    that bind a host folder included)."""
    if isinstance(volumes, Mapping):
        sources = [str(v) for v in volumes]
    else:
        sources = [str(v).split(":")[0] for v in volumes or () if ":" in str(v)]
    kinds = [(str(m.get("Type") or "volume"), str(m.get("Source") or "")) for m in mounts or ()]
    sources += [src for kind, src in kinds if kind in ("bind", "volume", "")]
    found = [src for src in sources if "/" in src]
    found += [
        bound for name in sources if name and "/" not in name if (bound := _bound_folder(name))
    ]
    return found


def _options(
    *,
    memory: str,
    pids: int,
    cpus: float,
    cap_add: Sequence[str],
    network: str,
    role: str,
    **extra,
) -> dict:
    """The create options of a demo container: the kit's safety defaults, which no caller
    option replaces, and the caller's others. Refused with a :class:`DockerlabError`:
    anything that would undo a default or reach past the container (see the module's
    docstring). These refusals guard against mistakes in a notebook: a kernel can reach
    the engine's raw API, which only an engine of the learner's own bounds."""
    if network != "none" and not network.startswith("container:"):
        raise UnsafeOption(
            f"network={network!r}: demo containers run with no network ('none') or share "
            "another container's loopback ('container:<id>')."
        )
    given = {k for k, v in extra.items() if v is not None and v is not False}
    if replaced := sorted(given & set(_SAFETY_OPTIONS)):
        instead = sorted({f"`{_SAFETY_OPTIONS[k]}`" for k in replaced if _SAFETY_OPTIONS[k]})
        raise UnsafeOption(
            f"{', '.join(replaced)}: the kit sets these itself on every demo container "
            "(no network, every capability dropped, no-new-privileges, limits, capped logs).",
            hint=f"Use {' and '.join(instead)} of dl.run / dl.start." if instead else None,
        )
    if reaching := [k for k in _REACHING_OPTIONS if k in given]:
        raise UnsafeOption(
            f"{', '.join(reaching)}: demo containers are never privileged and never join the "
            "host's or another container's namespaces, devices or volumes: each of those "
            "reaches past the container's limits."
        )
    if _mounts_engine_socket(extra.get("volumes"), extra.get("mounts")):
        raise UnsafeOption(
            "The kit never gives a container the Docker socket: a container with it "
            "controls the whole engine (and the host).",
            hint="Share files through a named volume or a folder of your own instead.",
        )
    if paths := _host_paths(extra.get("volumes"), extra.get("mounts")):
        raise UnsafeOption(
            f"Demo containers get no folder of the host: {', '.join(sorted(set(paths)))}.",
            hint="Share files between containers through a named volume "
            "(dl.containers.volume()), or give a build its files as dl.build(..., files=...).",
        )
    if extra_caps := sorted(
        {str(c).upper().removeprefix("CAP_") for c in cap_add} - DOCKER_DEFAULT_CAPS
    ):
        raise UnsafeOption(
            f"cap_add={extra_caps}: a demo container may get back only capabilities of "
            f"Docker's default set ({', '.join(sorted(DOCKER_DEFAULT_CAPS))})."
        )
    _check_limits(memory, pids, cpus)
    if (engine := config.engine_cpus()) is not None:
        cpus = min(cpus, engine)  # an engine limited to less (a pod's sidecar): ask no more
    # A caller's labels come on top (a test making another session's container names it).
    caller_labels = dict(extra.pop("labels", None) or {})
    return {
        **{k: v for k, v in extra.items() if v is not None},
        "network_mode": network,
        "cap_drop": ["ALL"],
        "cap_add": list(cap_add) or None,
        "security_opt": ["no-new-privileges"],
        "pids_limit": pids,
        "mem_limit": memory,
        "memswap_limit": memory,
        "nano_cpus": int(cpus * 1e9),
        "log_config": LOG_CAP,
        "labels": {**labels.session_labels(role), **caller_labels},
        **({"platform": p} if (p := requested_platform()) else {}),
    }


def _start_hint(error: Exception) -> str | None:
    """What to do when the kernel refused a container's CPU limit: on cgroup v1 a quota
    over the engine's own (an engine limited to less than one CPU) is refused."""
    text = str(error)
    if "cpu.cfs_quota_us" in text or "cpu.max" in text:
        return (
            "The engine itself may use less CPU than the container asked for (an engine "
            f"in a pod or a VM with a CPU limit). Set {config.CPUS_VARIABLE} to the engine's CPU "
            f"limit (as 0.75) before starting Python: the kit then asks for at most that."
        )
    return None


class DemoContainer:
    """A demo container; a context manager that removes it on exit.

    Create it with :func:`start` (or :func:`create`, then :meth:`start`). What a
    notebook does with a container is here, as ``docker`` commands name it:
    ``exec``, ``logs``, ``top``, ``wait``, ``stop``, ``restart``, ``inspect``,
    ``copy_in``. Each turns a container that was stopped or removed from outside
    into a :class:`ContainerGone`. ``container`` is the Docker SDK's object: the
    kit's own modules use it, a lesson never needs to.
    """

    def __init__(self, container) -> None:
        self.container = container

    @property
    def id(self) -> str:
        return self.container.id

    @property
    def name(self) -> str:
        return self.container.name

    @contextlib.contextmanager
    def _in_use(self, doing: str):
        """Turn 'no such container' / 'not running' into a :class:`ContainerGone`."""
        try:
            yield
        except docker.errors.NotFound:
            raise ContainerGone(
                f"The container {self.name} was removed while the kit was {doing}."
            ) from None
        except docker.errors.APIError as e:
            if e.status_code != 409:  # 409 Conflict: "container ... is not running"
                raise
            state = self._state()
            raise ContainerGone(
                f"The container {self.name} is not running any more ({state}), so the kit "
                f"could not go on {doing}."
            ) from None

    def _state(self) -> str:
        try:
            self.container.reload()
        except docker.errors.NotFound:
            return "removed"
        code = self.container.attrs["State"]["ExitCode"]
        how = " (SIGKILL: killed)" if code == 137 else ""
        return f"it exited with code {code}{how}"

    def reload(self) -> DemoContainer:
        with self._in_use("checking it"):
            self.container.reload()
        return self

    def inspect(self) -> dict:
        """What ``docker inspect`` says about the container now (``State``, ``Config``...)."""
        return self.reload().container.attrs

    @property
    def status(self) -> str:
        return self.reload().container.status

    @property
    def exit_code(self) -> int | None:
        """The exit status of its main process, or None while it runs (or never started)."""
        state = self.inspect()["State"]
        return None if state["Running"] or state["Status"] == "created" else state["ExitCode"]

    def start(self) -> DemoContainer:
        """``docker start``: start a container made by :func:`create`, or a stopped one.

        Raises:
            ContainerGone: It was removed from outside.
            DockerlabError: It could not start (e.g. its command does not exist).
        """
        try:
            self.container.start()
        except docker.errors.APIError as e:
            if isinstance(e, docker.errors.NotFound) and self._state() == "removed":
                raise ContainerGone(
                    f"The container {self.name} was removed before the kit could start it."
                ) from None
            raise ContainerFailed(
                f"The container could not start: {e.explanation or e}", hint=_start_hint(e)
            ) from None
        return self

    def exec(self, command: str | Sequence[str], user: str | None = None) -> RunResult:
        """Run ``command`` inside the container and wait for it.

        Raises:
            ContainerGone: The container was stopped or removed from outside.
        """
        t0 = time.monotonic()
        with self._in_use(f"running {command!r} in it"):
            code, out = self.container.exec_run(command, user=user or "")
        return RunResult(code, out.decode(errors="replace"), time.monotonic() - t0)

    def exec_detached(self, command: str | Sequence[str], user: str | None = None) -> None:
        """``docker exec --detach``: start ``command`` inside the container, do not wait.

        Its output goes nowhere: redirect it to a file inside the container to read it.

        Raises:
            ContainerGone: The container was stopped or removed from outside.
        """
        with self._in_use(f"starting {command!r} in it"):
            self.container.exec_run(command, user=user or "", detach=True)

    def top(self, columns: Sequence[str] = ("pid", "comm")) -> list[dict[str, str]]:
        """``docker top``: the container's processes, as the host's ``ps -o`` shows them.

        Args:
            columns: ``ps`` columns (``pid``, ``uid``, ``stat``, ``comm``, ``args``...);
                ``pid`` is added first if missing (the engine needs it).

        Returns:
            One dict per process, keyed by ``columns`` (values as ``ps`` prints them),
            e.g. ``[{"pid": "4312", "comm": "sleep"}]``. Host PIDs, not the container's.
            A zombie has left the container's cgroup, so ``top`` does not list it.

        Raises:
            ContainerGone: The container is not running (any more).
        """
        columns = [*(() if "pid" in columns else ("pid",)), *columns]
        with self._in_use("listing its processes"):
            top = self.container.top(ps_args="-o " + ",".join(columns))
        return [dict(zip(columns, row, strict=True)) for row in top.get("Processes") or []]

    def wait(self, timeout: float = 30) -> int:
        """``docker wait``: wait for the container to exit, and return its exit code.

        Raises:
            ContainerTimeout: It still ran after ``timeout`` seconds: the kit killed it
                (it is removed with the rest, on :meth:`remove` or at the ``with``'s end).
            ContainerGone: It was removed from outside.
        """
        code = self._wait(timeout)
        if code is None:
            self._kill()
            raise ContainerTimeout(
                f"The container {self.name} still ran after {timeout:g} s; the kit killed it.",
                hint="Check for a loop that never ends or a process waiting for input.",
            )
        return code

    def _wait(self, timeout: float) -> int | None:
        """The exit code once it exits, or None if it still runs after ``timeout``."""
        with self._in_use("waiting for it to finish"):
            try:
                return self.container.wait(timeout=timeout)["StatusCode"]
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                return None

    def _kill(self) -> int | None:
        """SIGKILL, then its exit code (137; or the code it just ended with)."""
        with contextlib.suppress(docker.errors.APIError):  # it may have just ended
            self.container.kill()
        return self._wait(30)

    def logs(self) -> str:
        with self._in_use("reading its output"):
            return self.container.logs().decode(errors="replace")

    def stop(self, timeout: int = 10) -> tuple[float, int | None]:
        """``docker stop`` with a grace period of ``timeout`` seconds.

        Returns:
            (seconds the stop took, the exit code).
        """
        t0 = time.monotonic()
        with self._in_use("stopping it"):
            self.container.stop(timeout=timeout)
        took = time.monotonic() - t0
        return took, self.exit_code

    def restart(self, timeout: int = 10) -> None:
        """``docker restart``: stop (grace period ``timeout`` seconds), then start again.

        Raises:
            ContainerGone: It was removed from outside.
        """
        with self._in_use("restarting it"):
            self.container.restart(timeout=timeout)

    def set_restart_policy(self, name: str, max_retries: int = 0) -> None:
        """``docker update --restart``: when the engine restarts the container by itself.

        Args:
            name: ``"no"``, ``"always"``, ``"unless-stopped"`` or ``"on-failure"``.
            max_retries: For ``"on-failure"``: most restarts (0: no limit).

        Raises:
            DockerlabError: Not one of those policies.
            ContainerGone: It was removed from outside.
        """
        if name not in RESTART_POLICIES:
            raise InvalidOption(
                f"Restart policy {name!r}: one of {', '.join(RESTART_POLICIES)}, as with "
                "`docker run --restart`."
            )
        with self._in_use("changing its restart policy"):
            self.container.update(restart_policy={"Name": name, "MaximumRetryCount": max_retries})

    def diff(self) -> list[dict] | None:
        """``docker diff``: the paths it changed in its writable layer, as the engine lists
        them (``[{"Path": "/etc", "Kind": 0}, ...]``; None when nothing changed).

        Raises:
            ContainerGone: It was removed from outside.
        """
        with self._in_use("reading what it changed"):
            return self.container.diff()

    def stats(self) -> dict:
        """``docker stats --no-stream``: the engine's one sample of the container's use
        (``pids_stats``, ``memory_stats``, ``cpu_stats``...).

        Raises:
            ContainerGone: It was removed from outside.
        """
        with self._in_use("reading its statistics"):
            return self.container.stats(stream=False, one_shot=True)

    def copy_in(self, folder: str, files: Mapping[str, bytes | str], *, mode: int = 0o644) -> None:
        """``docker cp`` into the container: write ``files`` under ``folder``.

        Args:
            folder: An existing folder inside the container (``/`` or ``/tmp``...).
            files: File names (relative, may hold sub-folders) and their contents
                (text is written as UTF-8); at most :data:`MAX_COPY_IN` bytes in all.
            mode: Their permission bits (``0o755`` for a program).

        Raises:
            ContainerGone: It was removed from outside.
            DockerlabError: A name is absolute or climbs out with ``..``, the files are
                too big, the folder is missing, or the engine refused (a read-only
                root filesystem, for example).
        """
        data = {name: c.encode() if isinstance(c, str) else bytes(c) for name, c in files.items()}
        if bad := [n for n in data if n.startswith("/") or ".." in PurePosixPath(n).parts]:
            raise UnsafeOption(f"copy_in: names must be relative and stay in {folder}: {bad}")
        if (total := sum(map(len, data.values()))) > MAX_COPY_IN:
            raise InvalidOption(
                f"copy_in: {total:,} bytes, over the limit of {MAX_COPY_IN:,}; "
                "give large files to the build instead (dl.build(..., files=...))."
            )
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for name, content in data.items():
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(content), mode
                tar.addfile(info, io.BytesIO(content))
        try:
            self.container.put_archive(folder, buf.getvalue())
        except docker.errors.NotFound:
            if self._state() == "removed":
                raise ContainerGone(
                    f"The container {self.name} was removed while the kit was copying "
                    "files into it."
                ) from None
            raise ContainerFailed(f"The container {self.name} has no folder {folder}.") from None
        except docker.errors.APIError as e:
            raise ContainerFailed(
                f"The kit could not copy {', '.join(data)} into {folder} of {self.name}: "
                f"{e.explanation or e}"
            ) from None

    def remove(self) -> None:
        """Remove the container (killing it if it runs); tolerates 'already gone'."""
        try:
            self.container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as e:
            if "already in progress" not in str(e):
                raise

    def __enter__(self) -> DemoContainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def find(name: str) -> DemoContainer | None:
    """The container of this name or id on the engine, or None if there is none.

    Example:
        >>> find("no-such-container") is None  # doctest: +SKIP
        True
    """
    try:
        return DemoContainer(client().containers.get(name))
    except docker.errors.NotFound:
        return None


class Volume:
    """A named volume the kit made (:func:`volume`): what a notebook reads of it.

    Attributes:
        name: The volume's name, to mount it: ``volumes={vol.name: {"bind": "/data"}}``.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def labels(self) -> dict[str, str]:
        """Its labels, as the engine reports them now (``docker volume inspect``)."""
        return dict(client().api.inspect_volume(self.name).get("Labels") or {})

    def remove(self) -> None:
        """``docker volume rm --force``; tolerates 'already gone'."""
        with contextlib.suppress(docker.errors.NotFound):
            client().api.remove_volume(self.name, force=True)

    def __repr__(self) -> str:
        return f"Volume({self.name!r})"


@contextlib.contextmanager
def volume(role: str = "volume") -> Iterator[Volume]:
    """A named volume with the kit's session labels, removed when the block ends.

    The place for data that must outlive containers: any demo container may mount it.

    Args:
        role: Value of the kit's role label.

    Example:
        >>> with volume() as vol:  # doctest: +SKIP
        ...     dl.run("alpine:3.23", "touch /data/x", volumes={vol.name: {"bind": "/data"}})
    """
    vol = Volume(client().volumes.create(labels=labels.session_labels(role)).name)
    try:
        yield vol
    finally:
        vol.remove()


@contextlib.contextmanager
def created(image, role: str = "measure") -> Iterator:
    """A container of ``image``, created but never started, to read its files; removed after.

    It runs nothing, yet it gets every demo default (no network, limits, the kit's
    labels): started by mistake, it is as safe as any demo container.

    Raises:
        ImageNotFound: The image is not on this engine.

    Example:
        >>> with created(dl.ref("alpine")) as box:  # doctest: +SKIP
        ...     chunks, stat = box.get_archive("/etc/alpine-release")
    """
    ref = name_of(image)
    try:
        # The command never runs: `true` need not exist (FROM scratch images have nothing).
        box = client().containers.create(
            ref,
            command=["true"],
            **_options(**DEFAULT_LIMITS, cap_add=(), network="none", role=role),
        )
    except docker.errors.ImageNotFound:
        raise ImageNotFound(f"The image {ref!r} is not on this engine.") from None
    try:
        yield box
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            box.remove(force=True)


#: The role label of the kit's own registry (:func:`registry_container`): the one container of
#: the kit on the engine's own network. ``tests/audit_plugin.py`` knows it by this label.
REGISTRY_ROLE = "registry"
#: Processes the registry may have: a Go program counts its threads, and pushes run in parallel.
REGISTRY_PIDS = 512


def registry_container(image: str, port: int) -> DemoContainer:
    """Create (not start) the kit's own registry, on the **engine's** loopback.

    The one exception to "no network": the registry of
    :class:`dockerlab.registry.server.LocalRegistry` must answer at ``127.0.0.1:PORT`` where
    the engine dials it for a push, which is the engine's own network (inside its VM, with
    Docker Desktop or Colima). So it gets ``network_mode="host"`` of the engine, and
    everything else of the demo defaults: every capability dropped, ``no-new-privileges``,
    pids and memory limits, capped logs, the session label (role :data:`REGISTRY_ROLE`);
    :class:`DemoContainer` removes it. Its config (copied in before it starts) makes it
    listen on ``127.0.0.1:PORT`` only. Learners' demo containers never get this network:
    :func:`create` still refuses it.

    Args:
        image: The registry's image (``registry:2`` or the kit's ``dockerlab/registry:...``).
        port: The port it listens on; also in its environment (``REGISTRY_HTTP_ADDR``), so
            it listens on ``127.0.0.1`` even before the kit's config replaces the image's.

    Raises:
        ImageNotFound: The image is not on this engine.
        ContainerFailed: The engine refused to create it.
    """
    opts = _options(
        memory=DEFAULT_LIMITS["memory"],
        pids=REGISTRY_PIDS,
        cpus=DEFAULT_LIMITS["cpus"],
        cap_add=(),
        network="none",
        role=REGISTRY_ROLE,
        environment={"REGISTRY_HTTP_ADDR": f"127.0.0.1:{port}"},
    )
    opts["network_mode"] = "host"
    try:
        return DemoContainer(client().containers.create(image, **opts))
    except docker.errors.ImageNotFound:
        raise ImageNotFound(f"The image {image!r} is not on this engine.") from None
    except docker.errors.APIError as e:
        raise ContainerFailed(
            f"The registry's container could not be created: {e.explanation or e}"
        ) from None


def create(
    image,
    command: str | Sequence[str] | None = None,
    *,
    memory: str = DEFAULT_LIMITS["memory"],
    pids: int = DEFAULT_LIMITS["pids"],
    cpus: float = DEFAULT_LIMITS["cpus"],
    cap_add: Sequence[str] = (),
    network: str = "none",
    role: str = "demo",
    **options,
) -> DemoContainer:
    """Create (but do not start) a demo container with the kit's safety defaults.

    Args:
        image: A reference, a catalog image's ref, or a :class:`BuiltImage`.
        command: The command (a string is run by the image's shell rules).
        memory: Memory limit (swap is not allowed beyond it).
        pids: Most processes the container may have (stops fork bombs).
        cpus: CPUs it may use.
        cap_add: Capabilities to give back (all are dropped by default).
        network: "none", or "container:<id>" to share another's loopback.
        role: Value of the kit's role label.
        **options: More ``docker.containers.create`` options (``init=True``,
            ``environment=``, ``user=``, ``read_only=``, ``tmpfs=``, ...).

    Returns:
        The created :class:`DemoContainer` (``box.start()`` starts it).

    Raises:
        ImageNotFound: The image is not on this engine.
    """
    opts = _options(
        memory=memory, pids=pids, cpus=cpus, cap_add=cap_add, network=network, role=role, **options
    )
    # An image named by its id may be between two names for a moment: on the containerd
    # store, another learner moving a shared tag off it deletes that name before the
    # engine records the image as untagged (a CI run's four learners hit that window).
    # Asked for again a moment later, the engine finds it; a missing image stays missing.
    attempts = 8 if name_of(image).startswith("sha256:") else 1
    for attempt in range(attempts):
        try:
            # create, not containers.run: run would try to pull a missing image.
            return DemoContainer(client().containers.create(name_of(image), command, **opts))
        except docker.errors.ImageNotFound:
            if attempt == attempts - 1:
                raise ImageNotFound(
                    f"The image {name_of(image)!r} is not on this engine."
                ) from None
            time.sleep(0.25)
        except docker.errors.APIError as e:
            raise ContainerFailed(
                f"The container could not be created: {e.explanation or e}", hint=_start_hint(e)
            ) from None
    raise AssertionError("unreachable")  # the loop returns or raises


def start(image, command: str | Sequence[str] | None = None, **options) -> DemoContainer:
    """Start a demo container in the background, with the kit's safety defaults.

    Takes the same arguments as :func:`create`.

    Returns:
        The running :class:`DemoContainer` (a context manager that removes it).

    Raises:
        ImageNotFound: The image is not on this engine.
        DockerlabError: The container could not start (e.g. its command does not exist).
    """
    box = create(image, command, **options)
    try:
        return box.start()
    except DockerlabError:
        box.remove()
        raise


def run(
    image,
    command: str | Sequence[str] | None = None,
    *,
    timeout: float = 30,
    raise_on_timeout: bool = True,
    environment: Mapping[str, str] | None = None,
    **options,
) -> RunResult:
    """Run a demo container to completion and remove it.

    Args:
        image: A reference or a :class:`BuiltImage`.
        command: The command to run.
        timeout: Seconds before the container is killed.
        raise_on_timeout: Raise :class:`ContainerTimeout` (default) or return
            a result with ``timed_out=True``.
        environment: Environment variables.
        **options: Anything :func:`start` accepts (limits, ``init=True``, ...).

    Returns:
        A :class:`RunResult` with exit code, output and timing (a container
        killed from outside ends with 137, as with ``docker run``).

    Raises:
        ContainerTimeout: It ran past ``timeout`` (it was killed and removed).
        ContainerGone: It was removed from outside the kit while it ran.

    Example:
        >>> dl.run("alpine:3.23", "echo hello").output  # doctest: +SKIP
        'hello\\n'
    """
    t0 = time.monotonic()
    with start(image, command, environment=environment, **options) as box:
        code = box._wait(timeout)
        timed_out = code is None
        if timed_out:
            code = box._kill()
        seconds = time.monotonic() - t0
        output = box.logs()
        oom = bool(box.inspect()["State"].get("OOMKilled"))
    if timed_out and raise_on_timeout:
        raise ContainerTimeout(
            f"The container ran longer than {timeout:g} s; the kit killed and removed it.",
            hint="Check for a loop that never ends or a process waiting for input.",
        )
    return RunResult(code, output, seconds, timed_out, oom)
