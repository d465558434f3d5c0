"""The engine finder: with-engine hands its command an engine that answers; the kit's
private engine in each of its profiles (Docker Engine 28 with the containerd image store,
28 with overlay2, Debian 12's 20.10)."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from host_state import IP_FORWARD, ip_forward_off
from spare_engine import share_engine_binaries, skip_unless_private_engines, spare_engine

import dockerlab as dl
from dockerlab.core import config
from dockerlab.engines import private as private_engine
from dockerlab.errors import DockerlabError


def test_with_engine_gives_the_command_a_working_docker_host(engine):
    code = "import os, dockerlab as dl; dl.client().ping(); print(os.environ['DOCKER_HOST'])"
    p = subprocess.run(
        [sys.executable, "-m", "dockerlab", "with-engine", "--", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().startswith(("unix://", "tcp://", "npipe://", "ssh://"))


def test_a_dead_docker_host_is_not_mistaken_for_a_system_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/dead.sock")
    assert private_engine.system_engine_host() is None


def test_private_socket_path_fits_a_unix_socket(monkeypatch, tmp_path):
    for name in private_engine.PROFILES:
        assert len(str(private_engine.socket_path(name))) < 100
    monkeypatch.setenv("DOCKERLAB_CACHE", str(tmp_path / ("deep" * 30)))
    deep = private_engine.socket_path()
    for name in private_engine.PROFILES:  # however deep the cache folder is
        assert len(str(private_engine.socket_path(name))) < 100
    monkeypatch.setenv("DOCKERLAB_CACHE", str(tmp_path / "other"))
    assert private_engine.socket_path() != deep  # one engine per cache folder


def test_each_profile_has_its_own_engine_and_20_10_keeps_its_old_paths(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKERLAB_CACHE", str(tmp_path))
    old_tag = hashlib.sha256(str(tmp_path.resolve()).encode()).hexdigest()[:10]
    assert private_engine.engine_dir("20.10") == tmp_path / "engine"  # as before profiles
    assert private_engine.run_dir("20.10").name == f"dockerlab-{old_tag}"
    for kind in (private_engine.engine_dir, private_engine.run_dir):
        assert len({kind(name) for name in private_engine.PROFILES}) == len(private_engine.PROFILES)
    groups = set()
    for name in private_engine.PROFILES:
        monkeypatch.setenv("DOCKERLAB_ENGINE", name)
        assert private_engine.profile() == name
        groups.add(private_engine.cgroup_name())
    assert len(groups) == len(private_engine.PROFILES)
    monkeypatch.delenv("DOCKERLAB_ENGINE")
    assert private_engine.profile() == "28"  # the default: what learners run


def test_an_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("DOCKERLAB_ENGINE", "27")
    with pytest.raises(DockerlabError, match=r"'27'.* use 28, 28-overlay2, 20\.10"):
        private_engine.profile()
    with pytest.raises(DockerlabError, match="not an engine profile"):
        private_engine.start()
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    p = subprocess.run([sys.executable, "-m", "dockerlab", "engine", "start"], env=env,
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    assert p.returncode == 2 and p.stdout == ""
    assert "DOCKERLAB_ENGINE='27' is not an engine profile" in p.stderr


# What `apt-cache madison docker.io containerd docker-cli docker-buildx` printed on
# Debian unstable's index (the private apt configuration), 2026-12-01.
MADISON = """\
 docker.io | 28.5.2+dfsg4-5 | http://deb.debian.org/debian sid/main amd64 Packages
