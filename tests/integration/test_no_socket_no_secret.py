"""Two security defaults: no container gets the Docker socket, no real secret is printed.

The socket: a container holding the engine's socket controls the engine and the
host, so the kit refuses every way of mounting it (or a folder holding it), on
the real engine, before anything is created; a static check makes sure no other
code path creates containers with mounts. The secrets: ``tests/audit_plugin.py``
plants canaries for the whole run and searches every output for them; these
tests show the canaries are live and that the kit's own outputs hold none.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import audit_plugin
import docker
import pytest
from docker.types import Mount

import dockerlab as dl
from dockerlab.engines import private as private_engine
from dockerlab.lessons import lifecycle

ROOT = Path(__file__).resolve().parents[2]
REFUSED = "never gives a container the Docker socket"


def _socket_paths() -> list[str]:
    private = private_engine.socket_path()
    return ["/var/run/docker.sock", "/run/docker.sock", str(private), str(private.parent),
            "/", "/run", "/var/run", "/var/run/", "/var", "/var/run/../run/docker.sock"]  # fmt: skip


def _forms(source: str) -> dict[str, dict]:
    """Each way docker-py takes a bind mount of ``source``, as ``create`` options."""
    return {
        "volumes dict": {"volumes": {source: {"bind": "/mnt/x", "mode": "ro"}}},
        "volumes list": {"volumes": [f"{source}:/mnt/x:ro"]},
        "mounts": {"mounts": [Mount("/mnt/x", source, type="bind", read_only=True)]},
    }


def _assert_refused_and_nothing_made(engine, image, options: dict) -> None:
    before = {c.id for c in engine.containers.list(all=True)}
    for make in (dl.start, dl.run, dl.containers.create):
        with pytest.raises(dl.DockerlabError, match=REFUSED):
            make(image, "true", **options)
    assert {c.id for c in engine.containers.list(all=True)} == before
    assert not any(dl.leftovers(dl.labels.SESSION_ID).values())


@pytest.mark.parametrize("form", ["volumes dict", "volumes list", "mounts"])
@pytest.mark.parametrize("source", _socket_paths())
def test_the_socket_and_its_folders_are_refused(engine, bases, nothing_left, source, form):
    _assert_refused_and_nothing_made(engine, bases["alpine"], _forms(source)[form])


def test_a_named_volume_that_binds_the_sockets_folder_is_refused(engine, bases, nothing_left):
    # Made outside the kit (`docker volume create -o ...`), so it carries none of its labels.
    vol = engine.volumes.create(driver_opts={"type": "none", "o": "bind", "device": "/run"})
    try:
        _assert_refused_and_nothing_made(engine, bases["alpine"], _forms(vol.name)["volumes dict"])
    finally:
        vol.remove(force=True)


def _refused(engine, image, options: dict, match: str) -> None:
    before = {c.id for c in engine.containers.list(all=True)}
    for make in (dl.start, dl.run, dl.containers.create):
        with pytest.raises(dl.DockerlabError, match=match):
            make(image, "true", **options)
    assert {c.id for c in engine.containers.list(all=True)} == before


@pytest.mark.parametrize("option", [
    {"privileged": True}, {"volumes_from": ["other"]}, {"pid_mode": "host"},
    {"pid_mode": "container:other"}, {"ipc_mode": "host"}, {"uts_mode": "host"},
    {"userns_mode": "host"}, {"devices": ["/dev/sda:/dev/sda"]}, {"sysctls": {"kernel.x": "1"}},
])  # fmt: skip
def test_privileged_namespaces_of_others_and_devices_are_refused(
    engine, bases, nothing_left, option
):
    _refused(engine, bases["alpine"], option, "never privileged and never join")


@pytest.mark.parametrize("option", [
    {"security_opt": []}, {"cap_drop": []}, {"network_mode": "host"}, {"pids_limit": -1},
    {"mem_limit": "64g"}, {"memswap_limit": -1}, {"nano_cpus": 0}, {"cgroup_parent": "/"},
    {"log_config": {"Type": "json-file", "Config": {}}},
])  # fmt: skip
def test_no_caller_option_replaces_a_safety_default(engine, bases, nothing_left, option):
    _refused(engine, bases["alpine"], option, "the kit sets these itself")


@pytest.mark.parametrize("option", [
    {"pids": 0}, {"pids": -1}, {"pids": 100_000}, {"memory": "64g"}, {"memory": "lots"},
    {"cpus": 0}, {"cap_add": ["SYS_ADMIN"]}, {"cap_add": ["ALL"]},
])  # fmt: skip
def test_limits_must_be_limits_and_capabilities_dockers_own(engine, bases, nothing_left, option):
    _refused(engine, bases["alpine"], option, "must be limits|Docker's default set")


@pytest.mark.parametrize("source", ["/etc", "/proc", "/home", "/root", "/tmp"])
@pytest.mark.parametrize("form", ["volumes dict", "volumes list", "mounts"])
def test_no_folder_of_the_host_is_bound(engine, bases, nothing_left, source, form):
    _refused(engine, bases["alpine"], _forms(source)[form], "no folder of the host")


def test_a_named_volume_that_binds_a_host_folder_is_refused(engine, bases, nothing_left):
    vol = engine.volumes.create(driver_opts={"type": "none", "o": "bind", "device": "/etc"})
    try:
        _refused(engine, bases["alpine"], _forms(vol.name)["volumes dict"], "no folder of the host")
    finally:
        vol.remove(force=True)


def test_what_a_demo_may_ask_for_it_gets_and_the_defaults_stay(bases, nothing_left):
    with dl.start(bases["alpine"], ["sleep", "30"], cap_add=["KILL"], pids=32, memory="64m",
                  labels={"course.example": "mine"}, read_only=True) as box:  # fmt: skip
        host = box.container.attrs["HostConfig"]
        got = box.container.attrs["Config"]["Labels"]
    assert host["CapAdd"] == ["KILL"] and host["CapDrop"] == ["ALL"]
    assert host["PidsLimit"] == 32 and host["Memory"] == 64 * 2**20 and host["ReadonlyRootfs"]
    assert host["NetworkMode"] == "none" and host["SecurityOpt"] == ["no-new-privileges"]
    assert got["course.example"] == "mine" and got[dl.labels.SESSION] == dl.labels.SESSION_ID


@pytest.mark.parametrize("form", ["volumes dict", "volumes list", "mounts"])
def test_a_symlink_or_any_file_named_docker_sock_is_refused(engine, bases, nothing_left, tmp_path, form):  # fmt: skip
    (tmp_path / "link").symlink_to("/var/run")
    (tmp_path / "docker.sock").write_text("not a socket, but named like one")
    for source in (tmp_path / "link", tmp_path / "docker.sock"):
        _assert_refused_and_nothing_made(engine, bases["alpine"], _forms(str(source))[form])


def test_a_named_volume_is_allowed(bases, nothing_left):
    with lifecycle.volume() as vol:
        r = dl.run(bases["alpine"], "sh -c 'echo kept > /data/x && cat /data/x'",
                   volumes={vol.name: {"bind": "/data"}})  # fmt: skip
        assert r.ok and r.output == "kept\n"


def _container_creations(tree: ast.AST):
    """Calls ``x.containers.create(...)``, ``x.containers.run(...)``, ``x.create_container(...)``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(f := node.func, ast.Attribute):
            on_containers = isinstance(f.value, ast.Attribute) and f.value.attr == "containers"
            if f.attr == "create_container" or (on_containers and f.attr in ("create", "run")):
                yield node


