"""Cleanup removes exactly the kit's resources; the doctor and the engine errors."""

import os
import subprocess
import sys

import dockerlab as dl


def test_cleanup_removes_this_sessions_resources_but_not_others(engine, bases):
    mine = engine.containers.create(bases["alpine"], "true", labels=dl.labels.session_labels())
    other = engine.containers.create(
        bases["alpine"], "true", labels=dl.labels.session_labels(session="other")
    )
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


def test_doctor_reports_engine_and_bases(bases):
    report = dl.doctor()
    assert report.ok
    assert report["engine"].detail.startswith("Docker ")
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
