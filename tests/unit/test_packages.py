"""An image's package database: dpkg's and apk's records -> one Package each (no engine)."""

from __future__ import annotations

from datetime import datetime, timezone

from dockerlab.inspect import packages
from dockerlab.inspect.filesystem import FileSystem

DPKG = """Package: libc6
Status: install ok installed
Priority: optional
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u10
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.

Package: login
Status: install ok installed
Architecture: amd64
Source: shadow (1:4.13+dfsg1-1)
Version: 1:4.13+dfsg1-1+b1
Description: system login tools

Package: removed-one
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: adduser
Status: install ok installed
Architecture: all
Version: 3.134
Description: add and remove users and groups
"""

APK = """C:Q1abc=
P:musl
V:1.2.5-r21
A:x86_64
S:1
I:2
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
F:lib
R:ld-musl-x86_64.so.1

P:libssl3
V:3.5.4-r0
A:x86_64
T:SSL shared libraries
L:Apache-2.0
o:openssl

P:ca-certificates-bundle
V:20260909-r0
A:x86_64
L:MPL-2.0 AND MIT
o:ca-certificates
"""

DEBIAN_OS = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'
ALPINE_OS = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.23.6\nPRETTY_NAME="Alpine Linux v3.23"\n'


#: An apk database with its file lists, as apk writes them (folders, files, checksums, modes).
APK_WITH_FILES = """C:Q1musl=
P:musl
V:1.2.5-r21
A:x86_64
t:1758215632
o:musl
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1aaa=
R:libc.musl-x86_64.so.1
Z:Q1bbb=

C:Q1busybox=
P:busybox
V:1.37.0-r30
A:x86_64
F:bin
M:0:0:755
R:busybox
Z:Q1ccc=
F:etc
R:securetty
"""


# ---------------------------------------------------------------- the files