def test_only_containers_py_creates_containers():
    """Every container the kit makes goes through dockerlab/core/containers.py and its checks."""
    elsewhere = [
        f"{path.relative_to(ROOT)}:{call.lineno}"
        for path in sorted((ROOT / "dockerlab").rglob("*.py"))
        if path != ROOT / "dockerlab" / "core" / "containers.py"
        for call in _container_creations(ast.parse(path.read_text(), str(path)))
    ]
    assert not elsewhere, f"containers created outside dockerlab/core/containers.py: {elsewhere}"
    inside = list(
        _container_creations(ast.parse((ROOT / "dockerlab/core/containers.py").read_text()))
    )
    assert inside, "no container creation found: is the search still looking at the right calls?"


def test_only_the_engine_modules_name_the_socket():
    allowed = {  # classroom/learners.py, kubernetes.py: where each learner's own engine listens
        ROOT / "dockerlab" / name
        for name in ("core/config.py", "core/discovery.py", "core/containers.py",
                     "classroom/learners.py", "classroom/kubernetes.py")
    }  # fmt: skip
    package = [p for p in (ROOT / "dockerlab").rglob("*") if p.is_file() and p not in allowed]
    notebooks = [*ROOT.glob("notebooks/src/*.py"), *ROOT.glob("exercises/src/*.py"),
                 *ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("exercises/**/*.ipynb")]  # fmt: skip
    assert len(notebooks) > 20
    naming = [str(p.relative_to(ROOT)) for p in package + notebooks
              if "__pycache__" not in p.parts and b"docker.sock" in p.read_bytes()]  # fmt: skip
    assert not naming


