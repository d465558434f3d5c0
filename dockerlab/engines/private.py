"""A private Docker engine for the kit, for Linux machines with none running.

On a laptop with Docker Desktop or a system engine, the kit uses that engine and
this module does nothing. On a Linux machine where no engine answers and we are
root (a CI runner, a fresh classroom VM), :func:`start` runs ``dockerd`` with its
own data root under the kit's cache folder and its own exec root, pid file and
socket under a short runtime folder (``/run/dockerlab-<tag>``), with
no bridge network, so it never touches a system engine's images or containers
and its containers get no private-range address.

Which engine runs is a *profile*, chosen by ``DOCKERLAB_ENGINE`` (see :data:`PROFILES`):

- ``28`` (the default): Docker Engine 28 with the containerd image store, the
  engine learners have (Docker Desktop since 4.34, fresh Engine 29 installs).
  Its binaries are Debian unstable's packages (:data:`ENGINE_28_PACKAGES`),
  downloaded once with a private apt configuration and unpacked under the cache
  folder (``docker-<version>/root``): nothing of them is installed into the
  system. They run on Debian 12 with Debian 12's ``runc`` and ``docker-init``
  (unstable's need a newer glibc), installed with apt if missing.
- ``28-overlay2``: the same binaries with the classic overlay2 store (an
  upgraded install).
- ``20.10``: Debian 12's ``docker.io`` (installed with apt if missing), overlay2
  and the legacy builder.
- ``28-arm64``: profile ``28`` whose images and containers are linux/arm64, an Apple
  Silicon Mac's, run on an x86_64 machine by qemu-user-static through binfmt_misc
  (:func:`ensure_emulation`); the commands it runs get ``DOCKERLAB_PLATFORM``.
- ``28-desktop``: profile ``28`` in network and mount namespaces of its own
  (:func:`apart`), as in Docker Desktop's VM: its ``127.0.0.1`` is not the notebook's and
  the machine's ``/home`` and ``/tmp`` are empty to it. Only its socket joins the two;
  ``DOCKERLAB_SOCKET_GROUP`` lets that group's members (a learner who is not root) use it.

Each profile has its own data root (``engine/`` for 20.10, ``engine-<profile>/``
for the others), runtime folder, socket and cgroup: two profiles' engines can
run side by side.

Command line: ``python -m dockerlab engine start|stop|status`` and
``python -m dockerlab with-engine -- COMMAND...`` (what ``make test`` uses).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from dockerlab.core.config import (
    ENGINE_28_PACKAGES,
    PROFILE_APART,
    PROFILE_PLATFORM,
    PROFILES,
    SOCKET_GROUP_VARIABLE,
    cache_dir,
    docker_host,
    engine28_complete,
    engine28_root,
    engine_dir,
    machine_arch,
    profile,
    run_dir,
    socket_path,
    tag,
)
from dockerlab.core.discovery import Found, find, ping
from dockerlab.core.downloads import Apt, apt_install
from dockerlab.errors import EngineNotRunning, EnginePermissionDenied, PrivateEngineFailed

#: binfmt_misc handlers that run each foreign architecture's programs (qemu-user-static).
QEMU_HANDLERS = {"arm64": "qemu-aarch64", "amd64": "qemu-x86_64"}

#: The only package source of the private apt configuration: Debian unstable, checked
#: against Debian's archive keys like any apt source (deb822, as ``downloads.Apt`` writes it).
UNSTABLE_SOURCE = (
    "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: sid\nComponents: main\n"
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
)


def _say(line: str) -> None:
    """A progress line: on stderr, so that ``engine start`` prints only its DOCKER_HOST."""
    print(line, file=sys.stderr, flush=True)


def _pidfile() -> Path:
    return run_dir() / "dockerd.pid"


def _logfile() -> Path:
    return engine_dir() / "dockerd.log"


def describe(host: str, timeout: float = 10.0) -> str:
    """One line on the engine at ``host``: its version and image store.

    Example: ``Docker Engine 28.5.2+dfsg4, containerd image store (overlayfs)``.
    """
    import docker

    client = docker.DockerClient(base_url=host, timeout=timeout, version="auto")
    try:
        info = client.info()
    finally:
        client.close()
    status = dict(info.get("DriverStatus") or [])
    store = (
        "containerd image store"
        if status.get("driver-type") == "io.containerd.snapshotter.v1"
        else "classic image store"
    )
    return f"Docker Engine {info.get('ServerVersion')}, {store} ({info.get('Driver')})"


def system_engine() -> Found | None:
    """An engine the user already has, found as the kit finds engines, or None.

    :func:`dockerlab.core.discovery.find` without the kit's own engine: ``DOCKER_HOST``,
    ``DOCKER_CONTEXT``, the docker CLI's current context, the default socket, then the
    well-known sockets of Docker Desktop, rootless Docker, Colima, Rancher Desktop,
    OrbStack and Podman. ``DOCKER_HOST`` naming the kit's own engine is not the user's.

    Raises:
        EngineContextMissing: A context is named that does not exist.
    """
    if os.environ.get("DOCKER_HOST") == docker_host():
        return None
    try:
        return find(kit=False)
    except (EngineNotRunning, EnginePermissionDenied):
        return None


def system_engine_host() -> str | None:
    """The address of an engine the user already has (:func:`system_engine`), or None."""
    own = system_engine()
    return own.host if own else None


def is_running() -> bool:
    """True if the kit's private engine answers."""
    return socket_path().exists() and ping(docker_host())