containerd | 2.1.9+ds1-5 | http://deb.debian.org/debian sid/main amd64 Packages
docker-cli | 28.5.2+dfsg4-5 | http://deb.debian.org/debian sid/main amd64 Packages
docker-buildx | 0.29.1+ds1-4 | http://deb.debian.org/debian sid/main amd64 Packages
"""


def test_the_tested_versions_are_used_while_debian_serves_them():
    assert private_engine.choose_versions(MADISON) == (private_engine.ENGINE_28_PACKAGES, [])


def test_a_version_debian_no_longer_serves_falls_back_to_the_newest_and_says_so():
    later = MADISON.replace("28.5.2+dfsg4-5", "28.5.3+dfsg1-1").replace(
        "containerd | 2.1.9+ds1-5 |",  # a newer one beside the tested one: the tested stays
        "containerd | 2.2.0+ds1-1 | http://deb.debian.org/debian sid/main amd64 Packages\n"
        "containerd | 2.1.9+ds1-5 |",
    )
    later += " docker.io | 28.6.0+dfsg1-1 | http://deb.debian.org/debian sid/main Sources\n"
    chosen, notes = private_engine.choose_versions(later)
    assert chosen == {"docker.io": "28.5.3+dfsg1-1", "containerd": "2.1.9+ds1-5",
                      "docker-cli": "28.5.3+dfsg1-1", "docker-buildx": "0.29.1+ds1-4"}  # fmt: skip
    assert len(notes) == 2
    assert "docker.io 28.5.2+dfsg4-5, the version the kit was tested with" in notes[0]
    assert "using 28.5.3+dfsg1-1, the newest it serves" in notes[0]
    with pytest.raises(DockerlabError, match="serves no package 'docker-buildx'"):
        private_engine.choose_versions(MADISON.replace("docker-buildx", "docker-compose"))


def test_upstream_version():
    assert private_engine.upstream_version("28.5.2+dfsg4-5") == "28.5.2"
    assert private_engine.upstream_version("1:2.1.9~rc1-5") == "2.1.9"
    assert private_engine.upstream_version("26.1.5-1") == "26.1.5"


def test_a_half_finished_download_is_not_taken_for_a_finished_one(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKERLAB_CACHE", str(tmp_path))
    version = private_engine.ENGINE_28_PACKAGES["docker.io"]
    for folder in (f".docker-{version}.partial", f"docker-{version}"):
        (tmp_path / folder / "root/usr/sbin").mkdir(parents=True)
        (tmp_path / folder / "root/usr/sbin/dockerd").write_bytes(b"")
    assert private_engine.engine28_root() is None  # no versions.json: never renamed into place
    assert config.kit_buildx() is None and config.kit_docker_cli() is None


def test_engine_status_command(engine):
    p = subprocess.run([sys.executable, "-m", "dockerlab", "engine", "status"],
                       capture_output=True, text=True, timeout=60, env=dict(os.environ))  # fmt: skip
    name = private_engine.profile()
    assert p.stdout.startswith(
        (f"running: profile {name}, Docker Engine ", f"not running (profile {name}: ")
    )


def test_private_engine_answers_on_its_own_socket(spare):
    assert spare.host != dl.engine.host()
    assert spare.client().version()["ApiVersion"] >= "1.41"


def test_a_fork_bomb_in_a_build_stays_inside_the_engines_pid_budget(spare, bases, monkeypatch):
    """No per-build pids limit exists in the build API: the engine's cgroup holds them all.

    Each private engine has a cgroup of its own: while the spare engine's bomb
    fills its budget, the run's engine still starts containers.
    """
    code = (
        "import dockerlab as dl\n"
        "df = 'FROM alpine:3.23\\nRUN bomb() { bomb | bomb & }; bomb; sleep 60\\n'\n"
        "try:\n"
        "    dl.build(df, timeout=20, progress=False)\n"
        "except dl.DockerlabError as e:\n"
        "    print(type(e).__name__)\n"
    )
    with monkeypatch.context() as m:
        m.setenv("DOCKERLAB_CACHE", str(spare.folder))
        group = private_engine.pids_cgroup()
    assert group != private_engine.pids_cgroup()  # not the run's engine's
    bomb = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=spare.env)  # fmt: skip
    try:
        if group.is_dir():
            deadline = time.monotonic() + 60
            while int((group / "pids.current").read_text()) < private_engine.ENGINE_PIDS_MAX - 64:
                assert bomb.poll() is None and time.monotonic() < deadline, "no bomb seen"
                time.sleep(0.1)
            assert int((group / "pids.max").read_text()) == private_engine.ENGINE_PIDS_MAX
            assert dl.run(bases["alpine"], "echo still here").output == "still here\n"
        out, err = bomb.communicate(timeout=180)
    finally:
        bomb.kill()
    assert out.strip() in ("BuildTimeout", "BuildFailed"), err
    with open("/proc/loadavg") as f:  # the host still has process slots to spare
        total = f.read().split()[3].split("/")[1]
    assert int(total) < 30_000


@pytest.mark.parametrize("moment", ["while the engine starts", "while the command runs"])
def test_with_engine_stops_the_engine_it_started_when_terminated(tmp_path, monkeypatch, moment):
    """`timeout make test`, a CI limit or `kill` must not leave a private engine running."""
    skip_unless_private_engines()
    share_engine_binaries(tmp_path, private_engine.profile())  # no download of its own
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    env["DOCKERLAB_CACHE"] = str(tmp_path)
    monkeypatch.setenv("DOCKERLAB_CACHE", str(tmp_path))
    status = [sys.executable, "-m", "dockerlab", "engine", "status"]
    proc = subprocess.Popen([sys.executable, "-m", "dockerlab", "with-engine", "--", "sleep", "300"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (
            private_engine.engine_processes()  # dockerd or its containerd is up
            if moment == "while the engine starts"
            else subprocess.run(status, env=env, capture_output=True, text=True).stdout.startswith(
                "running:"
            )
        ):
            assert proc.poll() is None and time.monotonic() < deadline, "the engine did not start"
            time.sleep(0.02)
        group = private_engine.pids_cgroup()
        if moment == "while the command runs" and group.is_dir():
            (group / "buildkit").mkdir()  # as the engine's BuildKit makes at its first build
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 143
        assert not subprocess.run(
            status, env=env, capture_output=True, text=True
        ).stdout.startswith("running:")
        assert private_engine.engine_processes() == []  # no dockerd, containerd or shim left
        assert not private_engine.run_dir().exists()
        assert not group.exists()  # nor its cgroups
    finally:
        if proc.poll() is None:
            proc.kill()
        subprocess.run([sys.executable, "-m", "dockerlab", "engine", "stop"], env=env,
                       capture_output=True, timeout=120)  # fmt: skip


def _leftovers(spare) -> dict[str, list]:
    """What of ``spare``'s engine is on this machine: processes, mounts, cgroups."""
    with pytest.MonkeyPatch.context() as m:
        m.setenv("DOCKERLAB_CACHE", str(spare.folder))
        m.setenv("DOCKERLAB_ENGINE", spare.profile)
        roots = (f"{private_engine.engine_dir().resolve()}/", f"{private_engine.run_dir()}/")
        with open("/proc/self/mounts") as f:
            mounts = [p for p in (line.split()[1] for line in f) if f"{p}/".startswith(roots)]
        name, top = private_engine.cgroup_name(), Path("/sys/fs/cgroup")
        return {
            "processes": private_engine.engine_processes(),
            "mounts": mounts,
            "cgroups": [str(g) for g in (top / name, *top.glob(f"*/{name}")) if g.exists()],
        }


