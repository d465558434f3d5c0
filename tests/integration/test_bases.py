"""The course's base images, as :func:`dockerlab.engines.bases.ensure` leaves them, on the real engine.

Images the kit made itself (offline, or the builder online) must say where they
came from; the course's Debian ones must be trixie (merged-/usr), the older one
bookworm, the slim one slimmed like the official one, Alpine's the minirootfs
set (3.23.6 offline, 3.24 where pulled), the builder able to compile for glibc
and musl. Every check runs in a demo container of the kit (no network, limits, every
capability dropped), removed afterwards.
"""

from __future__ import annotations

import pytest

from dockerlab.core import labels
from dockerlab.core.containers import start
from dockerlab.core.engine import client
from dockerlab.core.images import CATALOG
from dockerlab.engines import bases
from dockerlab.errors import ImageNotFound

OCI_LABELS = ("source", "description", "created", "version")


@pytest.fixture(scope="module")
def made() -> dict[str, bases.BaseResult]:
    """Catalog key -> what ensure() did (quick when the images already exist)."""
    return {result.key: result for result in bases.ensure(progress=False)}


def sh(ref: str, script: str) -> str:
    """Run ``script`` with ``sh -c`` in a demo container of ``ref``; return its stdout."""
    with start(ref, ["sh", "-c", script], memory="256m", pids=64, role="test") as box:
        status = box.container.wait(timeout=120)
        output = box.container.logs(stdout=True, stderr=False).decode()
        errors = box.container.logs(stdout=False, stderr=True).decode()
    assert status["StatusCode"] == 0, output + errors
    return output


def kit_made(result: bases.BaseResult) -> bool:
    """True if the kit made this image itself (it carries the kit's base labels)."""
    return labels.BASE in (client().images.get(result.ref).labels or {})


def test_every_catalog_image_is_there_and_says_where_it_came_from(made):
    assert set(made) == set(CATALOG)
    for key, result in made.items():
        assert result.action in ("cached", "pulled", "built", "bootstrapped")
        assert result.size_bytes > 0 and result.provenance
        if kit_made(result):
            image_labels = client().images.get(result.ref).labels
            assert image_labels[labels.BASE] == key
            assert image_labels[labels.PROVENANCE] == result.provenance
            assert image_labels[labels.RECIPE]
            for name in OCI_LABELS:
                assert image_labels[f"org.opencontainers.image.{name}"]
        else:
            assert result.provenance.startswith("pulled: ")


@pytest.mark.parametrize(
    ("key", "codename"),
    [("debian", "trixie"), ("debian_slim", "trixie"), ("builder", "trixie"),
     ("debian_old", "bookworm")],
)  # fmt: skip
def test_debian_images_are_their_release_with_normal_apt_sources(made, key, codename):
    ref = made[key].ref
    assert f"VERSION_CODENAME={codename}" in sh(ref, "cat /etc/os-release")
    sources = sh(ref, "cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true")
    assert "deb.debian.org" in sources and "file:" not in sources
    assert codename in sources
    assert sh(ref, "ls /var/lib/apt/lists /var/cache/apt/archives | grep -c deb || true") == "0\n"
    assert sh(ref, "readlink /bin /lib") == "usr/bin\nusr/lib\n"  # merged-/usr, as Debian's images
    if kit_made(made[key]):
        keyring = sh(ref, "sed -n 's/^Signed-By: //p' /etc/apt/sources.list.d/debian.sources")
        assert sh(ref, f"test -f {keyring.split()[0]} && echo ok") == "ok\n"  # apt can check


def test_slim_is_smaller_without_docs_but_keeps_copyright_files(made):
    slim = made["debian_slim"].ref
    assert made["debian_slim"].size_bytes < made["debian"].size_bytes
    assert sh(slim, "find /usr/share/doc -name 'README*' | wc -l") == "0\n"
    assert sh(slim, "find /usr/share/man /usr/share/locale -type f | wc -l") == "0\n"
    assert sh(slim, "test -f /usr/share/doc/bash/copyright && echo kept") == "kept\n"
    assert "path-exclude /usr/share/doc/*" in sh(slim, "cat /etc/dpkg/dpkg.cfg.d/docker")


def test_alpine_is_the_minirootfs_set_with_busybox_applets(made):
    ref = made["alpine"].ref
    if not kit_made(made["alpine"]):
        assert ref == CATALOG["alpine"].default  # pulled: the newest the catalog names
        pytest.skip("alpine was pulled: its package set is the registry's")
    assert ref == CATALOG["alpine"].offline  # made offline: never tagged as a newer release
    assert "VERSION_ID=3.23." in sh(ref, "cat /etc/os-release")
    assert len(sh(ref, "apk info").split()) == 16
    assert sh(ref, "readlink /bin/ls") == "/bin/busybox\n"
    assert int(sh(ref, "find /bin -type l | wc -l")) >= 80
    assert "musl libc" in sh(ref, "ldd 2>&1 || true")


