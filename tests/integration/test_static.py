"""Static vs dynamic programs on the real engine: the ELF reader on binaries built in the
builder image, the FROM scratch failure and fix, and nothing left behind."""

from __future__ import annotations

import pytest

import dockerlab as dl
from dockerlab import assets
from dockerlab.inspect import elf

BUILDS = ["glibc-dynamic", "glibc-static", "musl-dynamic", "musl-static"]
#: What the ABI of each platform names (the test's oracle; the lessons read them from
#: the images): glibc's loader, musl's loader, the ELF machine.
ABI = {
    "amd64": ("/lib64/ld-linux-x86-64.so.2", "/lib/ld-musl-x86_64.so.1", "x86-64"),
    "arm64": ("/lib/ld-linux-aarch64.so.1", "/lib/ld-musl-aarch64.so.1", "AArch64"),
}


@pytest.fixture(scope="module")
def abi(engine):
    """(glibc loader, musl loader, ELF machine) of the course's platform."""
    return ABI[dl.platform().split("/")[1]]


def stage(builder: str) -> str:
    return f"""
FROM {builder} AS build
COPY hello.c /src/hello.c
RUN mkdir /out \\
 && gcc -O2 -o /out/hello-glibc-dynamic /src/hello.c \\
 && gcc -static -O2 -o /out/hello-glibc-static /src/hello.c \\
 && musl-gcc -O2 -o /out/hello-musl-dynamic /src/hello.c \\
 && musl-gcc -static -O2 -o /out/hello-musl-static /src/hello.c
"""


@pytest.fixture(scope="module")
def binaries(bases):
    """An image holding hello built four ways (glibc/musl x dynamic/static) in /out."""
    img = dl.build(stage(bases["builder"]), {"hello.c": assets.text("hello.c")}, progress=False)
    yield img
    img.remove()


@pytest.fixture(scope="module")
def scratch_pair(bases):
    """FROM scratch images of the glibc dynamic and the musl static build (multi-stage)."""
    made = {}
    for build in ("glibc-dynamic", "musl-static"):
        dockerfile = stage(bases["builder"]) + (
            f'FROM scratch\nCOPY --from=build /out/hello-{build} /hello\nENTRYPOINT ["/hello"]\n'
        )
        made[build] = dl.build(dockerfile, {"hello.c": assets.text("hello.c")}, progress=False)
    yield made
    for img in made.values():
        img.remove()


def test_reader_tells_static_from_dynamic(binaries, abi):
    glibc_loader, musl_loader, machine = abi
    infos = {b: elf.inspect(binaries, f"/out/hello-{b}") for b in BUILDS}
    assert infos["glibc-dynamic"].interpreter == glibc_loader
    assert "libc.so.6" in infos["glibc-dynamic"].needed
    assert infos["musl-dynamic"].interpreter == musl_loader
    for b in ("glibc-static", "musl-static"):
        assert infos[b].static and infos[b].interpreter is None and infos[b].needed == ()
    for b in ("glibc-dynamic", "musl-dynamic"):
        assert infos[b].linking == "dynamic" and not infos[b].static
    assert all(i.machine == machine and i.bits == 64 for i in infos.values())
    assert infos["glibc-static"].size > infos["musl-static"].size


def test_read_file_returns_the_exact_bytes(binaries):
    data = elf.read_file(binaries, "/src/hello.c")
    assert data.decode() == assets.text("hello.c")


def test_read_file_follows_symlinks_inside_the_image(bases, abi):
    # On Debian the loader is a symlink into /lib/<arch>-linux-gnu (itself via /lib -> usr/lib).
    loader = elf.inspect(bases["debian_slim"], abi[0])
    assert loader.type == "DYN" and loader.interpreter is None
    with pytest.raises(elf.FileNotInImage, match="symlink"):
        elf.read_file(bases["debian_slim"], abi[0], follow_symlinks=False)


def test_exists_and_missing_paths(bases, abi):
    assert elf.exists(bases["alpine"], abi[1])
    assert not elf.exists(bases["alpine"], abi[0])
    assert elf.exists(bases["debian_slim"], "/usr")  # a directory exists too
    with pytest.raises(elf.FileNotInImage, match="not in the image"):
        elf.read_file(bases["alpine"], "/no/such/file")
    with pytest.raises(elf.FileNotInImage, match="directory"):
        elf.read_file(bases["alpine"], "/etc")
    with pytest.raises(dl.DockerlabError, match="over the limit"):
        elf.read_file(bases["alpine"], "/bin/busybox", max_bytes=100)
    with pytest.raises(dl.ImageNotFound):
        elf.read_file("dockerlab/no-such-image:never", "/x")
    with pytest.raises(elf.NotElf):
        elf.inspect(bases["alpine"], "/etc/os-release")


def test_dynamic_fails_from_scratch_and_static_runs(scratch_pair):
    failed = dl.run(scratch_pair["glibc-dynamic"])
    assert not failed.ok and "no such file or directory" in failed.output.lower()
    # The program is there; its loader is not.
    info = elf.inspect(scratch_pair["glibc-dynamic"], "/hello")
    assert not elf.exists(scratch_pair["glibc-dynamic"], info.interpreter)
    ran = dl.run(scratch_pair["musl-static"])
    assert ran.ok and ran.output.startswith("hello from a static binary")
    assert elf.inspect(scratch_pair["musl-static"], "/hello").static


def test_reading_leaves_no_container_behind(bases):
    before = dl.leftovers(dl.labels.SESSION_ID)["containers"]
    elf.read_file(bases["alpine"], "/etc/os-release")
    elf.exists(bases["alpine"], "/nope")
    with pytest.raises(elf.FileNotInImage):
        elf.read_file(bases["alpine"], "/nope")
    with pytest.raises(elf.FileNotInImage):
        elf.read_file(bases["alpine"], "/usr")
    assert dl.leftovers(dl.labels.SESSION_ID)["containers"] == before
