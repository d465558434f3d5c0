"""The engine finder: with-engine hands its command an engine that answers."""

import os
import subprocess
import sys

import pytest

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


def test_private_engine_starts_answers_and_stops(tmp_path):
    """A second private engine in its own folder: up, answering, then really gone."""
    if private_engine.system_engine_host() or os.geteuid() != 0:
        pytest.skip("the private engine is only used on Linux as root with no engine of your own")
    code = (
        "from dockerlab import private_engine as p\n"
        "host = p.start()\n"
        "import docker; print(docker.DockerClient(base_url=host).version()['ApiVersion'])\n"
        "print(p.stop())\n"
        "print(p.is_running())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    env["DOCKERLAB_CACHE"] = str(tmp_path / "c")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=180)  # fmt: skip
    assert p.returncode == 0, p.stderr
    api, stopped, running = p.stdout.split()
    assert api >= "1.41" and stopped == "True" and running == "False"