#: Most processes all of the private engine's containers (builds included) may have
#: together: a fork bomb in a learner's RUN step stops there, not at the host's pid_max.
ENGINE_PIDS_MAX = 4096


def cgroup_name() -> str:
    """The cgroup holding this engine's containers: one per engine, so a fork bomb in
    one (a test's spare engine, another cache folder) never starves the others."""
    return f"dockerlab-engine-{tag()}"


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


# ------------------------------------------------ foreign architectures, emulated


def emulation_handler(arch: str) -> Path | None:
    """The enabled binfmt_misc handler running ``arch``'s programs, or None.

    Only a handler with the ``F`` flag (fix-binary: the kernel opens the emulator
    when it is registered) works inside containers, where no emulator is on disk.
    """
    name = QEMU_HANDLERS.get(arch)
    entry = Path("/proc/sys/fs/binfmt_misc") / name if name else None
    try:
        text = entry.read_text() if entry else ""
    except OSError:
        return None
    flags = next((ln.split(":", 1)[1] for ln in text.splitlines() if ln.startswith("flags:")), "")
    return entry if text.startswith("enabled") and "F" in flags else None


def ensure_emulation(arch: str) -> None:
    """Make sure this machine runs ``arch``'s programs (qemu-user-static + binfmt_misc).

    Nothing to do for the machine's own architecture or an enabled handler. Otherwise,
    as root: mount binfmt_misc if it is not, install Debian's ``qemu-user-static`` and
    ``binfmt-support`` if missing, and enable the handler.

    Raises:
        EngineNotRunning: The handler cannot be had here (not root, no apt-get, or the
            kernel refused it), with what to do instead.
    """
    if arch == machine_arch() or emulation_handler(arch):
        return
    name = QEMU_HANDLERS.get(arch)
    if name is None:
        raise EngineNotRunning(f"The kit does not know how to emulate {arch} on {machine_arch()}.")
    why = f"to run linux/{arch} containers on this {machine_arch()} machine"
    if not may_start():
        raise EngineNotRunning(
            f"linux/{arch} programs do not run on this machine: no {name} binfmt_misc handler.",
            hint="As root: apt-get install qemu-user-static binfmt-support (Debian/Ubuntu); "
            "or unset DOCKERLAB_ENGINE / DOCKERLAB_PLATFORM to use the machine's own platform.",
        )
    binfmt = Path("/proc/sys/fs/binfmt_misc")
    if not (binfmt / "register").exists():
        subprocess.run(
            ["mount", "-t", "binfmt_misc", "binfmt_misc", str(binfmt)],
            check=False,
            capture_output=True,
        )
    if not shutil.which(f"{name}-static") or not shutil.which("update-binfmts"):
        apt_install(["qemu-user-static", "binfmt-support"], why)
    if not emulation_handler(arch):
        for args in (["--import", name], ["--enable", name]):
            subprocess.run(["update-binfmts", *args], check=False, capture_output=True)
    if not emulation_handler(arch):
        raise EngineNotRunning(
            f"qemu-user-static is installed, but the kernel has no enabled {name} handler "
            f"with the F flag in {binfmt} {why}.",
            hint=f"Check that {binfmt} is mounted and writable (a container needs "
            "--privileged for it), then run `update-binfmts --enable " + name + "`.",
        )


def _install_dockerd() -> None:
    if shutil.which("dockerd"):
        return
    apt_install(["docker.io"], "the Docker engine 20.10")


# ------------------------------------------------ Docker Engine 28, from Debian unstable


def _apt_dir() -> Path:
    """The private apt configuration's folder: its sources, index lists, cache."""
    return cache_dir() / "apt-unstable"


