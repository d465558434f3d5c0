"""An image's package database: what its package manager says it installed.

Debian's dpkg keeps ``/var/lib/dpkg/status``, one stanza of ``Field: value`` lines per
package; Alpine's apk keeps ``/lib/apk/db/installed``, one record of ``X:value`` lines per
package, its files listed after its own fields. :func:`installed` reads whichever one an
image's filesystem has (see :func:`dockerlab.inspect.filesystem.filesystem`) into one
:class:`Package` per installed package; an image with neither (``FROM scratch``) has none.

The readers of each file are here too, for the lessons that need more of a record:
:func:`parse_dpkg_status`, :func:`apk_records` (with each package's files, which the
offline Alpine base copies) and :func:`parse_os_release`.

Example:
    >>> from dockerlab import measuring, packages
    >>> fs = filesystem.filesystem("alpine:3.23")                 # doctest: +SKIP
    >>> packages.database(fs)                                      # doctest: +SKIP
    'apk'
    >>> musl = [p for p in packages.installed(fs) if p.name == "musl"]  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from dockerlab.inspect.filesystem import FileSystem

#: apk's keys for the file list that follows a package's own fields: a folder (``F``),
#: a file in it (``R``), the file's checksum (``Z``), and their owners and modes (``a``, ``M``).
APK_FILE_KEYS = frozenset("FRZaM")


@dataclass(frozen=True)
class Package:
    """One installed package, as its package database records it.

    Attributes:
        name: The binary package's name (``libc6``, ``musl``).
        version: Its installed version (``2.36-9+deb12u10``, ``1.2.5-r21``).
        date: When this version was built, where the database records it (apk's build
            time); None where it does not (dpkg records no date).
        source: The source package it was built from (``glibc``; apk's origin); security
            advisories (Debian's, Alpine's, OSV.dev) are filed under this name.
        source_version: The source package's version (usually ``version``; differs for
            binary-only rebuilds such as ``+b1``).
        architecture: ``amd64``/``all`` (Debian) or ``x86_64``/``noarch`` (Alpine).
        ecosystem: ``Debian`` or ``Alpine``.
        purl: Its package URL (see :func:`purl`).
        license: The declared license, where the database records one (apk does).
        maintainer: Who maintains it.
        description: One line.
    """

    name: str
    version: str
    date: datetime | None = None
    source: str = ""
    source_version: str = ""
    architecture: str = ""
    ecosystem: str = ""
    purl: str = ""
    license: str = ""
    maintainer: str = ""
    description: str = ""


@dataclass(frozen=True)
class ApkRecord:
    """One package's record in apk's ``installed`` database, as apk wrote it.

    Attributes:
        text: The record's lines as they are in the database (without the blank line
            that ends it), so a database can be written back with only some records.
        fields: The package's own fields by apk's one-letter key, the first of each:
            ``P`` name, ``V`` version, ``A`` architecture, ``o`` origin (source package),
            ``L`` license, ``m`` maintainer, ``T`` description, ``t`` build time (Unix
            seconds), ``C`` the package's checksum (which names its triggers), ...
        folders: Its folders (``F:``), in order.
        files: Each of its files (an ``F:`` folder and an ``R:`` name) -> the checksum
            apk recorded for it (``Z:``; "" if none).
    """

    text: str
    fields: dict[str, str] = field(default_factory=dict)
    folders: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The package's name (``P:``)."""
        return self.fields.get("P", "")

    @property
    def version(self) -> str:
        """The package's version (``V:``)."""
        return self.fields.get("V", "")


# ---------------------------------------------------------------- reading the files


