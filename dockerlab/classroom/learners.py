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
(processes, memory, CPU) before they start, and the engine's data root is a
loop-mounted file system of a fixed size.

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


def _user(name: str) -> Learner:
    """The learner's Unix user, made if missing: home 0700, subordinate uid/gid ranges."""
    if not NAME.fullmatch(name):
        raise InvalidOption(f"{name!r} cannot be a learner's login (a-z, digits, _ and -).")
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


def _disk(learner: Learner, size: str) -> None:
    """The learner's engine's data root: an ext4 file system of ``size`` in a file."""
    root = learner.data_root
    if os.path.ismount(root):
        return
    image = HOME / "disks" / f"{learner.name}.ext4"
    image.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(image.parent, 0o700)
    if not image.exists():
        with open(image, "wb") as f:
            f.truncate(_bytes(size))
        _run("mkfs.ext4", "-q", "-F", str(image))
    for folder in (root.parent.parent, root.parent, root):
        folder.mkdir(exist_ok=True)
        os.chown(folder, learner.uid, learner.gid)
    _run("mount", "-o", "loop", str(image), str(root))
    os.chown(root, learner.uid, learner.gid)
    os.chmod(root, 0o700)


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
    rt = learner.runtime
    rt.mkdir(parents=True, exist_ok=True)
    os.chown(rt, learner.uid, learner.gid)
    os.chmod(rt, 0o700)
    logs = HOME / "logs"
    logs.mkdir(exist_ok=True)
    os.chmod(logs, 0o700)
    # The shell (still root) moves itself into the learner's cgroups, then becomes the
    # learner's engine: everything the engine starts stays inside the learner's budget.
    procs = " ".join(str(g / "cgroup.procs") for g in cgroups(learner.name))
    script = f'for f in {procs}; do echo $$ > "$f" || exit 1; done; exec "$@"'
    with open(logs / f"{learner.name}.log", "ab") as log:
        proc = subprocess.Popen(
            ["sh", "-c", script, "sh", *_engine_command(learner)],
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
    from dockerlab.classroom import workshop
    from dockerlab.core import engine

    before = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = learner.docker_host
    engine.reset()
    try:
        return workshop.load(archive)
    finally:
        if before is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = before
        engine.reset()


# ---------------------------------------------------------------- the hub


_HUB = """# JupyterHub for a dockerlab class, written by `python -m dockerlab classroom setup`.
# Each learner's server runs as that learner (ClassSpawner: LocalProcessSpawner with
# private /tmp, /var/tmp, /dev/shm, /run/lock and IPC), inside their budget, with
# DOCKER_HOST on their own rootless engine. Run the hub as root from the class's Python
# environment ({venv}/bin/jupyterhub). Choose an authenticator: the default (PAM) needs
# each learner to have a password (`passwd alice`).
import pwd

c = get_config()  # noqa: F821
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


def hub_config(names: list[str], venv: Path, private_size: str = "1g") -> Path:
    """The hub's configuration; ``private_size``: the most each learner's private /tmp
    (and /var/tmp, /dev/shm) may hold (their memory budget bounds them together)."""
    path = HOME / "jupyterhub_config.py"
    path.write_text(
        _HUB.format(
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
) -> Class:
    """Make (or complete) the class: users, budgets, disks, engines, images, hub config.

    Args:
        names: The learners' logins.
        budget: Each learner's limits (default :class:`Budget`).
        images: Catalog keys whose images each engine gets (default: every base).
        hub: Also make the learners' Python environment and the JupyterHub configuration.
    """
    from dockerlab.classroom import workshop

    _root()
    budget = budget or Budget()
    _outside_private_folders(HOME)
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
        apt_install(PACKAGES, "a rootless engine per learner")
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
    for name in names:
        learner = _user(name)
        state.learners = [x for x in state.learners if x.name != name] + [learner]
        _budget(learner, budget)
        _disk(learner, budget.disk)
        if (repo / "notebooks").is_dir():
            _course(learner, repo)
        state.save()
        if not engine_answers(learner):
            state.engines[name] = _start_engine(learner)
            state.save()
        _say(f"{name}: engine {learner.docker_host}, loading the course's images ...")
        _load_images(learner, archive)
    if hub:
        venv = _environment(repo)
        config = hub_config([x.name for x in state.learners], venv, budget.memory)
        _say(f"JupyterHub configuration: {config}")
    state.save()
    return state


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
        _disk(learner, state.budget.disk)
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
        if os.path.ismount(learner.data_root):
            subprocess.run(["umount", "-l", str(learner.data_root)], capture_output=True)
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