def test_the_audit_records_every_container(bases, nothing_left):
    name = f"dockerlab-audit-{uuid.uuid4().hex[:8]}"
    dl.run(bases["alpine"], "true", name=name)
    seen = [r for r in audit_plugin.recorded() if r["name"] == name]
    assert len(seen) == 1
    assert seen[0]["image"] == bases["alpine"] and seen[0]["host_config"]["NetworkMode"] == "none"
    assert audit_plugin.socket_mounts(seen) == []


def test_the_audit_flags_a_socket_in_binds_or_mounts():
    records = [
        {"image": "a", "name": "binds", "host_config": {"Binds": ["/var/run/docker.sock:/s"]}},
        {"image": "b", "name": "mounts", "host_config": {"Mounts": [Mount("/h", "/run", "bind")]}},
        {"image": "c", "name": "fine", "host_config": {"Binds": ["cache:/c"], "Mounts": None}},
        {"image": "d", "name": None, "host_config": None},
    ]
    flagged = audit_plugin.socket_mounts(records)
    assert [line.split(" ")[0] for line in flagged] == ["a", "b"]


def test_the_audit_excuses_the_engine_network_for_the_kits_registry_only():
    from dockerlab.core.containers import REGISTRY_ROLE

    assert audit_plugin.REGISTRY_ROLE == REGISTRY_ROLE
    defaults = {"CapDrop": ["ALL"], "SecurityOpt": ["no-new-privileges"], "PidsLimit": 512,
                "Memory": 2**28}  # fmt: skip

    def record(role: str, network: str, **host_config) -> dict:
        labels = {dl.labels.SESSION: "s", dl.labels.ROLE: role}
        return {
            "labels": labels,
            "host_config": {**defaults, "NetworkMode": network, **host_config},
        }

    assert audit_plugin.missing_defaults(record(REGISTRY_ROLE, "host")) == []
    assert audit_plugin.missing_defaults(record("demo", "host")) == ["network 'host'"]
    assert audit_plugin.missing_defaults(record("registry-reader", "host")) == ["network 'host'"]
    assert audit_plugin.missing_defaults(record(REGISTRY_ROLE, "bridge")) == ["network 'bridge'"]
    # Only the network is excused: the registry's other defaults are still required.
    assert audit_plugin.missing_defaults(record(REGISTRY_ROLE, "host", CapDrop=[])) == [
        "capabilities not dropped"
    ]
    assert audit_plugin.missing_defaults(record(REGISTRY_ROLE, "host", Privileged=True)) == [
        "privileged or host pids"
    ]


def test_the_canaries_are_planted():
    for name in audit_plugin.CANARY_ENV:
        assert audit_plugin.leaks(os.environ.get(name, "")), f"{name} holds no canary"
    config = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    assert config.parent == audit_plugin.DOCKER_CONFIG
    assert audit_plugin.leaks(config.read_text()) == ["DOCKER_CONFIG (registry auth)"]
    auths = json.loads(os.environ["DOCKER_AUTH_CONFIG"])["auths"]
    assert list(auths) == [audit_plugin.FAKE_REGISTRY]


def test_the_detector_names_a_canary_and_nothing_else():
    token = audit_plugin.CANARIES["GITHUB_TOKEN"]
    assert audit_plugin.leaks(f"Authorization: token {token}\n") == ["GITHUB_TOKEN"]
    assert audit_plugin.leaks(f"data: {audit_plugin._b64(token)}") == ["GITHUB_TOKEN (base64)"]
    assert audit_plugin.leaks(os.environ["DOCKER_AUTH_CONFIG"]) == ["DOCKER_AUTH_CONFIG (registry auth)"]  # fmt: skip
    assert audit_plugin.leaks("FAKE-TOKEN-for-lesson-only canary-0123 " + token[:-1]) == []


def test_a_demo_container_does_not_get_the_hosts_environment(bases, nothing_left):
    r = dl.run(bases["alpine"], "env")
    assert r.ok and "PATH=" in r.output
    assert audit_plugin.leaks(r.output) == []


def test_the_doctor_shows_no_secret(engine):
    report = dl.doctor()
    assert audit_plugin.leaks(str(report) + report._repr_html_()) == []
    cli = subprocess.run([sys.executable, "-m", "dockerlab", "doctor"], capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert "engine" in cli.stdout
    assert audit_plugin.leaks(cli.stdout + cli.stderr) == []


def _assigned(path: Path, name: str) -> str:
    tree = ast.parse(path.read_text())
    values = [node.value.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)]  # fmt: skip
    assert len(values) == 1, f"{path.name}: one {name} = '...' expected"
    return values[0]


def test_the_lessons_tokens_are_obviously_fake():
    assert "FAKE" in _assigned(ROOT / "notebooks/src/09-configuration-and-secrets.py", "TOKEN")
    assert "FAKE" in _assigned(ROOT / "dockerlab/exercises/config.py", "TOKEN")