def _program(pid: int) -> str:
    try:
        return Path(
            (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")[0].decode()
        ).name
    except OSError:
        return ""


def test_engine_28_runs_the_containerd_image_store_and_leaves_nothing_when_stopped(tmp_path, bases):
    """The default profile: what learners run. Images come from the run's engine (save/load),
    containers run the kit's demo way, BuildKit builds with the kit's buildx; after stop no
    dockerd, containerd or shim of it runs, and no mount or cgroup of it is left."""
    with spare_engine(tmp_path / "e28", "alpine", profile="28") as spare:
        info = spare.client().info()
        assert info["ServerVersion"].startswith("28.")
        assert ["driver-type", "io.containerd.snapshotter.v1"] in info["DriverStatus"]
        code = (
            "import dockerlab as dl\n"
            "print(dl.run(dl.ref('alpine'), 'cat /etc/alpine-release', init=True).output)\n"
            "dl.start(dl.ref('alpine'), 'sleep 300', init=True)  # left running: stop ends it\n"
        )
        p = subprocess.run([sys.executable, "-c", code], env=spare.env, capture_output=True,
                           text=True, timeout=120)  # fmt: skip
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("3.23")
        with pytest.MonkeyPatch.context() as m:
            m.setenv("DOCKERLAB_CACHE", str(spare.folder))
            buildx, cli = config.kit_buildx(), config.kit_docker_cli()
        (tmp_path / "ctx").mkdir()
        (tmp_path / "ctx/Dockerfile").write_text(f"FROM {dl.ref('alpine')}\nRUN echo built > /x\n")
        built = subprocess.run([str(buildx), "build", "--load", "--network", "none", "-t",
                                "dockerlab-pe-test:1", str(tmp_path / "ctx")], env=spare.env,
                               capture_output=True, text=True, timeout=120)  # fmt: skip
        assert built.returncode == 0, built.stderr
        version = subprocess.run([str(cli), "version", "--format", "{{.Client.Version}}"],
                                 env=spare.env, capture_output=True, text=True, timeout=60)  # fmt: skip
        assert version.stdout.startswith("28.")
        running = _leftovers(spare)
        programs = {_program(pid) for pid in running["processes"]}
        assert {"dockerd", "containerd", "containerd-shim-runc-v2"} <= programs
        assert running["cgroups"] and running["mounts"]
        spare.stop()
        assert _leftovers(spare) == {"processes": [], "mounts": [], "cgroups": []}


@pytest.mark.parametrize(("profile", "version"), [("28-overlay2", "28."), ("20.10", "20.10.")])
def test_the_other_profiles_use_the_classic_overlay2_store(tmp_path, profile, version):
    """And, as every kit engine, leave the host's IP forwarding as it was (dockerd switches
    it on by default; the kit's containers have no network): off here, as on a fresh machine."""
    with ip_forward_off(), spare_engine(tmp_path / "e", profile=profile) as spare:
        info = spare.client().info()
        assert info["ServerVersion"].startswith(version)
        assert info["Driver"] == "overlay2"
        assert "driver-type" not in dict(info["DriverStatus"])
        assert IP_FORWARD.read_text().strip() == "0", "the engine switched on IP forwarding"
        spare.stop()
        assert _leftovers(spare) == {"processes": [], "mounts": [], "cgroups": []}
