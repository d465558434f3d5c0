"""make test's desktop-like lane: the course as a learner with Docker Desktop has it.

Run by ``make test`` as root, on Linux, where the kit starts engines of its own. It makes
the learner's machine as Docker Desktop leaves it, then hands over to the learner:

- **The engine apart.** Docker Engine 28 with the containerd image store, in network
  and mount namespaces of its own (engine profile ``28-desktop``,
  :func:`dockerlab.engines.private.apart`): its ``127.0.0.1`` is not the notebook's, and
  the machine's ``/home`` and ``/tmp`` are empty to it. Its socket, whose group the
  learner is in, is the only way in.
- **A learner who is not root.** A new Unix user (:data:`LEARNER`), made afresh for each
  run and removed after it: no sudo, no apt, no kit cache that root prepared, and Debian's
  own ``/usr/bin/python3`` for ``make``'s venv.
- **Found through a docker context.** ``~/.docker/config.json`` names the context
  ``desktop-linux`` (Docker Desktop for Linux's), whose endpoint is the socket;
  ``DOCKER_HOST`` is not set. Docker Desktop's CLI and its buildx plugin are where a
  per-user Desktop install puts them: ``~/.docker/bin`` and ``~/.docker/cli-plugins``.

Root puts the course's base images on the engine (:func:`put_course_images`), standing in
for the pulls from Docker Hub a Desktop learner's ``make lab`` does. The learner then runs
``make _test-desktop`` in her own copy of the course: ``make``'s venv, the doctor, every
notebook and exercise, and the registry, build, measure and scorecard tests.

Usage: ``python tests/desktop_lane.py`` (``make test`` runs it; ``--keep`` leaves the
learner and her files for a look afterwards).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import docker

from dockerlab.core.config import SOCKET_GROUP_VARIABLE, kit_buildx, kit_docker_cli
from dockerlab.core.discovery import network_of
from dockerlab.core.images import ref
from dockerlab.engines import private

#: The learner's Unix user, and the group that may use the engine's socket.
LEARNER = "dllearner"
SOCKET_GROUP = "dockerlab-desktop"
#: The docker context Docker Desktop for Linux makes and selects.
CONTEXT = "desktop-linux"
REPO = Path(__file__).resolve().parent.parent


def run(*cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), check=True, **kw)


def remove_learner() -> None:
    """Remove the learner, her home, her group and anything she still runs."""
    try:
        pwd.getpwnam(LEARNER)
    except KeyError:
        return
    subprocess.run(["pkill", "-KILL", "-u", LEARNER], check=False)
    subprocess.run(["userdel", "--remove", LEARNER], check=False, capture_output=True)
    subprocess.run(["groupdel", SOCKET_GROUP], check=False, capture_output=True)


def make_learner() -> pwd.struct_passwd:
    """A fresh Unix user in the socket's group, with a copy of the course in her home."""
    remove_learner()
    subprocess.run(["groupadd", "--force", SOCKET_GROUP], check=True)
    run("useradd", "--create-home", "--shell", "/bin/bash", "--groups", SOCKET_GROUP, LEARNER)
    user = pwd.getpwnam(LEARNER)
    home = Path(user.pw_dir)
    course = home / "dockerlab"
    course.mkdir()
    files = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z"], check=True, capture_output=True
    ).stdout
    # The course's files as they are in this checkout (what a learner's clone holds).
    pack = subprocess.Popen(
        ["tar", "-C", str(REPO), "--null", "-T", "-", "-cf", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    unpack = subprocess.Popen(["tar", "-C", str(course), "-xf", "-"], stdin=pack.stdout)
    pack.stdout.close()
    pack.communicate(files)
    if unpack.wait() or pack.returncode:
        raise SystemExit("could not copy the course into the learner's home")
    return user


def install_desktop_cli(home: Path, socket: Path) -> None:
    """What Docker Desktop puts in a user's ``~/.docker``: its CLI, buildx, the context."""
    docker_dir = home / ".docker"
    cli, buildx = kit_docker_cli(), kit_buildx()
    if cli is None or buildx is None:
        raise SystemExit("the kit's Docker Engine 28 download has no docker CLI or buildx")
    (docker_dir / "bin").mkdir(parents=True)
    (docker_dir / "cli-plugins").mkdir()
    shutil.copy2(cli, docker_dir / "bin/docker")
    shutil.copy2(buildx, docker_dir / "cli-plugins/docker-buildx")
    meta = docker_dir / "contexts/meta" / hashlib.sha256(CONTEXT.encode()).hexdigest()
    meta.mkdir(parents=True)
    endpoint = {"Host": f"unix://{socket}", "SkipTLSVerify": False}
    meta_json = {"Name": CONTEXT, "Metadata": {}, "Endpoints": {"docker": endpoint}}
    (meta / "meta.json").write_text(json.dumps(meta_json))
    (docker_dir / "config.json").write_text(json.dumps({"currentContext": CONTEXT}))


def put_course_images(host: str) -> None:
    """The course's base images, put on the engine by root from the kit's cache.

    They stand in for the pulls from Docker Hub that a learner's ``make lab`` does on
    Docker Desktop: no registry answers here, and bootstrapping them offline needs root
    (debootstrap). Everything else the learner's course makes, she makes herself.
    """
    run(sys.executable, "-m", "dockerlab", "bases", env=dict(os.environ, DOCKER_HOST=host))


def learner_command(user: pwd.struct_passwd, session: str) -> list[str]:
    """``make _test-desktop`` as the learner, with a login's environment and nothing of
    root's: no ``DOCKER_HOST``, no kit cache folder, no pip or Python of root's."""
    home = user.pw_dir
    env = {
        "HOME": home,
        "USER": user.pw_name,
        "LOGNAME": user.pw_name,
        "SHELL": "/bin/bash",
        "PATH": f"{home}/.docker/bin:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "DOCKERLAB_SESSION": session,
        "MPLBACKEND": "Agg",
    }
    env_args = [f"{k}={v}" for k, v in env.items()]
    make = ["make", "--no-print-directory", "-C", f"{home}/dockerlab", "_test-desktop"]
    return ["runuser", "-u", user.pw_name, "--", "env", "-i", *env_args, *make]


def check_apart(host: str, user: pwd.struct_passwd) -> None:
    """Check, from both sides, that the engine is apart: its network namespace is not
    ours, and the learner's home is not there for it to bind-mount."""
    if network_of(host) != "its own":
        raise SystemExit(f"the desktop lane's engine shares this machine's network ({host})")
    client = docker.DockerClient(base_url=host)
    try:
        seen = client.containers.run(
            ref("alpine"),
            ["ls", "-A", "/seen"],
            volumes={user.pw_dir: {"bind": "/seen", "mode": "ro"}},
            network_mode="none",
            remove=True,
        )
    finally:
        client.close()
    if seen.strip():
        raise SystemExit(f"the desktop lane's engine sees the learner's home: {seen!r}")


def topology(user: pwd.struct_passwd, socket: Path) -> str:
    st = socket.stat()
    return (
        f"== desktop lane: Docker Engine 28 (containerd image store) in network and mount "
        f"namespaces of its own (checked: its network is not this machine's, and the "
        f"learner's home is empty to it); socket {socket} (group {SOCKET_GROUP}, mode "
        f"{st.st_mode & 0o777:o}); learner {user.pw_name} (uid {user.pw_uid}, not root, no "
        f"sudo), engine found through the docker context {CONTEXT} in ~/.docker/config.json, "
        f"DOCKER_HOST unset"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the learner afterwards")
    args = parser.parse_args(argv)
    if os.geteuid() != 0 or not private.may_start():
        print("== desktop lane skipped: it needs Linux and root (it makes a Unix user)")
        return 0
    os.environ["DOCKERLAB_ENGINE"] = "28-desktop"
    os.environ[SOCKET_GROUP_VARIABLE] = SOCKET_GROUP
    session = os.environ.get("DOCKERLAB_SESSION", "test-desktop")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a CI time limit: clean up
    try:
        user = make_learner()
        host = private.start()
        os.environ["DOCKER_HOST"] = host  # root's side only: the learner's env is her own
        socket = Path(host.removeprefix("unix://"))
        install_desktop_cli(Path(user.pw_dir), socket)
        put_course_images(host)
        check_apart(host, user)
        run("chown", "-R", f"{user.pw_uid}:{user.pw_gid}", user.pw_dir)
        print(topology(user, socket), flush=True)
        return subprocess.run(learner_command(user, session), check=False).returncode
    finally:
        private.stop()
        if not args.keep:
            remove_learner()


if __name__ == "__main__":
    sys.exit(main())