def _unstable() -> Apt:
    """Debian unstable as a private apt configuration (:class:`dockerlab.core.downloads.Apt`):
    only Debian unstable is a source; the host's apt is neither read nor changed."""
    return Apt(
        "Debian unstable",
        _apt_dir(),
        UNSTABLE_SOURCE,
        error=EngineNotRunning,
        hint="Docker Engine 28 is downloaded once from deb.debian.org: check that it is "
        "reachable, or use Debian 12's engine: DOCKERLAB_ENGINE=20.10.",
    )


def choose_versions(
    madison: str, pinned: dict[str, str] = ENGINE_28_PACKAGES
) -> tuple[dict[str, str], list[str]]:
    """The version of each package to download, given what Debian serves.

    Args:
        madison: ``apt-cache madison PKG...`` output (``pkg | version | source`` lines;
            apt lists each package's versions newest first).
        pinned: Package -> the version the kit was tested with.

    Returns:
        Package -> version to use (the pinned one if served, else the newest served),
        and one line for each package whose pinned version is gone.

    Raises:
        EngineNotRunning: A package is not served at all.
    """
    served: dict[str, list[str]] = {}
    for line in madison.splitlines():
        fields = [f.strip() for f in line.split("|")]
        if len(fields) == 3 and fields[2].endswith(" Packages"):  # binaries, not Sources
            served.setdefault(fields[0], []).append(fields[1])
    chosen, notes = {}, []
    for package, tested in pinned.items():
        versions = served.get(package)
        if not versions:
            raise EngineNotRunning(
                f"Debian unstable serves no package {package!r}: the kit cannot download "
                "Docker Engine 28 from it.",
                hint="Use Debian 12's engine instead: DOCKERLAB_ENGINE=20.10.",
            )
        chosen[package] = tested if tested in versions else versions[0]
        if chosen[package] != tested:
            notes.append(
                f"Debian unstable no longer serves {package} {tested}, the version the kit "
                f"was tested with: using {chosen[package]}, the newest it serves."
            )
    return chosen, notes


def upstream_version(debian_version: str) -> str:
    """``28.5.2+dfsg4-5`` -> ``28.5.2`` (no epoch, repack suffix or Debian revision)."""
    return debian_version.split(":")[-1].split("+")[0].split("~")[0].rsplit("-", 1)[0]


def engine28_versions(root: Path) -> dict[str, str]:
    """Package -> Debian version of an unpacked Docker Engine 28 (see :func:`engine28_root`)."""
    return json.loads((root.parent / "versions.json").read_text())


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (one download at a time per cache folder)."""
    import fcntl  # POSIX only; the private engine is Linux only

    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ensure_engine28() -> Path:
    """Docker Engine 28's unpacked binaries, downloading them first if not cached.

    The download (about 71 MB, seconds) uses a private apt configuration
    (:func:`_unstable`): ``apt-get update`` of Debian unstable's index, ``apt-get
    download`` of :data:`ENGINE_28_PACKAGES`, ``dpkg-deb -x`` of each into a
    temporary folder, renamed to ``cache_dir()/docker-<version>`` once complete:
    an interrupted download is never taken for a finished one.

    Returns:
        The unpacked root (``.../docker-<version>/root``, with ``usr/sbin/dockerd``).

    Raises:
        EngineNotRunning: Debian unstable cannot be reached, or serves no Docker engine.
    """
    found = engine28_root()
    if found:
        return found
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / ".engine-28-download.lock"):
        return engine28_root() or _download_engine28(cache)  # another process may have


def _download_engine28(cache: Path) -> Path:
    from dockerlab.core.downloads import download_debian_packages, unpack_deb

    unstable = _unstable()
    unstable.update(_say)
    versions, notes = choose_versions(unstable.run("apt-cache", "madison", *ENGINE_28_PACKAGES))
    for note in notes:
        _say(note)
    final = cache / f"docker-{versions['docker.io']}"
    if engine28_complete(final):
        return final / "root"
    _say(
        f"Downloading Docker Engine {upstream_version(versions['docker.io'])} from Debian "
        "unstable ..."
    )
    partial = cache / f".{final.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)  # left by an interrupted download
    specs = [f"{package}={version}" for package, version in versions.items()]
    for deb in download_debian_packages(specs, partial / "debs", apt=unstable, say=_say):
        unpack_deb(deb, partial / "root", error=EngineNotRunning, hint=unstable.hint)
    shutil.rmtree(partial / "debs")
    (partial / "versions.json").write_text(json.dumps(versions, indent=1) + "\n")
    if not engine28_complete(partial):
        raise EngineNotRunning(f"Debian's docker.io {versions['docker.io']} has no dockerd.")
    os.rename(partial, final)
    return final / "root"


def _system_path() -> str:
    """The system's PATH (the standard folders included, for runc in /usr/sbin)."""
    parts = os.environ.get("PATH", "").split(os.pathsep)
    std = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    return os.pathsep.join([p for p in parts if p] + [p for p in std if p not in parts])


