"""A class on one machine: each learner a Unix user with a rootless engine and a budget.

``python -m dockerlab classroom setup`` makes two learners for real (users, subuid
ranges, cgroups, loop-mounted disks, rootless engines, the course's Alpine loaded).
Then one learner, as her own Unix user with the ``docker`` CLI on her own engine, tries
what a shared root engine would let her do: a privileged container with the host's
``/`` bound, the other learner's home, socket, containers and images, a prune, a
memory hog, a full disk, a fork bomb. Each attempt fails or stays inside her budget,
and the other learner's engine and work are untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from docker.utils import parse_bytes
from host_state import IP_FORWARD, ip_forward_off

import dockerlab as dl
from dockerlab.classroom import learners as classroom

#: Where the test's class lives: not under pytest's tmp folder (0700: the learners run the
#: class's scripts from it) nor under /tmp or /var/tmp (each learner's server gets its own).
CLASS_PARENT = "/srv"
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/dev/loop-control").exists() or not shutil.which("useradd"),
    reason="the classroom is set up by root, with loop devices and useradd",
)
ALICE, BOB = "class-alice", "class-bob"
#: The engine itself counts: dockerd, containerd and rootlesskit are about 100 threads.
BUDGET = {"memory": "512m", "pids": 400, "disk": "1g", "home": "256m"}


def _cli(*args: str, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dockerlab", "classroom", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


@pytest.fixture(scope="module")
def room(engine, bases):
    """The class, set up by the command; torn down by it afterwards."""
    os.makedirs(CLASS_PARENT, exist_ok=True)
    folder = tempfile.mkdtemp(prefix="dockerlab-class-test-", dir=CLASS_PARENT)
    os.chmod(folder, 0o755)
    env = {**os.environ, "DOCKERLAB_CLASSROOM": folder}
    with ip_forward_off():  # as on a fresh machine, where a rootless dockerd once failed
        made = _cli("setup", ALICE, BOB, "--images", "alpine", "--no-hub",
                    *(f"--{k}={v}" for k, v in BUDGET.items()), env=env)  # fmt: skip
        forwarding = IP_FORWARD.read_text().strip()
    try:
        assert made.returncode == 0, made.stdout + made.stderr
        assert "1.2 GiB per learner" in made.stdout and "GiB free" in made.stdout  # the numbers
        assert forwarding == "0", "the learners' engines switched on the host's IP forwarding"
        os.environ["DOCKERLAB_CLASSROOM"] = env["DOCKERLAB_CLASSROOM"]
        classroom.HOME = Path(env["DOCKERLAB_CLASSROOM"])
        yield classroom.Class.load(), env
    finally:
        gone = _cli("teardown", env=env)
        os.environ.pop("DOCKERLAB_CLASSROOM", None)
        classroom.HOME = Path("/srv/dockerlab-class")
        assert gone.returncode == 0, gone.stdout + gone.stderr


def as_learner(learner, script: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``sh -c script`` as the learner's Unix user, with DOCKER_HOST on their own engine."""
    cmd = classroom._as(learner, f"DOCKER_HOST={learner.docker_host}", "sh", "-c", script)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def test_each_learner_is_a_user_with_a_rootless_engine_of_their_own(room):
    state, env = room
    alice, bob = state.learner(ALICE), state.learner(BOB)
    assert oct(os.stat(alice.home).st_mode & 0o777) == "0o700"
    for learner in (alice, bob):
        info = as_learner(learner, "docker info --format '{{json .SecurityOptions}}'")
        assert "rootless" in info.stdout, info.stderr
        images = as_learner(learner, "docker images --format '{{.Repository}}:{{.Tag}}'")
        assert dl.ref("alpine") in images.stdout.split()
    shown = _cli("status", env=env)
    assert shown.returncode == 0 and ALICE in shown.stdout and BOB in shown.stdout
    assert shown.stdout.count("running") == 2, shown.stdout


