"""The course's platform setting: what it accepts, and what follows from it without an engine."""

import pytest

import dockerlab as dl
from dockerlab.engines import private as private_engine
from dockerlab.engines.bases import alpine, debian


@pytest.mark.parametrize("value", ["arm64", "linux", "windows/amd64", "linux//v8", "linux/"])
def test_a_platform_that_is_not_linux_arch_is_refused_with_the_fix(monkeypatch, value):
    monkeypatch.setenv("DOCKERLAB_PLATFORM", value)
    with pytest.raises(dl.DockerlabError, match="linux/<arch>") as info:
        dl.engine.requested_platform()
    assert "Unset DOCKERLAB_PLATFORM" in info.value.hint


def test_unset_means_the_engines_own(monkeypatch):
    monkeypatch.delenv("DOCKERLAB_PLATFORM", raising=False)
    assert dl.engine.requested_platform() is None


def test_arm64_bases_use_their_own_apt_lists_and_wheel(monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PLATFORM", "linux/arm64")
    assert debian.target_arch() == "arm64"
    assert debian.foreign() == (private_engine.machine_arch() != "arm64")
    if debian.foreign():
        assert debian.apt_dir("trixie").name == "apt-trixie-arm64"
    pinned = alpine.disk()
    assert pinned.pip_platform == "manylinux_2_17_aarch64"
    assert pinned.loader == "lib/ld-musl-aarch64.so.1" and "arm64" in pinned.disk


def test_the_machines_own_platform_keeps_the_cache_it_had(monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PLATFORM", f"linux/{private_engine.machine_arch()}")
    assert not debian.foreign() and debian.apt_dir("trixie").name == "apt-trixie"


def test_no_offline_images_for_an_architecture_the_kit_does_not_know(monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PLATFORM", "linux/s390x")
    with pytest.raises(dl.errors.BootstrapFailed, match="not s390x"):
        debian.target_arch()


def test_the_arm64_profile_has_its_own_engine_and_platform():
    assert private_engine.PROFILE_PLATFORM["28-arm64"] == "linux/arm64"
    assert private_engine.engine_dir("28-arm64") != private_engine.engine_dir("28")
    assert private_engine.socket_path("28-arm64") != private_engine.socket_path("28")