def _init_binary() -> str | None:
    """Debian 12's docker-init (a static tini), if present."""
    for path in ("/usr/bin/docker-init", "/usr/bin/tini-static"):
        if Path(path).is_file():  # follows the symlink: docker-init -> tini-static
            return path
    return None


def _debian12_runtime() -> str:
    """Make sure the system's ``runc`` and ``docker-init`` exist (apt if not).

    Debian unstable's runc and tini need glibc 2.38, newer than Debian 12's:
    Engine 28 runs with the system's (Debian 12: runc 1.1.5, tini 0.19).

    Returns:
        The init binary, for ``dockerd --init-path``.
    """
    missing = [] if shutil.which("runc", path=_system_path()) else ["runc"]
    if _init_binary() is None:
        missing.append("tini")
    if missing:
        apt_install(missing, "the container runtime and init Docker Engine 28 uses")
    init = _init_binary()
    if init is None or not shutil.which("runc", path=_system_path()):
        raise EngineNotRunning("Docker Engine 28 needs runc and tini-static; apt gave none.")
    return init


def _engine28_command(root: Path, name: str) -> tuple[list[str], dict[str, str]]:
    """dockerd's command line (without the common flags) and environment for Engine 28."""
    versions = engine28_versions(root)
    if versions["docker.io"] != ENGINE_28_PACKAGES["docker.io"]:
        _say(
            f"Using Debian's docker.io {versions['docker.io']}; the kit was tested with "
            f"{ENGINE_28_PACKAGES['docker.io']}."
        )
    init = _debian12_runtime()
    config = engine_dir(name) / "daemon.json"
    snapshotter = {"features": {"containerd-snapshotter": name != "28-overlay2"}}
    config.write_text(json.dumps(snapshotter) + "\n")
    cmd = [
        str(root / "usr/sbin/dockerd"),
        "--config-file",
        str(config),
        f"--init-path={init}",
        "--userland-proxy=false",
    ]
    # the unpacked containerd and shim first, then the system's runc
    path = os.pathsep.join([str(root / "usr/sbin"), str(root / "usr/bin"), _system_path()])
    return cmd, dict(os.environ, PATH=path)


#: What an engine apart (:data:`PROFILE_APART`) does not see of the machine.
HIDDEN_FROM_ENGINE = ("/home", "/tmp")


def apart(cmd: list[str], keep: list[Path]) -> list[str]:
    """``cmd`` run in network and mount namespaces of its own, as in Docker Desktop's VM.

    Its loopback is up and its own; each folder of :data:`HIDDEN_FROM_ENGINE` is an empty
    ``tmpfs`` to it, unless one of ``keep`` (the engine's own files) lies inside. The
    socket it makes on the machine's file system is the one way in.
    """
    hide = [
        folder
        for folder in HIDDEN_FROM_ENGINE
        if not any(p.resolve().is_relative_to(folder) for p in keep)
    ]
    script = "ip link set lo up && " + "".join(
        f"mount -t tmpfs -o mode=1777 tmpfs {folder} && " for folder in hide
    )
    namespaces = ["unshare", "--net", "--mount", "--propagation", "private", "--fork"]
    return [*namespaces, "sh", "-c", script + 'exec "$@"', "dockerd-apart", *cmd]


_spawned: int | None = None  # the dockerd this process started, until it writes its pid file


def may_start() -> bool:
    """True where the kit may start engines of its own: Linux, as root."""
    return sys.platform.startswith("linux") and os.geteuid() == 0