def test_os_release_parsing():
    osr = packages.parse_os_release(DEBIAN_OS + "# comment\nEMPTY=\nQ='x y'\n")
    assert osr["ID"] == "debian" and osr["VERSION_ID"] == "12" and osr["Q"] == "x y"
    assert osr["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)" and osr["EMPTY"] == ""
    assert packages.parse_os_release("") == {}


def test_dpkg_status_keeps_installed_stanzas_and_joins_continuation_lines():
    stanzas = packages.parse_dpkg_status(DPKG)
    assert [s["Package"] for s in stanzas] == ["libc6", "login", "adduser"]
    assert stanzas[0]["Description"].count("\n") == 2


def test_apk_records_keep_each_packages_fields_and_files():
    musl, busybox = packages.apk_records(APK_WITH_FILES)
    assert (musl.name, musl.version, musl.fields["C"], musl.fields["t"]) == (
        "musl", "1.2.5-r21", "Q1musl=", "1758215632")  # fmt: skip
    assert musl.folders == ("lib",)
    assert musl.files == {
        "lib/ld-musl-x86_64.so.1": "Q1aaa=",
        "lib/libc.musl-x86_64.so.1": "Q1bbb=",
    }
    assert busybox.folders == ("bin", "etc")
    assert busybox.files == {"bin/busybox": "Q1ccc=", "etc/securetty": ""}
    assert not set(busybox.fields) & {"F", "R", "Z", "a", "M"}  # the file list is not a field


def test_apk_records_write_back_as_the_database():
    records = packages.apk_records(APK_WITH_FILES)
    assert "".join(f"{r.text}\n\n" for r in records) == APK_WITH_FILES + "\n"
    only_busybox = "".join(f"{r.text}\n\n" for r in records if r.name == "busybox")
    assert [r.name for r in packages.apk_records(only_busybox)] == ["busybox"]


def test_parse_apk_installed_gives_the_named_packages_fields():
    fields = packages.parse_apk_installed(APK + "\nV:1.0\nA:x86_64\n")  # a record with no name
    assert [f["P"] for f in fields] == ["musl", "libssl3", "ca-certificates-bundle"]
    assert fields[0]["o"] == "musl" and fields[0]["L"] == "MIT" and "R" not in fields[0]


# ---------------------------------------------------------------- packages


def test_dpkg_packages_with_their_source_packages():
    libc, login, adduser = packages.installed(
        FileSystem({}, dpkg_status=DPKG, os_release=DEBIAN_OS)
    )
    assert (libc.name, libc.source, libc.source_version, libc.architecture) == (
        "libc6", "glibc", "2.36-9+deb12u10", "amd64")  # fmt: skip
    assert libc.description == "GNU C Library: Shared libraries"  # the first line only
    assert libc.maintainer.startswith("GNU Libc Maintainers")
    assert (login.source, login.source_version) == ("shadow", "1:4.13+dfsg1-1")  # a binNMU
    assert (adduser.source, adduser.source_version) == ("adduser", "3.134")  # no Source field
    assert {p.ecosystem for p in (libc, login, adduser)} == {"Debian"}
    assert libc.date is None  # dpkg records no date


def test_apk_packages_with_origin_license_and_build_time():
    musl, libssl, bundle = packages.installed(
        FileSystem({}, apk_installed=APK, os_release=ALPINE_OS)
    )
    assert [(p.name, p.source, p.license) for p in (musl, libssl, bundle)] == [
        ("musl", "musl", "MIT"), ("libssl3", "openssl", "Apache-2.0"),
        ("ca-certificates-bundle", "ca-certificates", "MPL-2.0 AND MIT")]  # fmt: skip
    assert musl.description == "the musl c library (libc) implementation"
    assert musl.ecosystem == "Alpine" and musl.source_version == musl.version == "1.2.5-r21"
    dated = packages.installed(FileSystem({}, apk_installed=APK_WITH_FILES))
    assert dated[0].date == datetime(2025, 9, 18, 17, 13, 52, tzinfo=timezone.utc)
    assert dated[1].date is None  # no t: line


def test_debian_purls():
    fs = FileSystem({}, dpkg_status=DPKG, os_release=DEBIAN_OS)
    assert [p.purl for p in packages.installed(fs)] == [
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=amd64&distro=debian-12",
        "pkg:deb/debian/login@1:4.13%2Bdfsg1-1%2Bb1?arch=amd64&distro=debian-12",
        "pkg:deb/debian/adduser@3.134?arch=all&distro=debian-12",
    ]


def test_alpine_purls():
    musl = packages.installed(FileSystem({}, apk_installed=APK, os_release=ALPINE_OS))[0]
    assert musl.purl == "pkg:apk/alpine/musl@1.2.5-r21?arch=x86_64&distro=3.23.6"
    no_release = packages.installed(FileSystem({}, apk_installed=APK))[0]
    assert no_release.purl == "pkg:apk/alpine/musl@1.2.5-r21?arch=x86_64"


def test_purl_qualifiers_sorted_and_empty_ones_dropped():
    assert packages.purl("deb", "debian", "a", "1~b", {"z": "1", "arch": "", "b": "x y"}) == (
        "pkg:deb/debian/a@1~b?b=x%20y&z=1"
    )
    assert packages.purl("apk", "alpine", "a", "1", {}) == "pkg:apk/alpine/a@1"


def test_installed_reads_whichever_database_the_image_has():
    assert packages.database(FileSystem({}, dpkg_status=DPKG)) == "dpkg"
    assert packages.database(FileSystem({}, apk_installed=APK)) == "apk"
    assert packages.database(FileSystem({})) == "none"
    assert packages.installed(FileSystem({})) == []
    both = FileSystem({}, dpkg_status=DPKG, apk_installed=APK)  # dpkg's is the one read
    assert [p.ecosystem for p in packages.installed(both)] == ["Debian"] * 3


def test_control_stanzas_read_an_apt_index_and_the_required_priority():
    index = ("Package: base-files\nPriority: required\nDescription: Debian base system\n"
             " miscellaneous files\n\nPackage: curl\nPriority: optional\n\n\n")  # fmt: skip
    stanzas = packages.control_stanzas(index)
    assert [s["Package"] for s in stanzas if s.get("Priority") == "required"] == ["base-files"]
    assert stanzas[0]["Description"] == "Debian base system\nmiscellaneous files"
    assert len(stanzas) == 2
