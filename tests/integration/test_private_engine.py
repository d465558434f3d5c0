"""The engine finder: with-engine hands its command an engine that answers."""

import os
import subprocess
import sys

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
    monkeypatch.setenv("DOCKERLAB_CACHE", str(tmp_path))
    assert private_engine.socket_path() == tmp_path / "engine" / "docker.sock"


def test_engine_status_command(engine):
    p = subprocess.run([sys.executable, "-m", "dockerlab", "engine", "status"],
                       capture_output=True, text=True, timeout=60, env=dict(os.environ))  # fmt: skip
    assert p.stdout.strip() in ("running", "not running")
