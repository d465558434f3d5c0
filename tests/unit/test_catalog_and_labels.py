"""The catalog's overrides, the label namespace and the error messages (no engine)."""

import os

import pytest

from dockerlab import errors
from dockerlab.core import labels
from dockerlab.core.images import CATALOG, ref


def test_catalog_has_the_course_images():
    assert {"debian", "debian_slim", "debian_old", "alpine", "builder"} <= set(CATALOG)
    assert CATALOG["debian"].default == "debian:trixie"  # Debian 13, stable since August 2025
    assert CATALOG["debian_slim"].default == "debian:trixie-slim"
    assert CATALOG["builder"].default == "dockerlab/builder:trixie"
    assert CATALOG["debian_old"].default == "debian:bookworm"  # the older base of notebook 10
    assert CATALOG["alpine"].default == "alpine:3.24" and CATALOG["alpine"].offline == "alpine:3.23"


def test_offline_the_scorecard_measures_an_untagged_debian_with_the_course_trixie(monkeypatch):
    from dockerlab.core import engine
    from dockerlab.scorecard import image_checks

    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent")  # nothing is on an engine
    monkeypatch.setattr(image_checks, "registry_reachable", lambda: False)
    engine.reset()
    try:
        notes: list[str] = []
        text = image_checks._substitute("FROM debian\nFROM debian:bookworm\n", notes)
    finally:
        monkeypatch.undo()
        engine.reset()
    first, second = text.splitlines()
    assert first.startswith("FROM debian:trixie") and second == "FROM debian:bookworm"
    assert len(notes) == 1 and "`debian` (latest)" in notes[0]


@pytest.mark.parametrize(
    ("on_engine", "reachable", "expected"),
    [
        ({"alpine:3.24", "alpine:3.23"}, False, "alpine:3.24"),  # pulled earlier: the newest
        ({"alpine:3.23"}, True, "alpine:3.23"),  # made offline and still the one here
        (set(), True, "alpine:3.24"),  # nothing yet, a registry answers: it will be pulled
        (set(), False, "alpine:3.23"),  # nothing yet, offline: the kit will make 3.23.6
    ],
)
def test_alpine_is_3_24_where_pulled_and_3_23_where_made_offline(
    monkeypatch, on_engine, reachable, expected
):
    from dockerlab.core import images

    monkeypatch.delenv("DOCKERLAB_IMAGE_ALPINE", raising=False)
    monkeypatch.setattr(images, "_on_engine", lambda name: name in on_engine)
    monkeypatch.setattr(images, "registry_reachable", lambda: reachable)
    assert ref("alpine") == expected
    monkeypatch.setenv("DOCKERLAB_IMAGE_ALPINE", "alpine:3.22")
    assert ref("alpine") == "alpine:3.22"  # an override always wins


def test_the_debian_recipe_knows_each_debian_key_and_writes_deb822_sources():
    from dockerlab.engines.bases import _RECIPE_MODULES, debian

    debian_keys = {k for k, m in _RECIPE_MODULES.items() if m == "debian"}
    assert debian_keys == set(debian.SUITE_OF) == {"debian", "debian_slim", "builder", "debian_old"}
    assert {CATALOG[k].default.split(":")[1].removesuffix("-slim") for k in debian_keys
            if CATALOG[k].official} == {"trixie", "bookworm"}  # fmt: skip
    assert all(CATALOG[k].default.split(":")[1].startswith(debian.SUITE_OF[k]) for k in debian_keys)
    text = debian.apt_sources("trixie", "/usr/share/keyrings/debian-archive-keyring.pgp")
    assert "Suites: trixie trixie-updates\n" in text and "Suites: trixie-security\n" in text
    assert text.count("Signed-By: /usr/share/keyrings/debian-archive-keyring.pgp") == 2


def test_environment_overrides_a_catalog_image(monkeypatch):
    monkeypatch.setenv("DOCKERLAB_IMAGE_ALPINE", "alpine:3.22")
    assert ref("alpine") == "alpine:3.22"


