"""How the kit finds the engine: the docker CLI's order, then the well-known sockets.

Each case writes real docker context files (``meta.json`` where ``docker context create``
writes it) into a temporary ``DOCKER_CONFIG`` or ``~/.docker``, and listens on real unix
sockets in a temporary HOME with a tiny HTTP server that answers what the docker SDK asks
when it connects (``GET /version`` for ``version="auto"``, then ``GET /v1.NN/_ping``).
This is not a fake engine: nothing here stands in for what an engine does with images or
containers; it tests *discovery*, against sockets that really answer the ping (or really
do not), which is all discovery asks of them. ``/var/run``, ``/run/user`` and
``/run/podman`` cannot be written without root, so the system-wide places are looked for
under ``discovery.SYSTEM_ROOT``, pointed at a temporary folder here.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socket
import socketserver
import tempfile
import threading
import time
from pathlib import Path

import docker.context.config
import docker.tls
import pytest

from dockerlab.core import discovery
from dockerlab.errors import EngineContextMissing, EngineNotRunning

API = "1.45"


class _Answer(http.server.BaseHTTPRequestHandler):
    """What the docker SDK asks on connecting: the version, then a ping."""

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path.endswith("/_ping"):
            body, kind = b"OK", "text/plain; charset=utf-8"
        elif path.endswith("/version"):
            body = json.dumps({"ApiVersion": API, "MinAPIVersion": "1.24", "Version": "28.5.2"})
            body, kind = body.encode(), "application/json"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Api-Version", API)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # quiet
        pass

    def address_string(self) -> str:  # a unix socket's peer has no address
        return "unix"


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class Listening:
    """A unix socket at ``path`` that answers the docker SDK's version and ping."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.server = _Server(str(path), _Answer)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def machine(monkeypatch):
    """A temporary HOME, XDG_RUNTIME_DIR, system root and kit cache; no DOCKER_* set.

    Kept short (``/tmp/dlXXXX``): a unix socket's path may hold about 100 bytes.
    """
    base = Path(tempfile.mkdtemp(prefix="dl", dir="/tmp"))
    home, run, root = base / "h", base / "r", base / "s"
    for d in (home, run, root):
        d.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    monkeypatch.setenv("DOCKERLAB_CACHE", str(base / "cache"))  # not this machine's kit engine
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(discovery, "SYSTEM_ROOT", root)
    servers: list[Listening] = []

    class Machine:
        def __init__(self) -> None:
            self.home, self.run, self.root = home, run, root

        def listen(self, path: Path) -> str:
            servers.append(Listening(path))
            return f"unix://{path}"

        def dead(self, path: Path) -> str:
            """A socket file nothing answers on (bound, never listening)."""
            path.parent.mkdir(parents=True, exist_ok=True)
            s = socket.socket(socket.AF_UNIX)
            s.bind(str(path))
            s.close()
            return f"unix://{path}"

        def context(self, name: str, host: str, config: Path | None = None) -> Path:
            """Write the context as ``docker context create NAME --docker host=HOST`` does."""
            folder = config or home / ".docker"
            meta = folder / "contexts/meta" / docker.context.config.get_context_id(name)
            meta.mkdir(parents=True)
            endpoints = {"docker": {"Host": host, "SkipTLSVerify": False}}
            data = {"Name": name, "Metadata": {}, "Endpoints": endpoints}
            (meta / "meta.json").write_text(json.dumps(data))
            return meta

        def use(self, name: str, config: Path | None = None) -> None:
            """``docker context use NAME``: ``currentContext`` in ``config.json``."""
            folder = config or home / ".docker"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "config.json").write_text(json.dumps({"auths": {}, "currentContext": name}))

    yield Machine()
    for s in servers:
        s.close()
    shutil.rmtree(base, ignore_errors=True)


def test_docker_host_wins_over_every_context(machine, monkeypatch):
    a = machine.listen(machine.home / "a.sock")
    machine.context("b", machine.listen(machine.home / "b.sock"))
    machine.use("b")
    monkeypatch.setenv("DOCKER_CONTEXT", "b")
    monkeypatch.setenv("DOCKER_HOST", a)
    found = discovery.find()
    assert (found.host, found.how, found.context) == (a, "DOCKER_HOST", None)
    assert found.environment() == {"DOCKER_HOST": a}


