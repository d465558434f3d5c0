"""The one-task lesson's pure parts: probe logs, container states, Dockerfiles (no engine)."""

import pytest

import dockerlab as dl
from dockerlab.lessons import services
from dockerlab.lessons.services import Response, container_state, parse_watch


def test_a_path_that_never_failed_has_no_outage():
    log = "3 /health 200\n5 /visits 200\n40 /visits 503\n290 /visits 200\n291 recovered\n"
    assert parse_watch(log) == {"/health": 0.0, "/visits": 0.25}


def test_outage_windows_add_up_and_count_any_failure_status():
    log = "\n".join(["0 /visits 200", "10 /visits 0", "30 /visits 503", "110 /visits 200",
                     "200 /visits 502", "250 /visits 200", "251 recovered"])  # fmt: skip
    assert parse_watch(log) == {"/visits": pytest.approx(0.15)}


def test_an_outage_that_never_ends_runs_to_the_end_of_the_log():
    log = "0 /health 200\n0 /visits 200\n100 /visits 0\n100 /health 0\n5000 timeout\n"
    assert parse_watch(log) == {"/health": 4.9, "/visits": 4.9}


def test_junk_lines_are_ignored():
    assert parse_watch("probe: starting\n\n7 /health 200\n") == {"/health": 0.0}


def test_container_state_reads_status_exit_code_health_and_restarts():
    attrs = {"State": {"Status": "exited", "ExitCode": 139}, "RestartCount": 2}
    assert container_state(attrs) == {"status": "exited", "exit_code": 139, "health": "-",
                                      "restarts": 2}  # fmt: skip
    healthy = {"State": {"Status": "running", "ExitCode": 0, "Health": {"Status": "healthy"}}}
    assert container_state(healthy)["health"] == "healthy"


def test_response_ok_only_on_200_and_prints_plainly():
    assert Response(200, "ok\n").ok and not Response(503, "cache unavailable\n").ok
    assert str(Response(0, "")) == "no answer"
    assert str(Response(503, "cache unavailable\n")) == "503 cache unavailable"


def test_every_image_shares_one_build_stage_and_uses_catalog_refs(monkeypatch):
    monkeypatch.setenv("DOCKERLAB_IMAGE_ALPINE", "alpine:3.22")
    texts = {kind: services.dockerfile(kind) for kind in services.FINAL_STAGES}
    stages = {t.split("\n\n")[0] for t in texts.values()}
    assert len(stages) == 1  # identical text: the compile step is cached across the images
    assert "FROM alpine:3.22" in texts["combined"] and "FROM scratch" in texts["cache"]
    assert "minicache & exec miniweb" in texts["combined"]
    assert "HEALTHCHECK" in texts["combined"] and "/health" in texts["web"]


def test_unknown_image_kind_is_a_clear_error():
    with pytest.raises(dl.DockerlabError, match="choose one of"):
        services.dockerfile("monolith")
