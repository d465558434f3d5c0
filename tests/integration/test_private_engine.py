"""The engine finder: with-engine hands its command an engine that answers."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from spare_engine import skip_unless_private_engines

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


def _dockerd_of(cache: Path) -> list[int]:
    """Pids of dockerd processes using ``cache`` as their data folder."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[0].endswith(b"dockerd") and str(cache).encode() in b" ".join(argv):
            found.append(int(proc.name))
    return found


@pytest.mark.parametrize("moment", ["while the engine starts", "while the command runs"])
def test_with_engine_stops_the_engine_it_started_when_terminated(tmp_path, monkeypatch, moment):
    """`timeout make test`, a CI limit or `kill` must not leave a private engine running."""
    skip_unless_private_engines()
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    env["DOCKERLAB_CACHE"] = str(tmp_path)
    monkeypatch.setenv("DOCKERLAB_CACHE", str(tmp_path))
    status = [sys.executable, "-m", "dockerlab", "engine", "status"]
    proc = subprocess.Popen([sys.executable, "-m", "dockerlab", "with-engine", "--", "sleep", "300"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (
            _dockerd_of(tmp_path)
            if moment == "while the engine starts"
            else subprocess.run(status, env=env, capture_output=True, text=True).stdout.strip()
            == "running"
        ):
            assert proc.poll() is None and time.monotonic() < deadline, "the engine did not start"
            time.sleep(0.02)
        group = private_engine.pids_cgroup()
        if moment == "while the command runs" and group.is_dir():
            (group / "buildkit").mkdir()  # as the engine's BuildKit makes at its first build
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 143
        assert _dockerd_of(tmp_path) == []
        assert not private_engine.run_dir().exists()
        assert not group.exists()  # nor its cgroups
    finally:
        if proc.poll() is None:
            proc.kill()
        subprocess.run([sys.executable, "-m", "dockerlab", "engine", "stop"], env=env,
                       capture_output=True, timeout=120)  # fmt: skip
