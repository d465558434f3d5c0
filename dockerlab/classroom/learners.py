"""A workshop machine for a class: one Unix user and one rootless Docker engine per learner.

``python -m dockerlab classroom setup alice bob ...`` (as root) makes each learner a
real Unix user (home 0700, subordinate uid/gid ranges), gives each a Docker engine of
their own that runs as that user (rootless ``dockerd`` inside ``rootlesskit``, the
recipe Debian's ``dockerd-rootless.sh`` follows), loads the course's images into
each engine, and writes a JupyterHub configuration in which each learner's server
runs as that learner with ``DOCKER_HOST`` on their own engine and ``/tmp``, ``/var/tmp``,
``/dev/shm``, ``/run/lock`` of its own (:mod:`dockerlab.classroom.spawner`). Learners
share no engine, no socket and, through the hub, no writable folder.

What bounds a learner (a rootless engine on cgroup v1 enforces no per-container
limit): root puts each learner's engine and server in a cgroup of their own
(processes, memory, CPU) before they start. Every folder she may write to has a size:
her home and her engine's data root are loop-mounted file systems of their own, whose
files are allocated up front (``fallocate``: the space is the machine's no longer, so a
full machine cannot take it from her, and setup refuses a class the machine's free space
cannot hold); ``/run/user/UID`` is a small in-memory file system; her server's ``/tmp``
and the like are in-memory and count in her memory budget. Her engine and her server
each see, in ``/proc``, only her own processes (``hidepid=invisible`` on a ``/proc`` of
their own mount namespace; the machine's ``/proc`` is unchanged).

What this does not give: the learners are users of one kernel. A kernel bug, a
side channel, or a learner's own mistakes with their home stay possible; what one
learner can do is what any Unix user of the machine can.

Commands: ``setup``, ``start``, ``status``, ``stop``, ``teardown``. The instructor's live
view of the class (engines and exercise progress) is :mod:`dockerlab.classroom.view`.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dockerlab.core.downloads import apt_install
from dockerlab.errors import ClassroomError, InvalidOption

#: Where the class lives: its state, the learners' disks, the hub's configuration.
HOME = Path(os.environ.get("DOCKERLAB_CLASSROOM") or "/srv/dockerlab-class")
#: Debian 12's packages a rootless engine needs (the engine itself: Debian's docker.io).
PACKAGES = ["uidmap", "rootlesskit", "slirp4netns", "fuse-overlayfs", "docker.io"]
CGROUP = "dockerlab-class"
#: The folders every user may write to: each learner's server gets empty ones of its own
#: (:mod:`dockerlab.classroom.spawner`).
PRIVATE_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
#: The size of each learner's ``/run/user/UID`` (her engine's socket and run state).
RUNTIME_SIZE = "64m"
#: What setup leaves free on the class's disk for the machine itself (logs, the hub's database).
SPARE = "2g"
#: How a ``/proc`` shows only the processes its reader may trace (Linux 5.8 or later).
HIDEPID = "hidepid=invisible"
#: A learner's name: a valid Unix login.
NAME = re.compile(r"[a-z][a-z0-9_-]{0,30}")
_CHILD = """#!/bin/sh
# Inside rootlesskit's namespaces: what Debian's dockerd-rootless.sh does before dockerd.
rm -rf /run/docker /run/containerd /run/xtables.lock
exec "$@"
"""
_IN_BUDGET = """#!/bin/sh
# Moves this process into its learner's cgroups (root made them and gave the learner
# their cgroup.procs), then runs the command: the learner's server, and what it starts.
for f in /sys/fs/cgroup/*/%(group)s/"$(id -un)"/cgroup.procs /sys/fs/cgroup/%(group)s/"$(id -un)"/cgroup.procs; do
  [ -w "$f" ] && echo $$ > "$f"
done
exec "$@"
"""


@dataclass
class Budget:
    """What one learner may use at most, engine and server together."""

    memory: str = "2g"
    pids: int = 1024
    cpus: float = 1.0
    disk: str = "8g"
    home: str = "2g"


@dataclass
class Learner:
    name: str
    uid: int
    gid: int
    home: str

    @property
    def runtime(self) -> Path:
        return Path(f"/run/user/{self.uid}")

    @property
    def socket(self) -> Path:
        return self.runtime / "docker.sock"

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def data_root(self) -> Path:
        return Path(self.home) / ".local" / "share" / "docker"

    @property
    def disks(self) -> dict[Path, Path]:
        """Her file systems: where each is mounted -> the file that holds it."""
        folder = HOME / "disks"
        return {Path(self.home): folder / f"{self.name}.home.ext4",
                self.data_root: folder / f"{self.name}.ext4"}  # fmt: skip


@dataclass
class Class:
    learners: list[Learner] = field(default_factory=list)
    budget: Budget = field(default_factory=Budget)
    engines: dict[str, int] = field(default_factory=dict)  # learner -> rootlesskit's pid

    @staticmethod
    def path() -> Path:
        return HOME / "class.json"

    @classmethod
    def load(cls) -> Class:
        try:
            raw = json.loads(cls.path().read_text())
        except FileNotFoundError:
            raise ClassroomError(
                f"No class is set up on this machine ({cls.path()} is missing).",
                hint="Run `python -m dockerlab classroom setup NAME ...` as root first.",
            ) from None
        return cls(
            [Learner(**x) for x in raw["learners"]], Budget(**raw["budget"]), raw.get("engines", {})
        )

    def save(self) -> None:
        HOME.mkdir(parents=True, exist_ok=True)
        self.path().write_text(json.dumps(asdict(self), indent=1) + "\n")

    def learner(self, name: str) -> Learner:
        for x in self.learners:
            if x.name == name:
                return x
        raise ClassroomError(f"{name!r} is not a learner of this class.")


def _say(line: str) -> None:
    print(line, flush=True)


def _root() -> None:
    if os.geteuid() != 0:
        raise ClassroomError("The classroom commands set up users and engines: run them as root.")


def _run(*cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def _bytes(size: str) -> int:
    from docker.utils import parse_bytes

    return parse_bytes(size)


# ---------------------------------------------------------------- users, disks, budgets


def _login(name: str) -> None:
    if not NAME.fullmatch(name):
        raise InvalidOption(f"{name!r} cannot be a learner's login (a-z, digits, _ and -).")


def _user(name: str) -> Learner:
    """The learner's Unix user, made if missing: home 0700, subordinate uid/gid ranges."""
    _login(name)
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        _run("useradd", "--create-home", "--shell", "/bin/bash", "--user-group", name)
        pw = pwd.getpwnam(name)
    os.chmod(pw.pw_dir, 0o700)
    for table, flag in (("/etc/subuid", "--add-subuids"), ("/etc/subgid", "--add-subgids")):
        lines = Path(table).read_text().splitlines() if Path(table).exists() else []
        if not any(line.split(":")[0] == name for line in lines):
            starts = [int(p[1]) + int(p[2]) for line in lines if len(p := line.split(":")) == 3]
            first = max([100000, *starts])
            _run("usermod", flag, f"{first}-{first + 65535}", name)
    return Learner(name, pw.pw_uid, pw.pw_gid, pw.pw_dir)


def _as(learner: Learner, *cmd: str) -> list[str]:
    """``cmd`` run as the learner, with a clean environment of theirs."""
    return [
        "setpriv",
        f"--reuid={learner.uid}",
        f"--regid={learner.gid}",
        "--init-groups",
        "env",
        "-i",
        f"HOME={learner.home}",
        f"USER={learner.name}",
        f"LOGNAME={learner.name}",
        f"XDG_RUNTIME_DIR={learner.runtime}",
        "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        *cmd,
    ]


def _allocated(image: Path) -> int:
    """Bytes of the machine's disk ``image`` holds now (0 if it is not there yet)."""
    try:
        return image.stat().st_blocks * 512
    except FileNotFoundError:
        return 0


def _reserve(image: Path, size: int) -> None:
    """Allocate every byte of ``image`` on the machine's disk (a no-op where it is already):
    her file system can then never meet a full machine."""
    fd = os.open(image, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as err:
        raise ClassroomError(
            f"Could not allocate {size / 2**30:.1f} GiB for {image}: {err.strerror}.",
            hint="Free space on the class's disk, or give each learner less (--disk, --home).",
        ) from None
    finally:
        os.close(fd)


def _mount_disk(learner: Learner, folder: Path, size: str, *, make: bool = True) -> None:
    """Mount the learner's file system of ``size`` on ``folder`` (hers, 0700); made first
    (allocated up front, holding what ``folder`` held) unless ``make`` is false."""
    image = learner.disks[folder]
    if os.path.ismount(folder) or not (make or image.exists()):
        return
    image.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(image.parent, 0o700)
    fresh = not image.exists()
    _reserve(image, _bytes(size))
    folder.mkdir(parents=True, exist_ok=True)
    if fresh:  # its tables zeroed now: zeroing them later through the loop device, as ext4
        # does by default, punches holes in the file (the space goes back to the machine)
        init = "nodiscard,lazy_itable_init=0,lazy_journal_init=0"
        _run("mkfs.ext4", "-q", "-F", "-m", "0", "-E", init, "-d", str(folder), str(image))
        _reserve(image, _bytes(size))  # what mkfs zeroed by punching holes, allocated again
        for inner in folder.iterdir():  # now on her disk; the folder becomes a mount point
            shutil.rmtree(inner) if inner.is_dir() and not inner.is_symlink() else inner.unlink()
    _run("mount", "-o", "loop,nosuid,nodev", str(image), str(folder))
    os.chown(folder, learner.uid, learner.gid)
    os.chmod(folder, 0o700)


def _disks(learner: Learner, budget: Budget, *, make: bool = True) -> None:
    """Her home, then her engine's data root inside it; her /run/user/UID in memory."""
    _mount_disk(learner, Path(learner.home), budget.home, make=make)
    for folder in (learner.data_root.parent.parent, learner.data_root.parent):
        folder.mkdir(exist_ok=True)
        os.chown(folder, learner.uid, learner.gid)
    _mount_disk(learner, learner.data_root, budget.disk, make=make)
    rt = learner.runtime
    rt.mkdir(parents=True, exist_ok=True)
    if not os.path.ismount(rt):
        options = f"nosuid,nodev,size={RUNTIME_SIZE},mode=0700,uid={learner.uid},gid={learner.gid}"
        _run("mount", "-t", "tmpfs", "-o", options, "tmpfs", str(rt))


def _unmount(folder: Path) -> None:
    """Unmount ``folder`` if it is a mount point (lazily, should something still hold it)."""
    busy = os.path.ismount(folder) and subprocess.run(["umount", str(folder)],
                                                      capture_output=True).returncode  # fmt: skip
    if busy:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def disk_plan(names: list[str], budget: Budget) -> dict[str, float]:
    """What the learners' disks need from the class's disk, in GiB: ``per_learner``,
    ``to_allocate`` (for those not allocated yet), ``free`` and ``spare`` (kept free)."""
    per = _bytes(budget.home) + _bytes(budget.disk)
    missing = 0
    for name in names:
        folder = HOME / "disks"
        for image, size in ((folder / f"{name}.home.ext4", budget.home),
                            (folder / f"{name}.ext4", budget.disk)):  # fmt: skip
            missing += max(0, _bytes(size) - _allocated(image))
    where = HOME if HOME.exists() else next(p for p in HOME.parents if p.exists())
    gib = 2**30
    return {"per_learner": per / gib, "to_allocate": missing / gib,
            "free": shutil.disk_usage(where).free / gib, "spare": _bytes(SPARE) / gib}  # fmt: skip


def _check_disks(names: list[str], budget: Budget) -> None:
    """Print what the disks take; refuse a class the machine's free space cannot hold."""
    plan = disk_plan(names, budget)
    _say(
        f"disks: {plan['per_learner']:.1f} GiB per learner (home {budget.home}, engine "
        f"{budget.disk}), {plan['to_allocate']:.1f} GiB to allocate for {len(names)}, "
        f"{plan['free']:.1f} GiB free, {plan['spare']:.1f} GiB kept free for the machine"
    )
    if plan["to_allocate"] > plan["free"] - plan["spare"]:
        fits = int((plan["free"] - plan["spare"]) // plan["per_learner"])
        raise ClassroomError(
            f"The learners' disks need {plan['to_allocate']:.1f} GiB and the class's disk has "
            f"{plan['free']:.1f} GiB free ({plan['spare']:.1f} GiB of it kept for the "
            f"machine): {max(fits, 0)} learners of this budget fit.",
            hint="Give each learner less (--home, --disk), set up fewer, or free space.",
        )


def cgroups(name: str) -> list[Path]:
    """The learner's cgroups: one per controller on cgroup v1, one on v2."""
    base = Path("/sys/fs/cgroup")
    if (base / "cgroup.controllers").exists():
        return [base / CGROUP / name]
    return [base / c / CGROUP / name for c in ("pids", "memory", "cpu") if (base / c).is_dir()]


def limits(budget: Budget) -> dict[str, str]:
    """The cgroup files (v1's and v2's names) and values that set ``budget``."""
    memory, period = _bytes(budget.memory), 100_000
    return {
        "pids.max": str(budget.pids),
        "memory.limit_in_bytes": str(memory), "memory.memsw.limit_in_bytes": str(memory),
        "memory.max": str(memory), "memory.swap.max": "0",
        "cpu.cfs_period_us": str(period), "cpu.cfs_quota_us": str(int(budget.cpus * period)),
        "cpu.max": f"{int(budget.cpus * period)} {period}",
    }  # fmt: skip


def _budget(learner: Learner, budget: Budget) -> None:
    """Make the learner's cgroups with their limits; the learner may move in, not out."""
    for group in cgroups(learner.name):
        if (group.parent.parent / "cgroup.controllers").exists():  # v2: hand controllers down
            for parent in (group.parent.parent, group.parent):
                parent.mkdir(exist_ok=True)
                for controller in ("pids", "memory", "cpu"):
                    with contextlib.suppress(OSError):
                        (parent / "cgroup.subtree_control").write_text(f"+{controller}")
        group.mkdir(parents=True, exist_ok=True)
        for knob, value in limits(budget).items():
            if (group / knob).exists():
                (group / knob).write_text(value)
        os.chown(group / "cgroup.procs", learner.uid, learner.gid)


def _scripts() -> dict[str, Path]:
    folder = HOME / "bin"
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, text in (("rootless-child", _CHILD), ("in-budget", _IN_BUDGET % {"group": CGROUP})):
        path = folder / name
        if not path.exists() or path.read_text() != text:  # as it is: engines may be running it
            path.write_text(text)
        path.chmod(0o755)
        out[name] = path
    return out


# ---------------------------------------------------------------- engines


def _engine_command(learner: Learner) -> list[str]:
    """The learner's engine: rootlesskit and dockerd, as the learner (no network of its own:
    containers run with none, ``--bridge=none``). ``--ip-forward=false``: in the host's
    network (``--net=host``) a rootless dockerd may not write ``net.ipv4.ip_forward``, and
    where the host has it off (a fresh machine) it would fail to start trying."""
    child = _scripts()["rootless-child"]
    rt = learner.runtime
    return _as(
        learner,
        "rootlesskit",
        "--net=host",
        "--copy-up=/etc",
        "--copy-up=/run",
        "--propagation=rslave",
        f"--state-dir={rt}/rootlesskit-docker",
        str(child),
        "dockerd",
        "--bridge=none",
        "--iptables=false",
        "--ip-masq=false",
        "--ip-forward=false",
        "--userland-proxy=false",
        f"--data-root={learner.data_root}",
        f"--exec-root={rt}/docker",
        f"--pidfile={rt}/docker.pid",
        "-H",
        learner.docker_host,
    )


def engine_answers(learner: Learner, timeout: float = 5) -> bool:
    import docker

    try:
        docker.DockerClient(base_url=learner.docker_host, timeout=timeout).ping()
        return True
    except Exception:
        return False


def _start_engine(learner: Learner, wait: float = 90) -> int:
    """Start the learner's engine (as them, in their budget); return rootlesskit's pid."""
    logs = HOME / "logs"
    logs.mkdir(exist_ok=True)
    os.chmod(logs, 0o700)
    # The shell (still root) moves itself into the learner's cgroups, then becomes the
    # learner's engine: everything the engine starts stays inside the learner's budget.
    # In a mount namespace of its own (mounts from the machine still reach it), whose
    # /proc shows the engine and its containers only the learner's own processes.
    procs = " ".join(str(g / "cgroup.procs") for g in cgroups(learner.name))
    script = (
        f"mount -t proc -o nosuid,nodev,noexec,{HIDEPID} proc /proc || exit 1; "
        f'for f in {procs}; do echo $$ > "$f" || exit 1; done; exec "$@"'
    )
    unshare = ["unshare", "--mount", "--propagation", "slave", "--"]
    with open(logs / f"{learner.name}.log", "ab") as log:
        proc = subprocess.Popen(
            [*unshare, "sh", "-c", script, "sh", *_engine_command(learner)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if engine_answers(learner, timeout=2):
            return proc.pid
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    tail = (logs / f"{learner.name}.log").read_text(errors="replace").splitlines()[-8:]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    raise ClassroomError(
        f"{learner.name}'s engine did not start:\n  " + "\n  ".join(tail),
        hint=f"The whole log: {logs / (learner.name + '.log')}",
    )


def _stop_engine(pid: int, wait: float = 30) -> None:
    try:  # the number saved may be another process's now (a reboot, a crash)
        if b"rootlesskit" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return
    except OSError:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.3)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _load_images(learner: Learner, archive: Path) -> list[str]:
    """Load a bundle (``python -m dockerlab bundle``) into the learner's engine."""
    import docker

    from dockerlab.classroom import workshop

    engine = docker.DockerClient(base_url=learner.docker_host, timeout=900)
    try:
        return workshop.load(archive, engine)
    finally:
        engine.close()


def _engine_and_images(learner: Learner, archive: Path) -> int | None:
    """Start the learner's engine if it does not answer (its pid), then load the bundle."""
    pid = None if engine_answers(learner) else _start_engine(learner)
    _say(f"{learner.name}: engine {learner.docker_host}, loading the course's images ...")
    _load_images(learner, archive)
    _say(f"{learner.name}: ready")
    return pid


# ---------------------------------------------------------------- the hub


_HUB = """# JupyterHub for a dockerlab class, written by `python -m dockerlab classroom setup`.
# Each learner's server runs as that learner (ClassSpawner: LocalProcessSpawner with
# private /tmp, /var/tmp, /dev/shm, /run/lock and IPC, and a /proc that shows only the
# learner's own processes), inside their budget, with
# DOCKER_HOST on their own rootless engine. Run the hub as root from the class's Python
# environment ({venv}/bin/jupyterhub). Choose an authenticator: the default (PAM) needs
# each learner to have a password (`passwd alice`).
import pwd

c = get_config()  # noqa: F821
# The hub's secrets, in a folder only root may read (the learners are users of this machine).
c.JupyterHub.db_url = "sqlite:///{hub}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{hub}/jupyterhub_cookie_secret"
c.ConfigurableHTTPProxy.pid_file = "{hub}/jupyterhub-proxy.pid"
c.JupyterHub.spawner_class = "dockerlab.classroom.spawner.ClassSpawner"
c.ClassSpawner.private_size = {private_size!r}
c.Authenticator.allowed_users = {learners!r}
c.Spawner.cmd = [{in_budget!r}, {singleuser!r}]
c.Spawner.notebook_dir = "~/dockerlab"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120


def _docker_host(spawner):
    return f"unix:///run/user/{{pwd.getpwnam(spawner.user.name).pw_uid}}/docker.sock"


c.Spawner.environment = {{
    "DOCKER_HOST": _docker_host,
    "DOCKERLAB_LEARNER": lambda spawner: spawner.user.name,
}}
"""


def _course(learner: Learner, repo: Path) -> None:
    """A copy of the notebooks and exercises in the learner's home, theirs to change."""
    target = Path(learner.home) / "dockerlab"
    for part in ("notebooks", "exercises"):
        if not (target / part).exists():
            shutil.copytree(
                repo / part,
                target / part,
                ignore=shutil.ignore_patterns("src", ".ipynb_checkpoints"),
            )
    for folder, dirs, files in os.walk(target):
        for name in [folder, *(os.path.join(folder, x) for x in dirs + files)]:
            os.chown(name, learner.uid, learner.gid)


def _environment(repo: Path) -> Path:
    """A Python environment every learner may run (the instructor's may live in /root)."""
    venv = HOME / "venv"
    if not (venv / ".installed").exists():
        _say("making the learners' Python environment (a few minutes the first time) ...")
        base = shutil.which("python3", path="/usr/bin:/bin") or "python3"
        _run(base, "-m", "venv", str(venv))
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        _run(*pip, "-r", str(repo / "requirements.txt"))
        _run(*pip, "--no-deps", str(repo))
        (venv / ".installed").touch()
    return venv


def hub_folder() -> Path:
    """The hub's folder: its configuration, database, cookie secret; root's only (0700)."""
    folder = HOME / "hub"
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def hub_config(names: list[str], venv: Path, private_size: str = "1g") -> Path:
    """The hub's configuration; ``private_size``: the most each learner's private /tmp
    (and /var/tmp, /dev/shm) may hold (their memory budget bounds them together)."""
    path = hub_folder() / "jupyterhub_config.py"
    path.touch(mode=0o600)
    path.write_text(
        _HUB.format(
            hub=str(hub_folder()),
            learners=set(names),
            in_budget=str(HOME / "bin" / "in-budget"),
            singleuser=str(venv / "bin" / "jupyterhub-singleuser"),
            venv=str(venv),
            private_size=private_size,
        )
    )
    return path


# ---------------------------------------------------------------- the commands


def setup(
    names: list[str],
    budget: Budget | None = None,
    *,
    images: list[str] | None = None,
    hub: bool = True,
    workers: int | None = None,
) -> Class:
    """Make (or complete) the class: users, budgets, disks, engines, images, hub config.

    Args:
        names: The learners' logins.
        budget: Each learner's limits (default :class:`Budget`).
        images: Catalog keys whose images each engine gets (default: every base).
        hub: Also make the learners' Python environment and the JupyterHub configuration.
        workers: How many engines start and load at once (default: one per CPU).
    """
    from dockerlab.classroom import workshop

    _root()
    budget = budget or Budget()
    _outside_private_folders(HOME)
    for name in names:
        _login(name)
    _check_disks(names, budget)
    missing = [
        p
        for p, tool in (
            ("uidmap", "newuidmap"),
            ("rootlesskit", "rootlesskit"),
            ("docker.io", "dockerd"),
        )
        if not shutil.which(tool)
    ]
    if missing or not shutil.which("slirp4netns"):
        apt_install(PACKAGES, "a rootless engine per learner", error=ClassroomError)
    HOME.mkdir(parents=True, exist_ok=True)
    os.chmod(HOME, 0o755)
    repo = Path(__file__).resolve().parents[2]  # the course: dockerlab/classroom/ -> its repository
    state = Class.load() if Class.path().exists() else Class(budget=budget)
    state.budget = budget
    archive = HOME / "course-images.tar"
    _say(f"saving the course's images from this engine into {archive} ...")
    from dockerlab.core.images import ref

    workshop.bundle(str(archive), [ref(k) for k in images] if images else None)
    os.chmod(archive, 0o600)
    _scripts()
    for name in names:  # one at a time: useradd and usermod lock /etc/passwd
        learner = _user(name)
        state.learners = [x for x in state.learners if x.name != name] + [learner]
        _budget(learner, budget)
        _disks(learner, budget)
        if (repo / "notebooks").is_dir():
            _course(learner, repo)
        state.save()
    _engines(state, [state.learner(n) for n in names], archive, workers)
    if hub:
        venv = _environment(repo)
        config = hub_config([x.name for x in state.learners], venv, budget.memory)
        _say(f"JupyterHub configuration: {config}")
    state.save()
    return state


def _engines(state: Class, learners: list[Learner], archive: Path, workers: int | None) -> None:
    """Each learner's engine started and loaded, ``workers`` at a time (each learner's
    are their own: user, cgroups, disk, socket); every engine started is saved, even when
    another failed."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    workers = max(1, min(len(learners), workers or os.cpu_count() or 1))
    failed = []
    with ThreadPoolExecutor(workers) as pool:
        started = {pool.submit(_engine_and_images, x, archive): x for x in learners}
        for future in as_completed(started):
            try:
                pid = future.result()
            except ClassroomError as err:
                failed.append(err)
                continue
            if pid is not None:
                state.engines[started[future].name] = pid
                state.save()
    if failed:
        raise failed[0]


def _outside_private_folders(home: Path) -> None:
    """The class's scripts and Python must be visible to the learners' servers, which get
    empty /tmp-like folders of their own (:mod:`dockerlab.classroom.spawner`)."""
    real = home.resolve()
    for folder in PRIVATE_FOLDERS:
        if real.is_relative_to(Path(folder).resolve()):
            raise ClassroomError(
                f"The class folder {home} is under {folder}, which each learner's server "
                f"gets empty, of its own: choose another, e.g. DOCKERLAB_CLASSROOM=/srv/class."
            )


def start() -> Class:
    """Start every learner's engine that is not running (after a reboot, a `stop`)."""
    _root()
    state = Class.load()
    for learner in state.learners:
        _disks(learner, state.budget, make=False)
        for image in learner.disks.values():  # allocated again, should anything have
            if image.exists():  # given some back (fstrim on a loop device punches holes)
                _reserve(image, image.stat().st_size)
        _budget(learner, state.budget)
        if not engine_answers(learner):
            state.engines[learner.name] = _start_engine(learner)
            _say(f"{learner.name}: engine started")
    state.save()
    return state


def _end_budget(name: str) -> None:
    """Kill whatever still runs in the learner's cgroups (a container's processes may run
    as subordinate uids, which ``pkill -u`` misses), in rounds until none is left (a fork
    bomb makes new ones meanwhile)."""
    for _ in range(50):
        pids = set()
        for group in cgroups(name):
            for procs in group.rglob("cgroup.procs"):
                with contextlib.suppress(OSError, ValueError):
                    pids |= {int(x) for x in procs.read_text().split()}
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)


def stop() -> None:
    """Stop every learner's engine (their images and containers stay on their disk)."""
    _root()
    state = Class.load()
    for name, pid in list(state.engines.items()):
        _stop_engine(pid)
        del state.engines[name]
        _say(f"{name}: engine stopped")
    state.save()


def teardown() -> None:
    """Stop the engines, then remove the learners (users and homes), disks, cgroups, hub."""
    _root()
    state = Class.load()
    stop()
    for learner in state.learners:
        subprocess.run(["pkill", "-KILL", "-u", learner.name], capture_output=True)
        _end_budget(learner.name)
        for folder in (learner.data_root, Path(learner.home), learner.runtime):
            _unmount(folder)
        subprocess.run(["userdel", "--remove", learner.name], capture_output=True)
        for group in cgroups(learner.name):
            with contextlib.suppress(OSError):
                for inner in sorted(group.rglob("*"), key=lambda p: -len(p.parts)):
                    if inner.is_dir():
                        inner.rmdir()
                group.rmdir()
        shutil.rmtree(learner.runtime, ignore_errors=True)
        _say(f"{learner.name}: removed")
    for group in cgroups(""):
        with contextlib.suppress(OSError):
            group.rmdir()
    shutil.rmtree(HOME, ignore_errors=True)