def test_a_privileged_container_with_the_hosts_root_cannot_read_or_change_the_host(room):
    state, _ = room
    alice = state.learner(ALICE)
    probe = Path("/etc/dockerlab-class-probe")
    run = f"docker run --rm --privileged --network none -v /:/host {dl.ref('alpine')} sh -c"
    shadow = as_learner(alice, f"{run} 'cat /host/etc/shadow'")
    assert shadow.returncode != 0 and "Permission denied" in shadow.stderr + shadow.stdout
    root_home = as_learner(alice, f"{run} 'ls /host/root'")
    assert root_home.returncode != 0
    as_learner(alice, f"{run} 'touch /host{probe}; echo pwned > /host/etc/hostname'")
    assert not probe.exists()
    assert "pwned" not in Path("/etc/hostname").read_text()


def test_one_learner_cannot_reach_the_others_home_socket_or_work(room):
    state, _ = room
    alice, bob = state.learner(ALICE), state.learner(BOB)
    kept = as_learner(bob, f"docker run -d --name bobs-work --network none {dl.ref('alpine')} "
                           "sleep 600")  # fmt: skip
    assert kept.returncode == 0, kept.stderr
    try:
        assert as_learner(alice, f"ls {bob.home}").returncode != 0
        assert as_learner(alice, f"cat {bob.home}/.bashrc").returncode != 0
        theirs = as_learner(alice, f"DOCKER_HOST={bob.docker_host} docker ps -a")
        assert theirs.returncode != 0 and "permission denied" in theirs.stderr.lower()
        mine = as_learner(alice, "docker ps -a --format '{{.Names}}'")
        assert "bobs-work" not in mine.stdout
        gone = as_learner(alice, "docker rm -f bobs-work")  # her engine has no such container
        assert "No such container" in gone.stderr
        assert as_learner(alice, "docker system prune -af").returncode == 0  # her own engine
        still = as_learner(bob, "docker ps --format '{{.Names}}'; docker images -q | wc -l")
        assert "bobs-work" in still.stdout and int(still.stdout.split()[-1]) >= 1
    finally:
        as_learner(bob, "docker rm -f bobs-work")
        classroom._load_images(alice, classroom.HOME / "course-images.tar")  # she pruned hers


def test_a_memory_hog_and_a_full_disk_stay_in_the_learners_budget(room):
    state, _ = room
    alice, bob = state.learner(ALICE), state.learner(BOB)
    image = dl.ref("alpine")
    hog = as_learner(alice, f"docker run --rm --network none {image} sh -c "
                            "'head -c 943718400 /dev/zero | tail > /dev/null'")  # fmt: skip
    assert hog.returncode != 0  # killed inside her 512 MB, not the machine's memory
    free_before = shutil.disk_usage("/").free
    fill = as_learner(alice, f"docker run --rm --network none {image} sh -c "
                             "'dd if=/dev/zero of=/fill bs=1M count=2000'")  # fmt: skip
    assert fill.returncode != 0 and "No space left" in fill.stderr + fill.stdout
    # Her engine's disk is a file of 1 GB, allocated when the class was set up: the machine
    # lost less than that (other work on the machine goes on meanwhile), however much she wrote.
    image_file = classroom.HOME / "disks" / f"{ALICE}.ext4"
    assert image_file.stat().st_size == parse_bytes(BUDGET["disk"])
    assert image_file.stat().st_blocks * 512 >= parse_bytes(BUDGET["disk"])  # every byte
    assert free_before - shutil.disk_usage("/").free < parse_bytes(BUDGET["disk"])
    assert "rootless" in as_learner(bob, "docker info --format '{{json .SecurityOptions}}'").stdout


