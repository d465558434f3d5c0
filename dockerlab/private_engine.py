"""A private Docker engine for the kit, for Linux machines with none running.

On a laptop with Docker Desktop or a system engine, the kit uses that engine and
this module does nothing. On a Linux machine where no engine answers and we are
root (a CI runner, a fresh classroom VM), :func:`start` runs ``dockerd`` with its
own data root under the kit's cache folder and its own exec root, pid file and
socket under a short runtime folder (``/run/dockerlab-<hash>``), with
no bridge network, so it never touches a system engine's images or containers
and its containers get no private-range address.

Command line: ``python -m dockerlab engine start|stop|status`` and
``python -m dockerlab with-engine -- COMMAND...`` (what ``make test`` uses).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .errors import DockerlabError, EngineNotRunning


def cache_dir() -> Path:
    """The kit's cache folder (``$DOCKERLAB_CACHE`` or ``~/.cache/dockerlab``)."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dockerlab"
    return Path(os.environ.get("DOCKERLAB_CACHE") or default)


def engine_dir() -> Path:
    """Where the private engine keeps its data (images survive restarts) and its log."""
    return cache_dir() / "engine"


def run_dir() -> Path:
    """Runtime files: socket, exec root, pid file.

    Kept at a short path, whatever the cache folder: unix sockets allow about
    100 bytes, and containerd's socket lives deep inside the exec root. One
    folder per cache folder, so two caches give two independent engines.
    """
    base = Path("/run") if os.access("/run", os.W_OK) else Path(tempfile.gettempdir())
    return base / f"dockerlab-{_tag()}"


def _tag() -> str:
    """Short name of the cache folder: one engine (socket, cgroup) per cache folder."""
    return hashlib.sha256(str(cache_dir().resolve()).encode()).hexdigest()[:10]


def socket_path() -> Path:
    """Where the private engine listens."""
    return run_dir() / "docker.sock"


def docker_host() -> str:
    return f"unix://{socket_path()}"


def _pidfile() -> Path:
    return run_dir() / "dockerd.pid"


def _logfile() -> Path:
    return engine_dir() / "dockerd.log"


def answers(host: str, timeout: float = 3.0) -> bool:
    """True if a Docker engine answers a ping at ``host``."""
    import docker

    try:
        client = docker.DockerClient(base_url=host, timeout=timeout, version="1.41")
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def system_engine_host() -> str | None:
    """The address of an engine the user already has, or None.

    Looks at ``DOCKER_HOST`` first, then the default socket.
    """
    env = os.environ.get("DOCKER_HOST")
    if env:
        return env if env != docker_host() and answers(env) else None
    default = "unix:///var/run/docker.sock"
    if Path("/var/run/docker.sock").exists() and answers(default):
        return default
    return None


def is_running() -> bool:
    """True if the kit's private engine answers."""
    return socket_path().exists() and answers(docker_host())


#: Most processes all of the private engine's containers (builds included) may have
#: together: a fork bomb in a learner's RUN step stops there, not at the host's pid_max.
ENGINE_PIDS_MAX = 4096


def cgroup_name() -> str:
    """The cgroup holding this engine's containers: one per engine, so a fork bomb in
    one (a test's spare engine, another cache folder) never starves the others."""
    return f"dockerlab-engine-{_tag()}"


def pids_cgroup() -> Path:
    """Where the engine's pids limit lives (cgroup v1's pids hierarchy, or v2's)."""
    v1, v2 = Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")
    return (v1 if v1.is_dir() else v2) / cgroup_name()


def _limit_engine_pids() -> str | None:
    """Make a cgroup with a pids limit to hold every container of the private engine.

    Returns:
        The ``--cgroup-parent`` to give dockerd, or None if cgroups cannot be set here.
    """
    group = pids_cgroup()
    try:  # cgroup v2 (the group right under /sys/fs/cgroup): is the pids controller on?
        v2 = group.parent
        if v2.name != "pids" and "pids" not in (v2 / "cgroup.subtree_control").read_text():
            return None
        group.mkdir(exist_ok=True)
        (group / "pids.max").write_text(str(ENGINE_PIDS_MAX))
    except OSError:
        return None
    return f"/{cgroup_name()}"


def _remove_cgroups() -> None:
    """Remove the engine's (now empty) cgroups, in every hierarchy dockerd made one,
    with what it made inside (BuildKit's ``buildkit`` group), deepest first. The
    kernel refuses to remove a cgroup that still holds a process: nothing running
    is ever touched."""
    name = cgroup_name()
    for group in [Path("/sys/fs/cgroup") / name, *Path("/sys/fs/cgroup").glob(f"*/{name}")]:
        for folder, _, _ in sorted(os.walk(group), key=lambda w: -len(Path(w[0]).parts)):
            with contextlib.suppress(OSError):
                os.rmdir(folder)