def test_builder_compiles_with_gcc_and_musl_gcc(made):
    ref = made["builder"].ref
    assert "gcc" in sh(ref, "gcc --version")
    assert "musl" in sh(ref, "musl-gcc -v 2>&1")


def test_a_second_ensure_changes_nothing(made):
    before = {key: client().images.get(result.ref).id for key, result in made.items()}
    again = bases.ensure(progress=False)
    assert [result.action for result in again] == ["cached"] * len(CATALOG)
    assert {result.key: client().images.get(result.ref).id for result in again} == before


def test_a_half_written_deb_in_the_cache_is_downloaded_again(tmp_path, monkeypatch):
    """A download cut short (a full disk) must never be taken for a cached package."""
    from dockerlab.engines.bases import debian

    monkeypatch.setenv("DOCKERLAB_CACHE", str(tmp_path))
    [deb] = debian.fetch(["busybox"], say=lambda message: None)
    whole = deb.read_bytes()
    deb.write_bytes(whole[: len(whole) // 2])
    said = []
    assert debian.fetch(["busybox"], say=said.append) == [deb]
    assert deb.read_bytes() == whole
    assert said and "downloading 1 of 1" in said[0]


def test_a_base_is_pulled_when_its_registry_answers(tmp_path, monkeypatch, bases):
    """The online path, as on a learner's laptop: a real registry serves the image, the
    engine pulls it. Here the registry is a local one standing in for a classroom mirror
    (``DOCKERLAB_IMAGE_ALPINE=host:port/...``); the engine starts empty."""
    from spare_engine import spare_engine

    import dockerlab as dl
    from dockerlab.registry.server import LocalRegistry

    with LocalRegistry() as reg, spare_engine(tmp_path / "empty") as empty:
        pushed = reg.push(bases["alpine"], "mirror/alpine", "3.23")
        monkeypatch.setenv("DOCKER_HOST", empty.host)
        monkeypatch.setenv("DOCKERLAB_IMAGE_ALPINE", pushed.ref)
        dl.engine.reset()
        try:
            [result] = bases_ensure(["alpine"])
            assert result.action == "pulled" and result.ref == pushed.ref
            made = empty.client().images.get(pushed.ref).labels[labels.PROVENANCE]
            assert result.provenance == f"{made}; pulled: {pushed.pinned}"
            assert dl.run(dl.ref("alpine"), ["cat", "/etc/alpine-release"]).output.startswith(
                "3.23"
            )
            assert [r.action for r in bases_ensure(["alpine"])] == ["cached"]
            empty.client().images.remove(pushed.ref)
            said: list[str] = []  # what `make bases` or `prefetch` shows while pulling
            dl.bases.pull(pushed.ref, said.append)
            assert any(line.endswith(": Pull complete") for line in said), said
            assert said[-1] == f"Status: Downloaded newer image for {pushed.ref}"
        finally:
            monkeypatch.undo()
            dl.engine.reset()


def test_an_override_whose_registry_is_down_says_so(monkeypatch):
    from dockerlab.registry.server import free_port

    monkeypatch.setenv("DOCKERLAB_IMAGE_ALPINE", f"127.0.0.1:{free_port()}/mirror/alpine:3.23")
    with pytest.raises(ImageNotFound, match="its registry is not reachable"):
        bases_ensure(["alpine"])


def bases_ensure(keys):
    return bases.ensure(keys, progress=False)


def test_every_base_is_for_the_course_platform(made):
    # On an Apple Silicon Mac (or DOCKERLAB_PLATFORM=linux/arm64, emulated) every base is arm64.
    from dockerlab.core.engine import platform

    arch = platform().split("/")[1]
    assert {k: client().images.get(r.ref).attrs["Architecture"] for k, r in made.items()} == {
        k: arch for k in made
    }
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(arch, arch)
    assert sh(made["alpine"].ref, "uname -m") == f"{machine}\n"
    assert sh(made["debian"].ref, "dpkg --print-architecture") == f"{arch}\n"


def test_another_engine_imports_the_tree_made_before_instead_of_bootstrapping(
    made, tmp_path, monkeypatch, capsys
):
    # make test runs three engines: each one bootstrapping Debian again cost minutes.
    from spare_engine import spare_engine

    from dockerlab.core import engine

    if bases._kept_rootfs(CATALOG["alpine"]) is None:
        pytest.skip("alpine was not made offline on this machine")
    with spare_engine(tmp_path / "spare") as other:
        monkeypatch.setenv("DOCKER_HOST", other.host)
        engine.reset()
        try:
            [result] = bases.ensure(["alpine"])
            image = client().images.get(result.ref)
            assert result.action == "bootstrapped"
            assert image.labels[labels.PROVENANCE] == made["alpine"].provenance
            assert image.attrs["Architecture"] == engine.platform().split("/")[1]
        finally:
            monkeypatch.undo()
            engine.reset()
    assert "importing the tree this machine made before" in capsys.readouterr().out
