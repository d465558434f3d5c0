"""The catalog's overrides, the label namespace and the error messages (no engine)."""

import os

import pytest

from dockerlab import errors, labels
from dockerlab.images import CATALOG, ref


def test_catalog_has_the_course_images():
    assert {"debian", "debian_slim", "alpine", "builder"} <= set(CATALOG)
    assert ref("alpine") == "alpine:3.23" or ref("alpine") == CATALOG["alpine"].ref


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