def test_unknown_key_names_the_known_ones():
    with pytest.raises(KeyError, match="debian_slim"):
        ref("ubuntu")


def test_labels_live_in_the_reserved_namespace():
    lbl = labels.session_labels("demo")
    assert all(k.startswith("org.dockerlab.") for k in lbl)
    assert lbl[labels.SESSION] == labels.SESSION_ID
    assert labels.filter_for() == {"label": [labels.SESSION]}
    assert labels.filter_for("abc") == {"label": [f"{labels.SESSION}=abc"]}
    assert labels.build_labels() == {labels.SESSION: labels.SESSION_ID}
    assert labels.is_kit_history_entry(f"/bin/sh -c #(nop)  LABEL {labels.SESSION}=abc")


def test_every_error_is_a_dockerlab_error_with_a_next_step():
    for cls in (errors.EngineNotRunning, errors.EnginePermissionDenied, errors.EngineTooOld,
                errors.ImageNotFound):  # fmt: skip
        err = cls("something went wrong")
        assert isinstance(err, errors.DockerlabError)
        assert "->" in str(err) and err.hint


def test_a_session_knows_its_owning_process_and_machine():
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    ended = f"alice-1234abcd.{child.stdout.strip()}@{labels._host_tag()}"
    assert labels.owner_gone(ended)  # that process has exited
    alive = f"alice-1234abcd.{os.getpid()}@{labels._host_tag()}"
    assert not labels.owner_gone(alive)
    elsewhere = f"alice-1234abcd.{child.stdout.strip()}@zzzz"
    assert not labels.owner_gone(elsewhere)  # another machine's: never judged from here
    for named in ("test-1234", "workshop.room-1", "a.b@c"):
        assert not labels.owner_gone(named)


def test_two_process_namespaces_of_one_kernel_never_share_an_owner_tag():
    # Two JupyterHub servers in containers: one kernel, one host name maybe, each its own
    # process numbers. A session of the other one must never look like this one's.
    import shutil
    import subprocess
    import sys

    if not shutil.which("unshare"):
        pytest.skip("no unshare here")
    code = "from dockerlab import labels; print(labels._host_tag())"
    other = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", code],
                           capture_output=True, text=True)  # fmt: skip
    if other.returncode != 0:
        pytest.skip(f"cannot make a process namespace here: {other.stderr.strip()[-200:]}")
    same = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert same.stdout.strip() == labels._host_tag()  # stable across processes of one namespace
    assert other.stdout.strip() != labels._host_tag()
    ended_there = f"alice-1234abcd.999999@{other.stdout.strip()}"
    assert not labels.owner_gone(ended_there)  # not judged from here


def test_whose_session_it_is(monkeypatch):
    assert labels.learner_of("alice-3f2a9c1e.4711@9b1c07d2") == "alice"
    assert labels.learner_of("jean-luc-3f2a9c1e.4711@9b1c07d2") == "jean-luc"
    assert labels.learner_of("test-1733140000000") is None  # DOCKERLAB_SESSION of a test run
    monkeypatch.setenv("DOCKERLAB_LEARNER", "alice")
    assert labels.own_session("alice-3f2a9c1e.4711@9b1c07d2")
    assert not labels.own_session("bob-3f2a9c1e.4711@9b1c07d2")
    assert not labels.own_session("alice2-3f2a9c1e.4711@9b1c07d2")
    assert labels.own_session(labels.SESSION_ID)  # the one this process runs in


def test_the_bases_names_in_every_spelling(monkeypatch):
    from dockerlab.core.images import is_base_name

    for name in ("debian:trixie", "docker.io/library/debian:trixie", "alpine:3.23",
                 "library/alpine:3.24", "dockerlab/builder:trixie", "debian:bookworm"):  # fmt: skip
        assert is_base_name(name), name
    for name in ("debian:sid", "my/alpine:3.23", "alpine", "dockerlab/builder:mine"):
        assert not is_base_name(name), name
    monkeypatch.setenv("DOCKERLAB_IMAGE_ALPINE", "mirror.example:5000/alpine:3.23")
    assert is_base_name("mirror.example:5000/alpine:3.23")