def _install_dockerd() -> None:
    if shutil.which("dockerd"):
        return
    if not shutil.which("apt-get"):
        raise EngineNotRunning("No Docker engine is running and `dockerd` is not installed.")
    print("Installing Debian's docker.io (the Docker engine) ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "docker.io"]):
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)


_spawned: int | None = None  # the dockerd this process started, until it writes its pid file


def start(wait: float = 90.0) -> str:
    """Make sure an engine answers, starting the private one if needed.

    Returns:
        The ``DOCKER_HOST`` to use: the user's own engine if one answers,
        otherwise the kit's private engine.

    Raises:
        EngineNotRunning: No engine answers and the kit may not start one here
            (not Linux, or not root).
    """
    own = system_engine_host()
    if own:
        return own
    if is_running():
        return docker_host()
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        raise EngineNotRunning("No Docker engine is running.")
    _install_dockerd()
    d, r = engine_dir(), run_dir()
    (d / "data").mkdir(parents=True, exist_ok=True)
    (r / "exec").mkdir(parents=True, exist_ok=True)
    stale = socket_path()
    if stale.exists():
        stale.unlink()
    cmd = [
        "dockerd",
        "--data-root", str(d / "data"),
        "--exec-root", str(r / "exec"),
        "--pidfile", str(_pidfile()),
        "-H", docker_host(),
        "--bridge=none", "--iptables=false", "--ip-masq=false",
    ]  # fmt: skip
    parent = _limit_engine_pids()
    if parent:
        cmd.append(f"--cgroup-parent={parent}")
    global _spawned
    with open(_logfile(), "ab") as log:
        _spawned = subprocess.Popen(
            cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        ).pid
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if is_running():
            return docker_host()
        time.sleep(0.5)
    tail = _logfile().read_text(errors="replace").splitlines()[-15:]
    raise EngineNotRunning(
        "The kit's private Docker engine did not come up in time.\n" + "\n".join(tail),
        hint=f"See {_logfile()} for the engine's log.",
    )


def stop(wait: float = 30.0) -> bool:
    """Stop the kit's private engine if it runs. Never touches another engine.

    Returns:
        True if a private engine was stopped.
    """
    try:
        pid = int(_pidfile().read_text().strip())
    except (FileNotFoundError, ValueError):
        pid = _spawned  # started by this process, pid file not written yet
    if pid is None:
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if not _alive(pid):
            _unmount_leftovers()
            shutil.rmtree(run_dir(), ignore_errors=True)
            _remove_cgroups()
            return True
        time.sleep(0.2)
    raise DockerlabError(f"The private engine (pid {pid}) did not stop within {wait:.0f} s.")


def _unmount_leftovers() -> None:
    """Undo the mounts a stopped dockerd leaves (it bind-mounts its data root on itself)."""
    roots = (str(engine_dir().resolve()), str(run_dir()))
    with open("/proc/self/mounts") as f:
        points = [line.split()[1] for line in f]
    for point in sorted(points, key=len, reverse=True):
        if point.startswith(roots):
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs. Reaps it if it is our own child (started by :func:`start`
    in this process): an exited child stays a zombie, and a zombie still answers kill(0)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def with_engine(command: list[str]) -> int:
    """Run ``command`` with an engine; stop the private one afterwards if we started it.

    Also when ended by Ctrl-C or SIGTERM (a CI time limit, `timeout`, `kill`), even
    while the engine is still starting: the engine this started never outlives it.
    """
    was_running = is_running()
    previous = signal.signal(signal.SIGTERM, _terminated)
    host = child = None
    try:
        host = start()
        child = subprocess.Popen(command, env=dict(os.environ, DOCKER_HOST=host))
        return child.wait()
    except (KeyboardInterrupt, _Terminated) as e:
        if child is not None:
            child.terminate()  # lets JupyterLab shut its kernels down
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        return 130 if isinstance(e, KeyboardInterrupt) else 143
    finally:
        signal.signal(signal.SIGTERM, previous)
        if not was_running and host in (None, docker_host()):
            stop()


class _Terminated(Exception):
    """SIGTERM arrived (raised from the handler so that ``finally`` blocks run)."""


def _terminated(signum, frame) -> None:
    raise _Terminated
