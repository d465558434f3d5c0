"""Reading packages, commands and layers from a filesystem index (no engine)."""

import io
import tarfile

import pytest

from dockerlab.inspect.filesystem import FileSystem
from dockerlab.inspect.measuring import commands_on_path, count_packages, makes_layer


def _entry(name, kind=tarfile.REGTYPE, mode=0o755, link=""):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.linkname = kind, mode, link
    return info


@pytest.fixture
def merged_usr():
    """A Debian-like tree: /bin -> usr/bin, a shell, a symlinked shell, a non-executable file."""
    entries = [
        _entry("/bin", tarfile.SYMTYPE, link="usr/bin"),
        _entry("/usr", tarfile.DIRTYPE),
        _entry("/usr/bin", tarfile.DIRTYPE),
        _entry("/usr/bin/bash"),
        _entry("/usr/bin/dash"),
        _entry("/usr/bin/sh", tarfile.SYMTYPE, link="dash"),
        _entry("/usr/bin/readme", mode=0o644),
        _entry("/usr/bin/dangling", tarfile.SYMTYPE, link="/nowhere"),
    ]
    return FileSystem({e.name: e for e in entries})


def test_resolve_follows_directory_and_file_links(merged_usr):
    assert merged_usr.resolve("/bin/sh") == "/usr/bin/dash"
    assert merged_usr.resolve("/bin/bash") == "/usr/bin/bash"


def test_commands_are_executables_reachable_on_path(merged_usr):
    assert commands_on_path(merged_usr) == {"bash", "dash", "sh"}


def test_symlink_loops_do_not_hang():
    a = _entry("/a", tarfile.SYMTYPE, link="/b")
    b = _entry("/b", tarfile.SYMTYPE, link="/a")
    fs = FileSystem({"/a": a, "/b": b})
    assert fs.resolve("/a") in ("/a", "/b")


def test_count_packages_from_dpkg_and_apk():
    dpkg = "Package: a\nStatus: install ok installed\n\nPackage: b\nStatus: deinstall ok config-files\n"
    assert count_packages(FileSystem({}, dpkg_status=dpkg)) == 1
    apk = "C:Q1x\nP:musl\nV:1.2\n\nC:Q1y\nP:busybox\nV:1.37\n"
    assert count_packages(FileSystem({}, apk_installed=apk)) == 2
    assert count_packages(FileSystem({})) == 0


@pytest.mark.parametrize(
    ("created_by", "size", "layer"),
    [
        ("/bin/sh -c #(nop)  ENV A=b", 0, False),
        ("/bin/sh -c #(nop) COPY file:abc in / ", 0, True),
        ("/bin/sh -c true", 0, True),
        ("|1 X=y /bin/sh -c make", 0, True),
        ("ENV A=b", 0, False),
        ("RUN /bin/sh -c true # buildkit", 0, True),
        ("", 117_000_000, True),
    ],
)
def test_which_history_entries_make_layers(created_by, size, layer):
    assert makes_layer(created_by, size) is layer


def test_tar_round_trip_of_filesystem_index():
    """FileSystem is built from tar members: check the member fields we rely on."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("usr/bin/su")
        info.mode = 0o4755
        tar.addfile(info, io.BytesIO(b""))
    buf.seek(0)
    with tarfile.open(fileobj=buf) as tar:
        member = tar.getmember("usr/bin/su")
    assert member.mode & 0o4000 and member.isfile()
