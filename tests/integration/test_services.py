"""The web service and cache of the one-task lesson, on the real engine."""

import pytest

import dockerlab as dl
from dockerlab.lessons import services


def _ours(engine):
    return engine.containers.list(all=True, filters=dl.labels.filter_for(dl.labels.SESSION_ID))


@pytest.fixture(scope="module")
def images(engine, bases):
    made = services.build_images()
    yield made
    services.remove_images(made)


def test_the_servers_answer_http_and_the_cache_protocol(engine, images):
    with services.split(images) as d:
        assert d.get("/health").ok and d.get("/visits").body == "visits: 2\n"  # ready check + this
        assert d.ask_cache("SET greeting hello world") == "OK"
        assert d.ask_cache("GET greeting") == "hello world"
        assert d.ask_cache("GET missing") == "(nil)"
        assert d.ask_cache("FLUSHALL").startswith("ERR")
        assert d.get("/nowhere").status == 404
        host = d["cache"].reload().container.attrs["HostConfig"]
        assert host["NetworkMode"] == d.network and host["CapDrop"] == ["ALL"]
    assert not _ours(engine)


def test_a_crashed_cache_exits_139_and_a_restart_policy_brings_it_back(engine, images):
    with services.split(images) as plain:
        plain.crash_cache()
        state = plain.state("cache")
        assert state["status"] == "exited" and state["exit_code"] == 139
    with services.split(images, restart_policy={"Name": "on-failure"}) as auto:
        outage = auto.outage(auto.crash_cache)
        assert outage["/health"] == 0 and 0 < outage["/visits"] < 30
        assert auto.state("cache")["restarts"] == 1 and auto.get("/visits").ok
    assert not _ours(engine)


def test_the_combined_container_stays_running_with_a_dead_cache_until_restarted(engine, images):
    with services.combined(images) as d:
        d.crash_cache()
        assert d.wait_health_checks("app", count=1)["status"] == "running"
        assert d.get("/visits").status == 503 and d.get("/health").ok
        d["app"].container.restart(timeout=5)
        d.wait_ready()
        outage = d.outage(lambda: d["app"].container.restart(timeout=5))
        assert outage["/health"] > 0 and outage["/visits"] > 0  # a restart takes both down
    assert not _ours(engine)


def test_outage_refuses_to_start_on_a_broken_service_and_leaves_nothing(engine, images):
    with services.combined(images) as d:
        d.crash_cache()
        with pytest.raises(dl.DockerlabError, match="not every path answers 200"):
            d.outage(lambda: None)
    assert not _ours(engine)


def test_a_missing_image_fails_clearly_and_removes_the_pod(engine, images):
    broken = {**images, "cache": "dockerlab/absent:1"}
    with pytest.raises(dl.ImageNotFound, match="not on this engine"):
        services.split(broken)
    assert not _ours(engine)


def test_a_restarting_container_is_removed_too(engine, images):
    d = services.split(images, restart_policy={"Name": "always"})
    d.ask_cache("DEBUG SEGFAULT")  # remove while the engine restarts it
    d.remove()
    assert not _ours(engine)
