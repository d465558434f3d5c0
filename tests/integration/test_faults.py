"""Faults from outside the kit, injected for real: each ends in a clear error and a clean rerun.

- The engine stops in the middle of a notebook (a real course notebook, run by a
  real kernel), and in the middle of a build.
- A container is killed, or removed, by someone else while the kit uses it.
- The engine's disk fills up (a small loop-mounted file system under its data root).
- A registry stops answering (the real registry process, frozen with SIGSTOP).

Engine faults use a spare private engine (tests/spare_engine.py), never the
engine the rest of the run uses.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from contextlib import closing
from pathlib import Path

import docker
import nbformat
import pytest
from nbclient import NotebookClient
from spare_engine import small_disk, spare_engine

import dockerlab as dl
from dockerlab.errors import NoRegistry
from dockerlab.registry.server import LocalRegistry

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def kit_on(monkeypatch):
    """Point the kit of this process at another engine for one test, then back."""

    def use(engine) -> None:
        monkeypatch.setenv("DOCKER_HOST", engine.host)
        dl.engine.reset()

    yield use
    monkeypatch.undo()
    dl.engine.reset()
    dl.client()  # reconnected to the run's engine


def _wait_for(predicate, what: str, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


# --------------------------------------------------------------- the engine stops


def _run_notebook(path: Path, monkeypatch, stop_after=None, engine=None):
    """Run a notebook in a real kernel; optionally stop ``engine`` once a cell matches.

    The kernel is a learner's: a session of its own (no DOCKERLAB_SESSION).

    Returns:
        (the first error output after the stop or None if the notebook ran
        through, the first code cell's text output).
    """
    monkeypatch.delenv("DOCKERLAB_SESSION", raising=False)  # the kernel inherits the environment
    monkeypatch.setenv("DOCKERLAB_LEARNER", "faults")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
    stopped = False
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            client.execute_cell(cell, index)
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if errors:
                assert stopped, f"cell {index} failed before any fault: {errors[0]}"
                return errors[0], _first_text(nb)
            if stop_after and not stopped and stop_after in cell.source:
                engine.stop()
                stopped = True
    assert not stopped, "the engine was stopped, yet no later cell failed"
    return None, _first_text(nb)


def _first_text(nb) -> str:
    first = next(c for c in nb.cells if c.cell_type == "code")
    return "".join(o.get("text", "") for o in first.outputs)


def test_engine_stopped_mid_notebook_short_error_then_clean_rerun(spare, monkeypatch):
    notebook = NOTEBOOKS / "07-ephemeral-containers.ipynb"
    monkeypatch.setenv("DOCKER_HOST", spare.host)
    # The learner's container is running when Docker goes away.
    error, _ = _run_notebook(notebook, monkeypatch, stop_after="box = dl.start(", engine=spare)
    shown = ANSI.sub("", "\n".join(error.traceback))
    assert error.ename == "EngineStopped", shown
    assert "stopped answering" in shown and "Start Docker again" in shown
    assert len(shown.splitlines()) <= 4, f"a wall of traceback:\n{shown}"  # message + hint

    spare.start()  # Docker is back: the interrupted run's container is still there (stopped)
    assert spare.kit_resources()["containers"]
    # The notebook reruns from the top without an error, and its first cell tidies up.
    monkeypatch.setenv("DOCKER_HOST", spare.host)
    error, first = _run_notebook(notebook, monkeypatch)
    assert error is None
    assert "Removed what an interrupted earlier run left behind: 1 container." in first
    assert not any(spare.kit_resources().values())


def test_engine_stopped_during_a_build_is_named_as_such(spare, kit_on):
    kit_on(spare)
    outcome: dict[str, BaseException] = {}
    running = threading.Event()

    def said(line: str) -> None:
        if "RUN sleep 120" in line:  # the step has started (either builder says so)
            running.set()

    def build() -> None:
        try:
            dl.build(f"FROM {dl.ref('alpine')}\nRUN sleep 120\n", progress=said)
        except BaseException as e:  # handed to the test's thread
            outcome["error"] = e

    worker = threading.Thread(target=build)
    worker.start()
    _wait_for(running.is_set, "the build's RUN step to start")
    time.sleep(2)  # into the step: BuildKit runs it in no container the engine lists
    spare.stop()
    worker.join(timeout=120)
    assert not worker.is_alive()
    # Not "your command failed (137)", not "the build took too long": the engine left.
    assert isinstance(outcome.get("error"), dl.EngineStopped), repr(outcome.get("error"))
    spare.start()
    assert not any(spare.kit_resources().values())  # nothing half-built carries the label
    with closing(spare.client()) as c:
        assert c.images.list(filters={"dangling": True}) == []


def test_the_kit_reconnects_after_the_engine_is_back(spare, kit_on):
    kit_on(spare)
    assert dl.run(dl.ref("alpine"), "true").ok
    spare.stop()
    with pytest.raises(dl.EngineStopped):
        dl.run(dl.ref("alpine"), "true")
    spare.start()
    assert dl.run(dl.ref("alpine"), ["echo", "back"]).output == "back\n"
    assert not any(spare.kit_resources().values())


# ------------------------------------------------- containers killed from outside


def _outsider() -> docker.DockerClient:
    """Someone else on the same engine (another terminal's `docker kill`)."""
    return docker.DockerClient(base_url=dl.engine.host())


def test_container_killed_from_outside(bases, nothing_left):
    with dl.start(bases["alpine"], ["sleep", "300"]) as box:
        _outsider().containers.get(box.id).kill()
        with pytest.raises(dl.ContainerGone, match="exited with code 137"):
            box.exec(["true"])
        assert box.status == "exited"


def test_container_removed_from_outside(bases, nothing_left):
    box = dl.start(bases["alpine"], ["sleep", "300"])
    _outsider().containers.get(box.id).remove(force=True)
    with pytest.raises(dl.ContainerGone, match="removed"):
        box.exec(["true"])
    box.remove()  # removing what is already gone is fine


def test_run_killed_from_outside_reports_137(bases, nothing_left):
    outsider = _outsider()
    flt = {"label": [f"{dl.labels.SESSION}={dl.labels.SESSION_ID}"], "status": "running"}

    def kill_when_running() -> None:
        _wait_for(lambda: outsider.containers.list(filters=flt), "the container to run")
        outsider.containers.list(filters=flt)[0].kill()

    killer = threading.Thread(target=kill_when_running)
    killer.start()
    result = dl.run(bases["alpine"], ["sleep", "60"], timeout=120)
    killer.join()
    assert result.exit_code == 137 and result.crashed and not result.timed_out


# ------------------------------------------------------------- the disk fills up


def test_full_disk_fails_the_build_readably_and_leaves_nothing(tmp_path, kit_on):
    with small_disk(tmp_path / "disk", 256) as folder, spare_engine(folder, "alpine") as small:
        kit_on(small)
        alpine = dl.ref("alpine")
        with pytest.raises(dl.BuildFailed) as failed:
            dl.build(f"FROM {alpine}\nRUN dd if=/dev/zero of=/fill bs=1M count=400\n",
                     tag="dockerlab/fill:1", progress=False)  # fmt: skip
        message = str(failed.value)
        assert "no space left on device" in message.lower()
        assert "disk is full" in message and "cleanup" in message  # says what to do
        with closing(small.client()) as c:
            assert c.containers.list(all=True) == []  # the failed step's container is gone
            assert c.images.list(filters={"dangling": True}) == []
            assert c.images.list(name="dockerlab/fill") == []  # no image under the tag
        assert not any(small.kit_resources().values())
        # The space is back: the next build works.
        with dl.build(f"FROM {alpine}\nRUN echo ok > /ok\n", progress=False) as img:
            assert dl.run(img, ["cat", "/ok"]).output == "ok\n"
        assert not any(small.kit_resources().values())


# ---------------------------------------------------- a registry stops answering


def test_registry_that_stops_answering(bases):
    with LocalRegistry() as reg:
        reg.push(bases["alpine"], "course/alpine", "1")
        reg.container.container.pause()  # still listening, never answering
        try:
            with pytest.raises(NoRegistry, match="No answer") as no_answer:
                reg.manifest("course/alpine:1")
            with pytest.raises(NoRegistry, match="no progress for 5 s") as no_push:
                reg.push(bases["alpine"], "course/alpine", "2", timeout=5)
            with pytest.raises(NoRegistry, match="no progress for 5 s") as no_pull:
                reg.pull("course/alpine:1", timeout=5)
        finally:
            reg.container.container.unpause()
        for e in (no_answer, no_push, no_pull):
            assert "did not answer in time" in str(e.value)
        # Back: the same registry works again.
        assert reg.push(bases["alpine"], "course/alpine", "3").digest.startswith("sha256:")
        assert reg.digest("course/alpine:1") == reg.digest("course/alpine:3")


def test_a_mirror_that_freezes_while_the_bases_pull_from_it(bases, monkeypatch):
    """`make bases` with a classroom mirror that stops answering right after it was checked."""
    from dockerlab.core import transfer
    from dockerlab.engines import bases as base_images

    with LocalRegistry() as reg:
        pushed = reg.push(bases["alpine"], "mirror/alpine", "3.23")
        monkeypatch.setenv("DOCKERLAB_IMAGE_ALPINE", pushed.ref)
        monkeypatch.setattr(transfer, "TRANSFER_TIMEOUT", 5)
        checked = base_images._pullable

        def answers_then_freezes(ref: str) -> bool:
            answered = checked(ref)
            reg.container.container.pause()
            return answered

        monkeypatch.setattr(base_images, "_pullable", answers_then_freezes)
        try:
            with pytest.raises(NoRegistry, match="no progress for 5 s") as frozen:
                base_images.ensure(["alpine"], progress=False)
        finally:
            reg.container.container.unpause()
        assert "DOCKERLAB_IMAGE_ALPINE" in str(frozen.value)
        assert pushed.ref not in [t for i in dl.client().images.list() for t in i.tags]


def test_a_raw_connection_error_reads_as_engine_stopped_only_when_it_is(engine, monkeypatch, capsys, tmp_path):  # fmt: skip
    """Errors straight from a stream (not through the kit's guarded calls) in a notebook."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        dl.setup()
        raising = "import requests; raise requests.exceptions.ConnectionError('stream broke')"
        monkeypatch.setattr(dl.engine, "_host", f"unix://{tmp_path}/gone.sock")
        shell.run_cell(raising)
        short = ANSI.sub("", capsys.readouterr().out)
        assert "EngineStopped" in short and "Start Docker again" in short
        assert "Traceback" not in short
        monkeypatch.undo()  # the engine answers: the error is something else, shown in full
        shell.run_cell(raising)
        full = ANSI.sub("", capsys.readouterr().out)
        assert "ConnectionError" in full and "stream broke" in full and "Traceback" in full
    finally:
        InteractiveShell.clear_instance()


def test_full_disk_while_making_a_base_keeps_nothing_half_made(tmp_path, kit_on, monkeypatch):
    """`make bases` on a full disk: a readable error, no image, no scratch files; then it works."""
    from dockerlab.engines import bases
    from dockerlab.engines.bases import alpine as alpine_recipe

    wheel = dl.private_engine.cache_dir() / "bases" / "wheels" / alpine_recipe.disk().wheel_file
    if not wheel.is_file():
        pytest.skip("the Alpine base was not made offline here (no cached wheel to reuse)")
    with small_disk(tmp_path / "disk", 640) as folder, spare_engine(folder) as small:
        kit_on(small)
        monkeypatch.setenv("DOCKERLAB_CACHE", str(folder))  # the kit's cache on the small disk
        (folder / "bases" / "wheels").mkdir(parents=True)
        shutil.copy(wheel, folder / "bases" / "wheels")
        filler = folder / "filler"
        free = shutil.disk_usage(folder).free
        subprocess.run(["fallocate", "-l", str(free - (40 << 20)), str(filler)], check=True)
        with pytest.raises(dl.errors.BootstrapFailed) as failed:
            bases.ensure(["alpine"], progress=False)
        message = str(failed.value)
        assert "no space left on device" in message.lower() and "free some space" in message
        with closing(small.client()) as c:
            assert c.images.list() == []  # no image, so nothing claims to be the base
        assert list((folder / "bases").glob("work-*")) == []  # no scratch files kept
        assert list((folder / "bases").glob("trees/*.json")) == []  # no tree claims to be whole

        filler.unlink()  # space freed: the same command now makes the base
        [made] = bases.ensure(["alpine"], progress=False)
        assert made.action == "bootstrapped"
        with closing(small.client()) as c:
            image = c.images.get(dl.ref("alpine"))
            assert image.labels[dl.labels.BASE] == "alpine"
