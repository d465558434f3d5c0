"""Classroom preparation: bundle the course's images into one archive and load it."""

import os
import subprocess
import sys
import tarfile

import pytest

import dockerlab as dl
from dockerlab.classroom import workshop
from dockerlab.registry import image as registry_image


def test_bundle_then_load_round_trips_an_image(engine, bases, tmp_path):
    archive = tmp_path / "course.tar"
    entries = workshop.bundle(archive, [bases["alpine"]])
    assert [e.ref for e in entries] == [bases["alpine"]]
    assert entries[0].provenance == dl.provenance("alpine")
    with tarfile.open(archive) as t:
        assert workshop.MANIFEST in t.getnames() and entries[0].member in t.getnames()
    before = engine.images.get(bases["alpine"]).id
    assert workshop.load(archive) == [bases["alpine"]]
    assert engine.images.get(bases["alpine"]).id == before  # the very same image, labels and all
    assert not (tmp_path / "course.tar.part").exists()


def test_loading_something_else_is_a_clear_error(engine, tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(os.urandom(4096))
    p = subprocess.run([sys.executable, "-m", "dockerlab", "load", str(junk)], capture_output=True,
                       text=True, timeout=60)  # fmt: skip
    assert p.returncode == 2 and "not a bundle" in p.stderr and "Traceback" not in p.stderr


def test_bundle_of_a_missing_image_names_it(engine, tmp_path):
    p = subprocess.run([sys.executable, "-c", "from dockerlab import workshop; "
                        "workshop.bundle('x.tar', ['dockerlab/absent:1'])"], capture_output=True,
                       text=True, timeout=60, cwd=tmp_path)  # fmt: skip
    assert "dockerlab/absent:1" in p.stderr and not (tmp_path / "x.tar").exists()


def test_prefetch_offline_says_what_to_do_instead(engine):
    if dl.registry_reachable():
        pytest.skip("a registry answers here: prefetch would really pull")
    p = subprocess.run([sys.executable, "-m", "dockerlab", "prefetch"], capture_output=True,
                       text=True, timeout=60)  # fmt: skip
    assert p.returncode == 2 and "bases" in p.stderr and "load FILE" in p.stderr


def test_a_bundle_holds_the_lessons_registry_image(engine, bases):
    # offline, a learner who cannot make the registry image (a Mac) loads it from the bundle
    made = registry_image.registry_image()
    assert made in workshop.registry_images()
