"""The engine finder: with-engine hands its command an engine that answers."""

import os
import subprocess
import sys
from pathlib import Path

import docker
import pytest

import dockerlab as dl
from dockerlab import private_engine


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
    assert len(str(private_engine.socket_path())) < 100
    monkeypatch.setenv("DOCKERLAB_CACHE", str(tmp_path / ("deep" * 30)))
    deep = private_engine.socket_path()
    assert len(str(deep)) < 100  # however deep the cache folder is
    monkeypatch.setenv("DOCKERLAB_CACHE", str(tmp_path / "other"))
    assert private_engine.socket_path() != deep  # one engine per cache folder


def test_engine_status_command(engine):
    p = subprocess.run([sys.executable, "-m", "dockerlab", "engine", "status"],
                       capture_output=True, text=True, timeout=60, env=dict(os.environ))  # fmt: skip
    assert p.stdout.strip() in ("running", "not running")


@pytest.fixture(scope="module")
def spare_engine(tmp_path_factory):
    """A second private engine in its own folder, with the catalog's alpine loaded into it."""
    if private_engine.system_engine_host() or os.geteuid() != 0:
        pytest.skip("the private engine is only used on Linux as root with no engine of your own")
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    env["DOCKERLAB_CACHE"] = str(tmp_path_factory.mktemp("spare"))
    start = "from dockerlab import private_engine as p; print(p.start())"
    p = subprocess.run([sys.executable, "-c", start], capture_output=True, text=True, env=env,
                       timeout=180)  # fmt: skip
    assert p.returncode == 0, p.stderr
    host = p.stdout.strip()
    spare = docker.DockerClient(base_url=host)
    stop = "from dockerlab import private_engine as p; print(p.stop(), p.is_running())"
    try:
        spare.images.load(b"".join(dl.client().images.get(dl.ref("alpine")).save()))
        yield host, env
    finally:  # stop it even when loading failed: never leave an engine running
        spare.close()
        p = subprocess.run([sys.executable, "-c", stop], capture_output=True, text=True, env=env,
                           timeout=120)  # fmt: skip
    assert p.stdout.split() == ["True", "False"], p.stderr


def test_private_engine_answers_on_its_own_socket(spare_engine):
    host, _ = spare_engine
    assert host != dl.engine.host()
    assert docker.DockerClient(base_url=host).version()["ApiVersion"] >= "1.41"


def test_a_fork_bomb_in_a_build_stays_inside_the_engines_pid_budget(spare_engine):
    """No per-build pids limit exists in the build API: the engine's cgroup holds them all."""
    host, env = spare_engine
    code = (
        "import dockerlab as dl\n"
        "df = 'FROM alpine:3.23\\nRUN bomb() { bomb | bomb & }; bomb; sleep 60\\n'\n"
        "try:\n"
        "    dl.build(df, timeout=15, progress=False)\n"
        "except dl.DockerlabError as e:\n"
        "    print(type(e).__name__)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**env, "DOCKER_HOST": host}, timeout=180)  # fmt: skip
    assert p.stdout.strip() in ("BuildTimeout", "BuildFailed"), p.stderr
    group = Path("/sys/fs/cgroup/pids") / private_engine.CGROUP_PARENT
    if group.is_dir():
        assert int((group / "pids.max").read_text()) == private_engine.ENGINE_PIDS_MAX
    with open("/proc/loadavg") as f:  # the host still has process slots to spare
        total = f.read().split()[3].split("/")[1]
    assert int(total) < 30_000