def test_docker_host_is_used_alone(machine, monkeypatch):
    machine.listen(machine.root / "var/run/docker.sock")  # would answer, but is not asked
    monkeypatch.setenv("DOCKER_HOST", f"unix://{machine.home}/nothing.sock")
    with pytest.raises(EngineNotRunning) as e:
        discovery.find()
    assert "1. DOCKER_HOST" in str(e.value) and "2." not in str(e.value)


def test_docker_context_wins_over_config_json(machine, monkeypatch):
    a = machine.listen(machine.home / "a.sock")
    machine.context("a", a)
    machine.context("b", machine.listen(machine.home / "b.sock"))
    machine.use("b")
    monkeypatch.setenv("DOCKER_CONTEXT", "a")
    found = discovery.find()
    assert (found.host, found.how, found.context) == (a, "DOCKER_CONTEXT=a", "a")
    assert found.environment() == {"DOCKER_CONTEXT": "a"}


def test_docker_context_is_used_alone(machine, monkeypatch):
    machine.context("gone", f"unix://{machine.home}/gone.sock")
    machine.listen(machine.root / "var/run/docker.sock")  # would answer, but is not asked
    monkeypatch.setenv("DOCKER_CONTEXT", "gone")
    with pytest.raises(EngineNotRunning) as e:
        discovery.find()
    assert "1. DOCKER_CONTEXT=gone" in str(e.value) and "2." not in str(e.value)


def test_docker_context_in_docker_config_without_config_json(machine, monkeypatch):
    """The docker CLI reads $DOCKER_CONFIG/contexts even with no config.json there."""
    config = machine.home / "elsewhere"
    a = machine.listen(machine.home / "a.sock")
    machine.context("a", a, config=config)
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    monkeypatch.setenv("DOCKER_CONTEXT", "a")
    assert discovery.find().host == a


def test_the_current_context(machine):
    b = machine.listen(machine.home / ".colima/default/docker.sock")
    machine.context("colima", b)
    machine.use("colima")
    found = discovery.find()
    assert found.host == b
    assert found.how == "current context colima in ~/.docker/config.json"


def test_the_current_context_of_docker_config(machine, monkeypatch):
    config = machine.home / "cfg"
    b = machine.listen(machine.home / "b.sock")
    machine.context("b", b, config=config)
    machine.use("b", config=config)
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    assert discovery.find().how == "current context b in ~/cfg/config.json"


def test_a_current_context_that_does_not_answer_falls_through(machine):
    machine.context("desktop-linux", machine.dead(machine.home / ".docker/desktop/docker.sock"))
    machine.use("desktop-linux")
    default = machine.listen(machine.root / "var/run/docker.sock")
    found = discovery.find()
    assert found.host == default and found.how.startswith("the default socket")


@pytest.mark.parametrize("how", ["DOCKER_CONTEXT", "currentContext"])
def test_a_missing_named_context_is_an_error(machine, monkeypatch, how):
    machine.listen(machine.root / "var/run/docker.sock")  # no silent fallback to it
    if how == "DOCKER_CONTEXT":
        monkeypatch.setenv("DOCKER_CONTEXT", "nope")
    else:
        machine.use("nope")
    with pytest.raises(EngineContextMissing, match="'nope'"):
        discovery.find()


@pytest.mark.parametrize("how", ["DOCKER_CONTEXT", "currentContext"])
def test_the_default_context_is_the_default_socket(machine, monkeypatch, how):
    default = machine.listen(machine.root / "var/run/docker.sock")
    if how == "DOCKER_CONTEXT":
        monkeypatch.setenv("DOCKER_CONTEXT", "default")
    else:
        machine.use("default")
    found = discovery.find()
    assert found.host == default and found.context is None


def test_nothing_set_the_default_socket_first(machine):
    default = machine.listen(machine.root / "var/run/docker.sock")
    machine.listen(machine.home / ".docker/run/docker.sock")
    assert discovery.find().host == default


#: Each well-known socket: where (under HOME, XDG_RUNTIME_DIR or the system root) and how
#: the kit names it.
WELL_KNOWN = [
    ("home", ".docker/run/docker.sock", "Docker Desktop's socket"),
    ("home", ".docker/desktop/docker.sock", "Docker Desktop's socket"),
    ("run", "docker.sock", "rootless Docker's socket"),
    ("home", ".colima/default/docker.sock", "Colima's socket"),
    ("home", ".colima/docker.sock", "Colima's socket"),
    ("home", ".rd/docker.sock", "Rancher Desktop's socket"),
    ("home", ".orbstack/run/docker.sock", "OrbStack's socket"),
    ("run", "podman/podman.sock", "Podman's socket"),
    ("home", ".local/share/containers/podman/machine/podman.sock", "Podman's socket"),
    ("home", ".local/share/containers/podman/machine/m1/podman.sock", "Podman's socket"),
    ("root", "run/podman/podman.sock", "Podman's socket"),
]


