"""Cleanup removes exactly the kit's resources; the doctor and the engine errors."""

import contextlib
import os
import subprocess
import sys

import docker.errors
import pytest

import dockerlab as dl
from dockerlab.core.building import remove_keeping_bases
from dockerlab.core.sessions import cleanup_stale


def test_cleanup_removes_this_sessions_resources_but_not_others(engine, bases):
    mine = dl.containers.create(bases["alpine"], "true").container
    other = dl.containers.create(
        bases["alpine"], "true", labels=dl.labels.session_labels(session="other")
    ).container
    foreign = engine.containers.create(bases["alpine"], "true")  # a learner's own: never touched
    volume = engine.volumes.create(labels=dl.labels.session_labels())
    try:
        removed = dl.cleanup()
        names = {c.name for c in engine.containers.list(all=True)}
        assert mine.name not in names
        assert other.name in names and foreign.name in names
        assert removed["containers"] >= 1 and removed["volumes"] >= 1
        assert volume.name not in {v.name for v in engine.volumes.list()}
        assert dl.leftovers("other")["containers"] == [other.name]
    finally:
        other.remove(force=True)
        foreign.remove(force=True)


def test_cleanup_keeps_the_catalog_bases(engine, bases):
    dl.cleanup()
    assert all(dl.images.present().values())


def test_the_cleanup_command_removes_the_learners_own_sessions_only(engine):
    # A workshop server with one shared engine: alice's `python -m dockerlab cleanup`
    # in a terminal must not remove bob's work; --all-sessions, after the class, does.
    made = {who: engine.volumes.create(labels=dl.labels.session_labels(
        session=f"{who}-0123abcd.{n}@00c0ffee")) for n, who in enumerate(["alice", "bob"], 1)}  # fmt: skip
    try:
        env = {"DOCKERLAB_LEARNER": "alice", "DOCKERLAB_SESSION": ""}
        own = subprocess.run([sys.executable, "-m", "dockerlab", "cleanup"], capture_output=True,
                             text=True, env={**os.environ, **env}, timeout=120)  # fmt: skip
        assert own.returncode == 0, own.stderr
        left = {v.name for v in engine.volumes.list()}
        assert made["alice"].name not in left and made["bob"].name in left
        assert "removed, of alice's sessions" in own.stdout and "--all-sessions" in own.stdout
        every = subprocess.run([sys.executable, "-m", "dockerlab", "cleanup", "--all-sessions"],
                               capture_output=True, text=True, env={**os.environ, **env},
                               timeout=120)  # fmt: skip
        assert every.returncode == 0, every.stderr
        assert made["bob"].name not in {v.name for v in engine.volumes.list()}
    finally:
        for v in made.values():
            with contextlib.suppress(docker.errors.NotFound):
                v.remove(force=True)


def test_a_learners_remove_never_takes_a_base_image(engine, bases):
    # A learner's build may not take a base's name; the kit's removal never takes one away.
    with pytest.raises(dl.BuildFailed, match="name of one of the course's base images"):
        dl.build(f"FROM {bases['alpine']}\n", tag=bases["alpine"], progress=False)
    img = dl.build(f"FROM {bases['alpine']}\nRUN echo mine > /mine\n", tag="dockerlab/mine:1",
                   progress=False)  # fmt: skip
    base_id = engine.images.get(bases["alpine"]).id
    try:
        engine.api.tag(img.id, "debian", "trixie-kit-test")  # not a base name: goes with it
        img.remove()
        with pytest.raises(docker.errors.ImageNotFound):
            engine.images.get(img.id)
        assert engine.images.get(bases["alpine"]).id == base_id
        # The other way round: the base's own image carries the learner's name too.
        engine.api.tag(base_id, "dockerlab/mine", "2")
        remove_keeping_bases(base_id)
        assert engine.images.get(bases["alpine"]).id == base_id
        with pytest.raises(docker.errors.ImageNotFound):
            engine.images.get("dockerlab/mine:2")
    finally:
        for name in ("debian:trixie-kit-test", "dockerlab/mine:2"):
            with contextlib.suppress(docker.errors.NotFound):
                engine.images.remove(name)


def test_doctor_reports_engine_and_bases(bases):
    report = dl.doctor()
    assert report.ok
    assert report["engine"].detail.startswith("Docker ")
    info = dl.engine_info()  # what the doctor shows is what the engine says, read here
    raw = dl.client().version()
    assert info.version == raw["Version"] and info.api == dl.client().api.api_version
    assert info.version in report["engine"].detail and info.api in report["engine"].detail
    store = dict(x for x in dl.client().info().get("DriverStatus") or [] if len(x) == 2)
    containerd = "containerd.snapshotter" in store.get("driver-type", "")
    assert info.containerd_store == containerd
    assert ("containerd image store" in report["store"].detail) == containerd
    assert f"linux/{info.arch}" in report["platform"].detail
    assert report["builder"].detail.startswith("builds use ")
    assert "<table" in report._repr_html_()
    assert len([c for c in report.checks if c.name.startswith("image ")]) == len(dl.CATALOG)


def _python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)  # fmt: skip


def test_engine_not_running_is_a_clear_error(tmp_path):
    dead = f"unix://{tmp_path}/no-engine.sock"
    p = _python("import dockerlab as dl\ntry:\n dl.client()\nexcept dl.EngineNotRunning as e:\n print(e)",
                DOCKER_HOST=dead)  # fmt: skip
    assert "Docker is not running" in p.stdout and "->" in p.stdout, p.stderr
    cli = subprocess.run([sys.executable, "-m", "dockerlab", "doctor"], capture_output=True, text=True,
                         env={**os.environ, "DOCKER_HOST": dead}, timeout=60)  # fmt: skip
    assert cli.returncode == 1
    assert "✘ engine" in cli.stdout and "Traceback" not in cli.stdout + cli.stderr


def test_build_with_no_engine_fails_cleanly(tmp_path):
    p = _python("import dockerlab as dl\ntry:\n dl.build('FROM scratch')\nexcept dl.DockerlabError as e:\n"
                " print(type(e).__name__)", DOCKER_HOST=f"unix://{tmp_path}/x.sock")  # fmt: skip
    assert p.stdout.strip() == "EngineNotRunning", p.stderr


def _leave_a_volume(env_extra: dict[str, str]) -> str:
    """A separate Python process that makes a labelled volume and ends without cleaning up."""
    code = (
        "import dockerlab as dl\n"
        "v = dl.client().volumes.create(labels=dl.labels.session_labels('test'))\n"
        "print(dl.labels.SESSION_ID)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DOCKERLAB_SESSION"} | env_extra
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=60, check=True)  # fmt: skip
    return p.stdout.strip()


def test_what_an_ended_kernel_left_is_tidied_by_the_next_setup(engine):
    ended = _leave_a_volume({"DOCKERLAB_LEARNER": "kernel-restart"})
    named = _leave_a_volume({"DOCKERLAB_SESSION": "shared-workshop-room"})
    try:
        assert dl.leftovers(ended)["volumes"] and dl.leftovers(named)["volumes"]
        code = "import dockerlab as dl; dl.setup()"  # a notebook's first cell, in a new kernel
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=60, env=dict(os.environ))  # fmt: skip
        assert "Removed what an interrupted earlier run left behind: 1 volume." in p.stdout
        assert not any(dl.leftovers(ended).values())
        assert dl.leftovers(named)["volumes"]  # a named session is never judged stale
        assert cleanup_stale() == {"containers": 0, "images": 0, "volumes": 0,
                                              "networks": 0}  # fmt: skip
    finally:
        dl.cleanup(ended)
        dl.cleanup(named)