def test_her_home_and_run_folder_fill_up_at_their_size_not_the_machines(room):
    state, _ = room
    alice, bob = state.learner(ALICE), state.learner(BOB)
    home, size = Path(alice.home), parse_bytes(BUDGET["home"])
    assert os.path.ismount(home) and shutil.disk_usage(home).total <= size
    assert Path(home, ".bashrc").exists()  # what useradd put there moved onto her disk
    image = classroom.HOME / "disks" / f"{ALICE}.home.ext4"
    assert image.stat().st_blocks * 512 >= size  # allocated up front
    free_before = shutil.disk_usage("/").free
    fill = as_learner(alice, "dd if=/dev/zero of=$HOME/fill bs=1M count=2000; "
                             "dd if=/dev/zero of=$XDG_RUNTIME_DIR/fill bs=1M count=2000; "
                             "rm -f $HOME/fill $XDG_RUNTIME_DIR/fill")  # fmt: skip
    assert fill.stderr.count("No space left") == 2, fill.stderr
    assert free_before - shutil.disk_usage("/").free < size  # less than her home's size
    assert "rootless" in as_learner(bob, "docker info --format '{{json .SecurityOptions}}'").stdout


def test_her_engines_containers_see_none_of_the_other_learners_processes(room):
    state, _ = room
    alice = state.learner(ALICE)
    bobs = str(state.engines[BOB])  # bob's rootlesskit, on the machine's /proc
    assert Path("/proc", bobs).exists()
    image = dl.ref("alpine")
    host_pids = as_learner(alice, f"docker run --rm --network none --pid=host {image} "
                                  "ls /proc")  # fmt: skip
    bound = as_learner(alice, f"docker run --rm --network none -v /proc:/hostproc {image} "
                              "ls /hostproc")  # fmt: skip
    assert bound.returncode == 0, bound.stderr
    for seen in (host_pids, bound):
        pids = {x for x in seen.stdout.split() if x.isdigit()}
        assert bobs not in pids, f"alice's container sees bob's engine: {seen.stdout}"
        assert str(os.getpid()) not in pids  # nor root's processes (this test)
    assert [x for x in bound.stdout.split() if x.isdigit()], bound.stdout  # it lists her own


def test_the_doctor_says_the_engine_enforces_no_limits_and_what_bounds_the_learner(room):
    import docker

    from dockerlab.classroom.checkup import WARN, _limits_check

    state, _ = room
    alice = state.learner(ALICE)
    info = docker.DockerClient(base_url=alice.docker_host, timeout=30).info()
    check = _limits_check(info)
    if info.get("CgroupVersion") == "2" and info.get("CgroupDriver") != "none":
        pytest.skip("this rootless engine has cgroups (v2 with delegation): it enforces limits")
    assert check.status == WARN and "enforces no per-container limits" in check.detail
    # Inside her budget (her kernel's place), the doctor reads the budget that bounds her.
    procs = " ".join(str(g / "cgroup.procs") for g in classroom.cgroups(ALICE))
    code = "import json; from dockerlab.classroom.checkup import own_budget; print(json.dumps(own_budget()))"
    inside = subprocess.run(["sh", "-c", f'for f in {procs}; do echo $$ > "$f"; done; exec "$@"',
                             "sh", sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert inside.returncode == 0, inside.stderr
    budget = json.loads(inside.stdout)
    assert budget["processes"] == str(BUDGET["pids"]) and budget["memory"] == "0.5 GiB"


def test_a_fork_bomb_stops_at_the_learners_process_budget(room):  # last: it jams her engine
    state, _ = room
    alice, bob = state.learner(ALICE), state.learner(BOB)
    bomb = as_learner(alice, f"docker run -d --name bomb --network none {dl.ref('alpine')} "
                             "sh -c 'b() { b | b & }; b; sleep 60'")  # fmt: skip
    assert bomb.returncode == 0, bomb.stderr
    time.sleep(10)
    pids = [g / "pids.current" for g in classroom.cgroups(ALICE) if (g / "pids.current").exists()]
    assert pids and all(int(p.read_text()) <= BUDGET["pids"] for p in pids)
    refused = [g / "pids.events" for g in classroom.cgroups(ALICE) if (g / "pids.events").exists()]
    assert all(int(e.read_text().split()[-1]) > 0 for e in refused)  # forks refused at the limit
    with open("/proc/loadavg") as f:
        assert int(f.read().split()[3].split("/")[1]) < 30000  # the machine has processes left
    assert "rootless" in as_learner(bob, "docker info --format '{{json .SecurityOptions}}'").stdout