@pytest.mark.parametrize(("under", "where", "how"), WELL_KNOWN, ids=[w for _, w, _ in WELL_KNOWN])
def test_each_well_known_socket_is_found_when_only_it_answers(machine, under, where, how):
    host = machine.listen(getattr(machine, under) / where)
    found = discovery.find()
    assert found.host == host and found.how.startswith(how)
    assert found.environment() == {"DOCKER_HOST": host}


def test_rootless_without_xdg_runtime_dir_is_run_user_uid(machine, monkeypatch):
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    host = machine.listen(machine.root / f"run/user/{os.getuid()}/docker.sock")
    assert discovery.find().how.startswith("rootless Docker's socket")
    assert discovery.find().host == host


def test_a_socket_that_does_not_answer_is_skipped(machine):
    machine.dead(machine.home / ".docker/run/docker.sock")
    colima = machine.listen(machine.home / ".colima/default/docker.sock")
    assert discovery.find().host == colima


def test_a_socket_that_does_not_answer_is_listed_as_tried(machine):
    machine.dead(machine.home / ".docker/run/docker.sock")
    with pytest.raises(EngineNotRunning) as e:
        discovery.find(kit=False)
    assert "Docker Desktop's socket ~/.docker/run/docker.sock: does not answer" in str(e.value)


def test_nothing_answers_the_error_lists_every_place_tried(machine):
    machine.dead(machine.home / ".docker/desktop/docker.sock")
    machine.context("colima", f"unix://{machine.home}/.colima/default/docker.sock")
    machine.use("colima")
    places = discovery.places()
    with pytest.raises(EngineNotRunning) as e:
        discovery.find()
    text = str(e.value)
    assert places[0].how == "current context colima in ~/.docker/config.json"
    assert places[-1].how == "the kit's own engine"
    for n, place in enumerate(places, 1):
        assert f"\n  {n}. {place.how}" in text
    assert "~/.docker/desktop/docker.sock: does not answer" in text
    assert "~/.rd/docker.sock: no socket" in text
    assert e.value.hint == discovery.what_to_do()


def test_what_to_do_per_platform():
    assert "Docker Desktop" in discovery.what_to_do("darwin")
    assert "colima start" in discovery.what_to_do("win32")
    linux = discovery.what_to_do("linux")
    assert "sudo systemctl start docker" in linux and "systemctl --user start docker" in linux
    assert "make lab" in linux


def test_a_context_over_tls_carries_its_material(machine):
    meta = machine.context("remote", "tcp://build.example:2376")
    tls = machine.home / ".docker/contexts/tls" / meta.name / "docker"
    tls.mkdir(parents=True)
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tls / name).write_text("-----BEGIN-----\n")
    found = discovery.load_context("remote", "DOCKER_CONTEXT=remote")
    assert found is not None and found.host == "tcp://build.example:2376"
    assert isinstance(found.tls, docker.tls.TLSConfig)
    assert found.tls.cert == (str(tls / "cert.pem"), str(tls / "key.pem"))
    assert found.tls.ca_cert == str(tls / "ca.pem") and found.tls.verify


class _SigtermOnPing(_Answer):
    """Answers as an engine does, but SIGTERMs the test's process when asked for a ping:
    the moment `with-engine` is in, waiting for its engine to start, when CI's limit or
    `kill` ends it."""

    def do_GET(self) -> None:
        if self.path.split("?")[0].endswith("/_ping"):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the answer comes late: the ping is waiting when the signal lands
        super().do_GET()


def test_sigterm_while_pinging_a_starting_engine_is_not_swallowed(machine, monkeypatch):
    # with-engine turns SIGTERM into private._Terminated; ping() catches Exception (an engine
    # that does not answer yet), so a _Terminated that were an Exception would be lost there,
    # and with-engine went on to run its command (seen in CI: `sleep 300` ran after SIGTERM).
    from dockerlab.engines import private

    path = machine.root / "sigterm.sock"
    path.parent.mkdir(parents=True, exist_ok=True)
    server = _Server(str(path), _SigtermOnPing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    previous = signal.signal(signal.SIGTERM, private._terminated)
    try:
        with pytest.raises(private._Terminated):
            discovery.ping(f"unix://{path}", timeout=10)
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.shutdown()
        server.server_close()