def start(wait: float = 90.0) -> str:
    """Make sure an engine answers, starting the private one (of :func:`profile`) if needed.

    Returns:
        The ``DOCKER_HOST`` to use: the user's own engine if one answers,
        otherwise the kit's private engine.

    Raises:
        EngineNotRunning: No engine answers and the kit may not start one here
            (not Linux, or not root), or its binaries could not be had.
        DockerlabError: ``DOCKERLAB_ENGINE`` names no known profile.
    """
    name = profile()
    own = system_engine()
    if own:
        return own.host
    if is_running():
        return docker_host()
    if not may_start():
        raise EngineNotRunning("No Docker engine is running.")
    d, r = engine_dir(), run_dir()
    (d / "data").mkdir(parents=True, exist_ok=True)
    if name == "20.10":
        _install_dockerd()
        cmd, env = ["dockerd"], None
    else:
        cmd, env = _engine28_command(ensure_engine28(), name)
    if name in PROFILE_PLATFORM:
        ensure_emulation(PROFILE_PLATFORM[name].split("/")[1])
    (r / "exec").mkdir(parents=True, exist_ok=True)
    stale = socket_path()
    if stale.exists():
        stale.unlink()
    cmd += [
        "--data-root",
        str(d / "data"),
        "--exec-root",
        str(r / "exec"),
        "--pidfile",
        str(_pidfile()),
        "-H",
        docker_host(),
        # No network for containers, and the host's own left alone: no iptables rules, no
        # net.ipv4.ip_forward switched on (dockerd enables it by default).
        "--bridge=none",
        "--iptables=false",
        "--ip-masq=false",
        "--ip-forward=false",
    ]
    group = os.environ.get(SOCKET_GROUP_VARIABLE)
    if group:
        cmd.append(f"--group={group}")
    parent = _limit_engine_pids()
    if parent:
        cmd.append(f"--cgroup-parent={parent}")
    if name in PROFILE_APART:
        cmd = apart(cmd, keep=[d, r, Path(cmd[0])])
    global _spawned
    with open(_logfile(), "ab") as log:
        _spawned = subprocess.Popen(
            cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True, env=env
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
    """Stop the kit's private engine (of :func:`profile`) if it runs. Never touches
    another engine.

    After dockerd has exited, what it ran (containerd, containerd shims) is given
    a few seconds to end, then killed; then its mounts, runtime folder and cgroups
    are removed.

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
            _end_leftover_processes()
            _unmount_leftovers()
            shutil.rmtree(run_dir(), ignore_errors=True)
            _remove_cgroups()
            return True
        time.sleep(0.2)
    raise PrivateEngineFailed(f"The private engine (pid {pid}) did not stop within {wait:.0f} s.")


def engine_processes(name: str | None = None) -> list[int]:
    """Pids of the processes of profile ``name``'s engine: dockerd, its containerd and
    containerd's shims (each names the engine's runtime folder on its command line)."""
    folder = f"{run_dir(name)}/".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        program = Path(argv[0].decode(errors="replace")).name
        ours = program in ("dockerd", "containerd") or program.startswith("containerd-shim")
        if ours and any(folder in arg for arg in argv[1:]):
            found.append(int(proc.name))
    return found


def _end_leftover_processes(grace: float = 10.0) -> None:
    """Wait for the stopped dockerd's containerd and shims to end; kill those that do not."""
    deadline = time.monotonic() + grace
    while (left := engine_processes()) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    while any(_alive(pid) for pid in left) and time.monotonic() < deadline + 5:
        time.sleep(0.1)


def _unmount_leftovers() -> None:
    """Undo the mounts a stopped dockerd leaves (it bind-mounts its data root on itself)."""
    roots = (f"{engine_dir().resolve()}/", f"{run_dir()}/")
    with open("/proc/self/mounts") as f:
        points = [line.split()[1] for line in f]
    for point in sorted(points, key=len, reverse=True):
        if f"{point}/".startswith(roots):
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)


def status() -> str:
    """What ``engine status`` says: whether the active profile's engine runs, its
    version and image store, and any other profile's engine of this cache folder."""
    name = profile()
    if is_running():
        lines = [f"running: profile {name}, {describe(docker_host())}, at {docker_host()}"]
    else:
        lines = [f"not running (profile {name}: {PROFILES[name]})"]
    for other in PROFILES:
        host = docker_host(other)
        if other != name and socket_path(other).exists() and ping(host):
            lines.append(
                f"also running: profile {other}, {describe(host)}, at {host} "
                f"(stop it with DOCKERLAB_ENGINE={other} python -m dockerlab engine stop)"
            )
    return "\n".join(lines)


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
        own = system_engine()
        host = own.host if own else start()
        env = dict(os.environ, **(own.environment() if own else {"DOCKER_HOST": host}))
        if host == docker_host() and profile() in PROFILE_PLATFORM:
            env.setdefault("DOCKERLAB_PLATFORM", PROFILE_PLATFORM[profile()])
        child = subprocess.Popen(command, env=env)
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


class _Terminated(BaseException):
    """SIGTERM arrived (raised from the handler so that ``finally`` blocks run). Not an
    ``Exception``, as KeyboardInterrupt is not: code that catches ``Exception`` (the ping
    that waits for a starting engine) would swallow it and run the command anyway."""


def _terminated(signum, frame) -> None:
    raise _Terminated