_OTHER_PROCESS = """
import io, sys, docker
import dockerlab as dl
image, label = sys.argv[1], {dl.labels.SESSION: dl.labels.SESSION_ID}
dl.run(image, "true", name="kit-demo")  # the kit's way: every default
raw = docker.from_env()  # around the kit, as a careless notebook could
raw.containers.create(image, "true", name="socket-holder", volumes=["/var/run/docker.sock:/s"])
raw.containers.create(image, "true", name="kit-label-no-limits", labels=label)
# A build step FROM an image the kit built: its container inherits the session label.
for dockerfile, tag in ((f"FROM {image}", "kit-built"), ("FROM kit-built\\nRUN true", "child")):
    raw.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, network_mode="none",
                     labels=label if tag == "kit-built" else None, rm=True)
"""


def test_the_engine_watch_flags_what_other_processes_create(spare):
    """Notebook kernels never pass through pytest: the audit reads the engine's events."""
    watch = audit_plugin.EngineWatch(docker.APIClient(base_url=spare.host, version="auto"))
    try:
        p = subprocess.run([sys.executable, "-c", _OTHER_PROCESS, dl.ref("alpine")],
                           env=spare.env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert p.returncode == 0, p.stderr
    finally:
        watch.close()
    assert watch.vanished == 0 and watch.broken is None
    names = {"kit-demo", "socket-holder", "kit-label-no-limits"}
    by_name = {r["name"]: r for r in watch.seen if r["name"] in names}
    assert set(by_name) == names
    steps = [r["command"][2:] for r in watch.seen if r["name"] not in names]
    assert steps == [["#(nop) ", f"LABEL {dl.labels.SESSION}={dl.labels.SESSION_ID}"], ["true"]]
    assert [r["name"] for r in watch.seen if audit_plugin.made_by_kit(r)] == [
        "kit-demo", "kit-label-no-limits"]  # fmt: skip
    flagged = audit_plugin.socket_mounts(watch.seen)
    assert len(flagged) == 1 and "(socket-holder)" in flagged[0]
    assert audit_plugin.missing_defaults(by_name["kit-demo"]) == []
    # A container given no network gets the engine's default: 'default' (20.10), 'bridge' (28).
    default = by_name["kit-label-no-limits"]["host_config"]["NetworkMode"]
    assert default in ("default", "bridge")
    assert audit_plugin.missing_defaults(by_name["kit-label-no-limits"]) == [
        f"network {default!r}", "capabilities not dropped", "no no-new-privileges",
        "no pids limit", "no memory limit",
    ]  # fmt: skip


def test_the_run_is_watched_beyond_this_process(bases, nothing_left):
    name = f"dockerlab-audit-{uuid.uuid4().hex[:8]}"
    code = f"import dockerlab as dl; dl.run({bases['alpine']!r}, 'true', name={name!r})"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert audit_plugin._watch is not None and audit_plugin._watch.broken is None
    assert name not in [r["name"] for r in audit_plugin.recorded()]  # not this process's
    deadline = time.monotonic() + 10
    while not (seen := [r for r in audit_plugin._watch.seen if r["name"] == name]):
        assert time.monotonic() < deadline, "the engine watch never saw the container"
        time.sleep(0.1)
    assert audit_plugin.missing_defaults(seen[0]) == []


_CARELESS_TEST = """
import os, docker

def test_careless_notebook_code():
    raw, image, n = docker.from_env(), os.environ["IMAGE"], os.getpid()
    raw.containers.create(image, "true", name=f"holder-{n}", volumes=["/var/run/docker.sock:/s"])
    raw.containers.create(image, "true", name=f"no-limits-{n}", labels={"org.dockerlab.session": "x"})
"""


def test_a_run_whose_code_makes_unsafe_containers_fails(spare, tmp_path):
    """The audit end to end: a pytest run on the spare engine, its test passing, fails."""
    (tmp_path / "test_careless.py").write_text(_CARELESS_TEST)
    env = {**spare.env, "IMAGE": dl.ref("alpine"), "PYTHONPATH": str(ROOT / "tests")}
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "audit_plugin", "-q",
                        "-p", "no:cacheprovider", "test_careless.py"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    assert p.returncode == 1 and "1 passed" in p.stdout, p.stdout + p.stderr
    audit = [line for line in p.stdout.splitlines() if line.startswith("AUDIT:")]
    assert len(audit) == 2, p.stdout
    assert "given the Docker socket" in audit[0] and "(holder-" in audit[0]
    assert re.search(r"lacks the demo defaults: network '(default|bridge)'", audit[1])
    assert "(no-limits-" in audit[1]
    assert "the engine created 2 containers during the run" in p.stdout
