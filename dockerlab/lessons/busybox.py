"""Alpine's busybox and musl (notebook 02): what the container itself says of its files.

:func:`busybox_links` asks an Alpine container which of its symbolic links lead to
``/bin/busybox`` and which inode they land on; :func:`libc_files` reads each C library's
files and package size from its own image (musl's loader, glibc's files from the loader's
cache, the package databases' records). Both only read: nothing in the images changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dockerlab.core.containers import run
from dockerlab.errors import ContainerFailed

#: In an Alpine container: each link that ends at /bin/busybox and the inode it lands on,
#: then busybox's own inode and size, then how many applets it has.
_LINKS = (
    "find / -xdev -type l | while read -r f; do "
    '[ "$(readlink -f "$f")" = /bin/busybox ] && echo "$f $(stat -L -c %i "$f")"; done; '
    'echo "BINARY $(stat -c %i /bin/busybox) $(stat -c %s /bin/busybox)"; '
    "echo APPLETS $(busybox --list | wc -l)"
)
#: musl's one file (loader and C library) and its package's installed size (apk's record).
_MUSL = (
    "stat -c '%n %s' /lib/ld-musl-*.so.1; "
    "awk '/^P:musl$/{p=1} p&&/^I:/{print \"package \" substr($0,3); exit}' /lib/apk/db/installed"
)
#: glibc's loader and main libraries as the loader's cache lists them, and libc6's
#: installed size (dpkg's record, in KiB).
_GLIBC = (
    "ldconfig -p | awk '$1 ~ /^(libc[.]so[.]6|ld-linux.*|libm[.]so[.]6|libresolv[.]so[.]2)$/"
    " {print $NF}' | sort -u | xargs stat -L -c '%n %s'; "
    "echo package $(( $(dpkg-query -W -f '${Installed-Size}' libc6) * 1024 ))"
)


@dataclass(frozen=True)
class BusyboxLinks:
    """What an Alpine container says of busybox.

    Attributes:
        links: Each symbolic link that leads to /bin/busybox -> the inode it lands on.
        inode: /bin/busybox's own inode.
        size: /bin/busybox's size in bytes.
        applets: How many applets (commands) busybox has compiled in.
    """

    links: dict[str, str]
    inode: str
    size: int
    applets: int


def parse_links(output: str) -> BusyboxLinks:
    """Read what :data:`_LINKS` printed.

    Example:
        >>> parse_links("/bin/ls 12\\n/bin/cp 12\\nBINARY 12 800000\\nAPPLETS 300\\n").applets
        300
    """
    lines = output.split("\n")
    links = dict(line.split() for line in lines if line.startswith("/"))
    _, inode, size = next(line for line in lines if line.startswith("BINARY")).split()
    applets = int(next(line for line in lines if line.startswith("APPLETS")).split()[1])
    return BusyboxLinks(links, inode, int(size), applets)


def busybox_links(image: str) -> BusyboxLinks:
    """Ask an Alpine container which links lead to busybox (see :class:`BusyboxLinks`).

    Raises:
        ContainerFailed: The container could not answer (not an image with busybox).
    """
    result = run(image, ["sh", "-c", _LINKS])
    if "BINARY" not in result.output or "APPLETS" not in result.output:
        raise ContainerFailed(f"{image} did not say where busybox is: {result.output[-300:]}")
    return parse_links(result.output)


def parse_libc(musl: str, glibc: str) -> pd.DataFrame:
    """One row per file (and one ``package`` row) of each C library: ``libc``, ``file``,
    ``path``, ``bytes``, ``MB``, from what :data:`_MUSL` and :data:`_GLIBC` printed."""
    rows = [("musl", *line.split()) for line in musl.splitlines() if line.strip()]
    rows += [("glibc", *line.split()) for line in glibc.splitlines() if line.strip()]
    df = pd.DataFrame(rows, columns=["libc", "path", "bytes"]).astype({"bytes": int})
    df.insert(1, "file", df["path"].str.rsplit("/", n=1).str[-1])
    df["MB"] = (df["bytes"] / 1e6).round(2)
    return df


def libc_files(alpine: str, debian: str) -> pd.DataFrame:
    """musl's files in ``alpine`` and glibc's in ``debian``, read in each image (see
    :func:`parse_libc`).

    Raises:
        ContainerFailed: An image could not answer.
    """
    musl, glibc = run(alpine, ["sh", "-c", _MUSL]), run(debian, ["sh", "-c", _GLIBC])
    for image, result in ((alpine, musl), (debian, glibc)):
        if "package" not in result.output:
            raise ContainerFailed(f"{image} did not list its C library: {result.output[-300:]}")
    return parse_libc(musl.output, glibc.output)


@dataclass(frozen=True)
class LibcSizes:
    """The C libraries' sizes in bytes: loader + libc, and each whole package."""

    musl_so: int
    glibc_core: int
    musl_package: int
    glibc_package: int


def libc_sizes(files: pd.DataFrame) -> LibcSizes:
    """Sum :func:`libc_files`' rows: musl's one file against glibc's loader and libc.so.6,
    and each package's installed size."""
    musl, glibc = files[files["libc"] == "musl"], files[files["libc"] == "glibc"]
    core = glibc[(glibc["file"] == "libc.so.6") | glibc["file"].str.startswith("ld-linux")]
    return LibcSizes(
        musl_so=int(musl[musl["file"] != "package"]["bytes"].sum()),
        glibc_core=int(core["bytes"].sum()),
        musl_package=int(musl[musl["file"] == "package"]["bytes"].item()),
        glibc_package=int(glibc[glibc["file"] == "package"]["bytes"].item()),
    )


__all__ = [
    "BusyboxLinks",
    "LibcSizes",
    "busybox_links",
    "libc_files",
    "libc_sizes",
    "parse_libc",
    "parse_links",
]