def parse_os_release(text: str) -> dict[str, str]:
    """``/etc/os-release`` as a dict (``ID``, ``VERSION_ID``, ``PRETTY_NAME``...)."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def control_stanzas(text: str) -> list[dict[str, str]]:
    """The stanzas of a Debian control file (dpkg's status, an apt ``Packages`` index):
    field -> value, continuation lines (starting with a space) joined to their field."""
    stanzas = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if fields:
            stanzas.append(fields)
    return stanzas


def parse_dpkg_status(text: str) -> list[dict[str, str]]:
    """The stanzas of a dpkg status file whose Status is ``install ok installed``."""
    return [
        f
        for f in control_stanzas(text)
        if f.get("Package") and f.get("Status", "").endswith("install ok installed")
    ]


def _apk_record(lines: list[str]) -> ApkRecord:
    fields: dict[str, str] = {}
    folders: list[str] = []
    files: dict[str, str] = {}
    folder = path = ""
    for line in lines:
        if line[1:2] != ":":
            continue
        key, value = line[0], line[2:]
        if key == "F":
            folder = value
            folders.append(value)
        elif key == "R":
            path = f"{folder}/{value}" if folder else value
            files[path] = ""
        elif key == "Z" and path:
            files[path] = value
        elif key not in APK_FILE_KEYS:
            fields.setdefault(key, value)
    return ApkRecord("\n".join(lines), fields, tuple(folders), files)


def apk_records(text: str) -> list[ApkRecord]:
    """Every record of an apk ``installed`` database, in the database's order."""
    records, lines = [], []
    for line in [*text.splitlines(), ""]:
        if line.strip():
            lines.append(line)
        elif lines:
            records.append(_apk_record(lines))
            lines = []
    return records


def parse_apk_installed(text: str) -> list[dict[str, str]]:
    """The fields of each package of an apk ``installed`` database (see :class:`ApkRecord`).

    Keys are apk's one-letter field names: ``P`` name, ``V`` version, ``A``
    architecture, ``o`` origin (source package), ``L`` license, ``m``
    maintainer, ``T`` description, ``t`` build time. File lists (``F``/``R``/``Z``...)
    are left out; so are records without a name.
    """
    return [dict(r.fields) for r in apk_records(text) if r.name]


# ---------------------------------------------------------------- packages


def purl(type_: str, namespace: str, name: str, version: str, qualifiers: Mapping[str, str]) -> str:
    """A package URL (purl spec): ``pkg:TYPE/NAMESPACE/NAME@VERSION?k=v&...``.

    Name, version and qualifier values are percent-encoded (``+`` becomes
    ``%2B``; the ``:`` of a Debian epoch stays); qualifiers are sorted by key
    and empty ones left out, as the spec requires.

    Example:
        >>> purl("deb", "debian", "login", "1:4.13+dfsg1-1", {"distro": "debian-12", "arch": "amd64"})
        'pkg:deb/debian/login@1:4.13%2Bdfsg1-1?arch=amd64&distro=debian-12'
    """
    q = "&".join(f"{k}={quote(v, safe=':')}" for k, v in sorted(qualifiers.items()) if v)
    out = f"pkg:{type_}/{namespace}/{quote(name, safe='')}@{quote(version, safe=':')}"
    return f"{out}?{q}" if q else out


_SOURCE = re.compile(r"^(\S+)(?:\s+\((\S+)\))?$")


def packages_from_dpkg_status(status: str, os_version: str) -> list[Package]:
    """Packages from a dpkg status file's text (``os_version``: ``12``)."""
    distro = f"debian-{os_version.split('.')[0]}" if os_version else ""
    out = []
    for f in parse_dpkg_status(status):
        name, version, arch = f["Package"], f.get("Version", ""), f.get("Architecture", "")
        m = _SOURCE.match(f.get("Source", "").strip())
        source, source_version = (m.group(1), m.group(2) or version) if m else (name, version)
        out.append(
            Package(
                name=name,
                version=version,
                source=source,
                source_version=source_version,
                architecture=arch,
                ecosystem="Debian",
                purl=purl("deb", "debian", name, version, {"arch": arch, "distro": distro}),
                maintainer=f.get("Maintainer", ""),
                description=f.get("Description", "").split("\n", 1)[0],
            )
        )
    return out


def _unix_time(value: str) -> datetime | None:
    return datetime.fromtimestamp(int(value), timezone.utc) if value.isdigit() else None


def packages_from_apk_installed(installed: str, os_version: str) -> list[Package]:
    """Packages from an apk ``installed`` database's text (``os_version``: ``3.23.6``)."""
    out = []
    for r in parse_apk_installed(installed):
        name, version, arch = r["P"], r.get("V", ""), r.get("A", "")
        out.append(
            Package(
                name=name,
                version=version,
                date=_unix_time(r.get("t", "")),
                source=r.get("o") or name,
                source_version=version,
                architecture=arch,
                ecosystem="Alpine",
                purl=purl("apk", "alpine", name, version, {"arch": arch, "distro": os_version}),
                license=r.get("L", ""),
                maintainer=r.get("m", ""),
                description=r.get("T", ""),
            )
        )
    return out


def database(fs: FileSystem) -> str:
    """Which package database an image's filesystem has: ``dpkg``, ``apk`` or ``none``."""
    if fs.dpkg_status:
        return "dpkg"
    if fs.apk_installed:
        return "apk"
    return "none"


def installed(fs: FileSystem) -> list[Package]:
    """Every installed package of an image's filesystem, in its database's order.

    Read from dpkg's database if the image has one, else from apk's; none if it has
    neither. The release in ``/etc/os-release`` goes into each package URL.

    Args:
        fs: The image's filesystem index (:func:`dockerlab.inspect.filesystem.filesystem`).
    """
    version = parse_os_release(fs.os_release).get("VERSION_ID", "")
    kind = database(fs)
    if kind == "dpkg":
        return packages_from_dpkg_status(fs.dpkg_status, version)
    if kind == "apk":
        return packages_from_apk_installed(fs.apk_installed, version)
    return []
