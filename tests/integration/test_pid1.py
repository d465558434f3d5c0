"""PID 1 lesson on the real engine: the zombie counter, stop latency, a fork bomb."""

import time

import docker.errors
import pytest

import dockerlab as dl
from dockerlab.core import downloads
from dockerlab.lessons import pid1


@pytest.fixture(scope="module")
def image(bases):
    img = pid1.build_image()
    yield img
    img.remove()


def _mine(engine):
    return engine.containers.list(all=True, filters=dl.labels.filter_for(dl.labels.SESSION_ID))


def test_the_counter_sees_five_zombies_without_init_and_none_with_one(engine, image):
    left = pid1.zombies_left(image, ["no init", "--init (tini)"])
    assert left.loc["no init", "zombies (/proc)"] == 5
    assert left.loc["no init", "PID 1"] == "sleep"
    assert left.loc["--init (tini)", "zombies (/proc)"] == 0
    assert left.loc["--init (tini)", "PID 1"] == "docker-init"
    assert not _mine(engine)


def test_the_reader_lists_pid_1_and_leaves_itself_out(engine, image):
    with pid1.VARIANTS["no init"].start(image, ["sleep", "30"]) as box:
        procs = pid1.processes(box)
    assert [(p.pid, p.name, p.state) for p in procs] == [(1, "sleep", "S")]


def test_stop_latency_without_init_is_the_grace_period_and_137(engine, image):
    stops = pid1.stop_latency(image, ["no init", "dumb-init"], grace=1)
    assert stops.loc["no init", "seconds"] >= 1 and stops.loc["no init", "exit code"] == 137
    assert stops.loc["dumb-init", "exit code"] == 143
    assert stops.loc["dumb-init", "seconds"] < stops.loc["no init", "seconds"]
    assert not _mine(engine)


def test_a_fork_bomb_hits_the_pids_limit_and_is_removed_completely(engine, image):
    bomb = "bomb() { bomb | bomb & }; bomb; sleep 30"
    box = pid1.VARIANTS["no init"].start(image, ["sh", "-c", bomb], pids=24)
    try:
        deadline = time.monotonic() + 15
        while "can't fork" not in box.logs() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "can't fork" in box.logs()
        assert box.reload().container.attrs["HostConfig"]["PidsLimit"] == 24
        assert pid1.pids_counted(box) <= 24  # -1 if the engine could not say
    finally:
        box.remove()
    assert not _mine(engine)
    with pytest.raises(docker.errors.NotFound):
        engine.containers.get(box.id)


def test_the_dumb_init_source_is_cached_and_checked():
    path = downloads.dumb_init_sdist()
    assert path.exists() and path.name == f"dumb-init-{downloads.DUMB_INIT_VERSION}.tar.gz"


def test_zombies_are_missing_from_docker_top_but_counted_by_the_pids_limit(engine, image):
    inside, top, counted = pid1.two_views(image, "no init")
    assert (inside["state"] == "Z").sum() == 5
    assert len(top) == 1 and counted == len(inside) == 6
