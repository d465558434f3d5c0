"""Notebook 02's readers of what an Alpine and a Debian container print about busybox and
their C libraries (dockerlab.lessons.busybox), on output shaped as the containers print it."""

from __future__ import annotations

from dockerlab.lessons import busybox


def test_links_binary_and_applets_are_read():
    out = "/bin/ls 1234\n/usr/bin/vi 1234\n/bin/sh 1234\nBINARY 1234 808712\nAPPLETS 402\n"
    bb = busybox.parse_links(out)
    assert bb.links == {"/bin/ls": "1234", "/usr/bin/vi": "1234", "/bin/sh": "1234"}
    assert (bb.inode, bb.size, bb.applets) == ("1234", 808712, 402)


def test_libc_rows_and_sizes():
    musl = "/lib/ld-musl-x86_64.so.1 659800\npackage 675840\n"
    glibc = (
        "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 236616\n"
        "/lib/x86_64-linux-gnu/libc.so.6 2003408\n"
        "/lib/x86_64-linux-gnu/libm.so.6 913224\n"
        "package 13193216\n"
    )
    df = busybox.parse_libc(musl, glibc)
    assert list(df.columns) == ["libc", "file", "path", "bytes", "MB"]
    assert list(df["file"]) == ["ld-musl-x86_64.so.1", "package", "ld-linux-x86-64.so.2",
                                "libc.so.6", "libm.so.6", "package"]  # fmt: skip
    sizes = busybox.libc_sizes(df)
    assert sizes.musl_so == 659800 and sizes.musl_package == 675840
    assert sizes.glibc_core == 236616 + 2003408  # the loader and libc.so.6, not libm
    assert sizes.glibc_package == 13193216
