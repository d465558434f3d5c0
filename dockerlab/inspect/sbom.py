"""What is inside an image, as a software bill of materials (SBOM).

An image's package manager keeps a database of what it installed: dpkg's
``/var/lib/dpkg/status`` on Debian, apk's ``/lib/apk/db/installed`` on Alpine.
:func:`inventory` reads it (:func:`dockerlab.inspect.packages.installed`) from the image's
filesystem (streamed ``docker export`` of a container that is created, never started;
see :func:`dockerlab.inspect.filesystem.filesystem`), so nothing in the image runs and FROM
scratch images work too (they have no database, hence no packages).

The inventory becomes an SBOM in the two standard formats: CycloneDX 1.5 JSON
(:func:`cyclonedx`) and SPDX 2.3 JSON (:func:`spdx`), each package named by a
package URL (purl) such as
``pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=amd64&distro=debian-12``, the key
vulnerability scanners and databases match on. :func:`validate_cyclonedx` and
:func:`validate_spdx` check a document against the required fields and value
shapes of each specification (offline: no schema is fetched).

Example:
    >>> from dockerlab import sbom
    >>> inv = sbom.inventory("alpine:3.23")          # doctest: +SKIP
    >>> inv.table().head()                           # doctest: +SKIP
    >>> doc = sbom.cyclonedx(inv)                    # doctest: +SKIP
    >>> sbom.validate_cyclonedx(doc)                 # doctest: +SKIP
    []
"""

from __future__ import annotations

import datetime as _dt
import re
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from dockerlab.core.containers import run
from dockerlab.core.images import name_of, resolve
from dockerlab.errors import ContainerFailed
from dockerlab.inspect.filesystem import FileSystem, filesystem
from dockerlab.inspect.measuring import size_on_disk
from dockerlab.inspect.packages import Package, database, installed, parse_os_release, purl

#: Columns of :meth:`Inventory.table`.
COLUMNS = ["package", "version", "source", "source_version", "architecture", "ecosystem", "purl"]
CYCLONEDX_SCHEMA = "http://cyclonedx.org/schema/bom-1.5.schema.json"
_PROP = "dockerlab:package:"


@dataclass
class Inventory:
    """The installed packages of one image, and the distribution they belong to.

    Attributes:
        image: The reference inventoried.
        image_id: The image id (``sha256:...``).
        os_id: ``debian``, ``alpine``, ... (``/etc/os-release`` ``ID``; "" if none).
        os_version: ``12``, ``3.23.6``, ... (``VERSION_ID``; "" if none).
        os_name: A readable name (``PRETTY_NAME``), or "no operating system".
        packages: Every installed package, in database order.
        database: Which database was read: ``dpkg``, ``apk`` or ``none``.
        size_mb: The image's size on disk, in MB.
    """

    image: str
    image_id: str
    os_id: str
    os_version: str
    os_name: str
    packages: list[Package] = field(default_factory=list)
    database: str = "none"
    size_mb: float = 0.0

    @property
    def ecosystem(self) -> str:
        """``Debian``, ``Alpine`` or "" (no package database)."""
        return {"dpkg": "Debian", "apk": "Alpine"}.get(self.database, "")

    @property
    def osv_ecosystem(self) -> str:
        """The ecosystem name OSV.dev uses for this release: ``Debian:12``, ``Alpine:v3.23``."""
        if self.database == "dpkg" and self.os_version:
            return f"Debian:{self.os_version.split('.')[0]}"
        if self.database == "apk" and self.os_version:
            return "Alpine:v" + ".".join(self.os_version.split(".")[:2])
        return ""

    def table(self) -> pd.DataFrame:
        """One row per package: package, version, source, source_version,
        architecture, ecosystem, purl."""
        rows = [
            {c: getattr(p, "name" if c == "package" else c) for c in COLUMNS} for p in self.packages
        ]
        return pd.DataFrame(rows, columns=COLUMNS)

    def __len__(self) -> int:
        return len(self.packages)


#: A shell command that makes each database's own tool print the installed packages'
#: names, one a line.
MANAGER_LIST = {
    "dpkg": "dpkg-query -W -f '${db:Status-Abbrev}${Package}\\n' | sed -n 's/^ii *//p'",
    "apk": "apk --no-network info 2>/dev/null",  # no index refresh: offline as in the image
}


def listed_by_manager(inv: Inventory) -> list[str] | None:
    """The installed packages' names, sorted, as the image's own package manager lists them,
    asked in a container of the image (None where it has none): a reading independent of
    :func:`inventory`, which parses the database's file without running anything.

    Example:
        >>> len(listed_by_manager(inventory("alpine:3.23")))  # doctest: +SKIP
        16
    """
    if inv.database not in MANAGER_LIST:
        return None
    result = run(inv.image_id or inv.image, ["sh", "-c", MANAGER_LIST[inv.database]], timeout=60)
    if not result.ok:
        raise ContainerFailed(
            f"{inv.database} in {inv.image} could not list its packages: {result.output[-300:]}"
        )
    return sorted(result.output.split())


#: A shell script that makes dpkg print, for each package named in its arguments that is
#: installed, one line: the package, its installed size (dpkg's ``Installed-Size``, in KiB)
#: and the commands it puts in a bin folder (``/bin``, ``/sbin``, ``/usr/bin``, ``/usr/sbin``),
#: comma-separated.
DPKG_COMMANDS = (
    'for p in "$@"; do size=$(dpkg-query -W -f "\\${Installed-Size}" "$p") || continue; '
    'echo "$p $size $(dpkg -L "$p" | grep -E "^/(usr/)?s?bin/[^/]+$" | sed "s#.*/##" | sort -u | tr "\\n" ,)"; done'
)


def commands_by_package(
    image, packages: Sequence[str], also_in: Mapping[str, Collection[str]] | None = None
) -> pd.DataFrame:
    """Debian packages' installed size and the commands each puts on ``PATH``, as dpkg says
    in a container of the image (:data:`DPKG_COMMANDS`), and how many of those commands
    another set of names also has.

    Args:
        image: A Debian image (a reference or a :class:`~dockerlab.building.BuiltImage`).
        packages: The packages to ask about; those not installed are left out.
        also_in: Column label -> a set of command names (busybox's applets, say): each
            such column counts the package's commands that are in the set.

    Returns:
        One row per installed package, in the order asked, then a ``total`` row (the
        column sums): ``installed_mb`` (MB of 10^6 bytes, two decimals), ``commands``
        and one column per ``also_in`` label.

    Raises:
        DockerlabError: dpkg could not be asked (no dpkg in the image, say).
    """
    result = run(image, ["sh", "-c", DPKG_COMMANDS, "sh", *packages])
    if not result.ok:
        raise ContainerFailed(
            f"dpkg in {name_of(image)} could not be asked: {result.output[-300:]}"
        )
    rows = []
    for line in result.output.splitlines():
        fields = line.split(maxsplit=2)  # package, KiB, the commands (comma-separated)
        if len(fields) < 2 or not fields[1].isdigit():  # not the script's (a dpkg message)
            continue
        names = set(filter(None, fields[2].split(","))) if len(fields) > 2 else set()
        row = {
            "package": fields[0],
            "installed_mb": round(int(fields[1]) * 1024 / 1e6, 2),
            "commands": len(names),
        }
        row.update({label: len(names & set(other)) for label, other in (also_in or {}).items()})
        rows.append(row)
    table = pd.DataFrame(rows, columns=["package", "installed_mb", "commands", *(also_in or {})])
    table = table.set_index("package")
    table.loc["total"] = table.sum()
    return table


def from_filesystem(fs: FileSystem, image: str = "", image_id: str = "") -> Inventory:
    """The inventory of an image's filesystem index (see :func:`dockerlab.inspect.filesystem.filesystem`)."""
    osr = parse_os_release(fs.os_release)
    packages = installed(fs)
    return Inventory(
        image=image,
        image_id=image_id,
        os_id=osr.get("ID", ""),
        os_version=osr.get("VERSION_ID", ""),
        os_name=osr.get("PRETTY_NAME") or ("unknown" if packages else "no operating system"),
        packages=packages,
        database=database(fs),
    )


def inventory(image) -> Inventory:
    """Read an image's installed packages from its package database, without running it.

    Args:
        image: A reference or a :class:`~dockerlab.core.building.BuiltImage`.

    Raises:
        ImageNotFound: The image is not on this engine.
    """
    img = resolve(image)
    name = name_of(image)
    inv = from_filesystem(filesystem(img.id), name, img.id)
    inv.size_mb = round(size_on_disk(img.id) / 1e6, 2)
    return inv


def package_counts(inventories: Mapping[str, Inventory]) -> pd.DataFrame:
    """One row per image: packages, source packages, size, operating system."""
    rows = {
        label: {
            "packages": len(inv),
            "source_packages": len({p.source for p in inv.packages}),
            "size_mb": inv.size_mb,
            "database": inv.database,
            "os": inv.os_name,
        }
        for label, inv in inventories.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")


# ---------------------------------------------------------------- CycloneDX 1.5


def _now() -> str:
    return (
        _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    )


def _version() -> str:
    from dockerlab import __version__

    return __version__


def _component(p: Package) -> dict:
    c: dict = {"type": "library", "bom-ref": p.purl, "name": p.name, "version": p.version}
    if p.maintainer:
        c["publisher"] = p.maintainer
    if p.description:
        c["description"] = p.description
    if p.license:
        c["licenses"] = [{"license": {"name": p.license}}]
    c["purl"] = p.purl
    c["properties"] = [
        {"name": _PROP + "source", "value": p.source},
        {"name": _PROP + "source-version", "value": p.source_version},
        {"name": _PROP + "architecture", "value": p.architecture},
        {"name": _PROP + "ecosystem", "value": p.ecosystem},
    ]
    return c


def cyclonedx(
    inv: Inventory,
    *,
    extra: Sequence[Package] = (),
    serial: str | None = None,
    timestamp: str | None = None,
) -> dict:
    """The inventory as a CycloneDX 1.5 JSON document (a dict; ``json.dumps`` it).

    The image is ``metadata.component`` (type ``container``); its operating
    system is one ``operating-system`` component; every package of the database
    is one ``library`` component, identified by its purl.

    Args:
        inv: What :func:`inventory` read.
        extra: Packages the database cannot know about (a library linked
            statically into a binary, say), declared by hand.
        serial: The BOM's serial number (``urn:uuid:...``); a new one by default.
        timestamp: ISO 8601 creation time; now by default.
    """
    libraries = [_component(p) for p in [*inv.packages, *extra]]
    components = []
    if inv.os_id:
        components.append(
            {
                "type": "operating-system",
                "bom-ref": f"os:{inv.os_id}",
                "name": inv.os_id,
                "version": inv.os_version,
                "description": inv.os_name,
            }
        )
    return {
        "$schema": CYCLONEDX_SCHEMA,
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": serial or uuid.uuid4().urn,
        "version": 1,
        "metadata": {
            "timestamp": timestamp or _now(),
            "tools": {
                "components": [{"type": "application", "name": "dockerlab", "version": _version()}]
            },
            "component": {
                "type": "container",
                "bom-ref": f"image:{inv.image_id or inv.image}",
                "name": inv.image,
                "version": inv.image_id,
            },
            "properties": [{"name": "dockerlab:package-database", "value": inv.database}],
        },
        "components": components + libraries,
    }


def package_components(doc: Mapping) -> list[dict]:
    """The components of a CycloneDX document that are packages (type ``library``)."""
    return [c for c in doc.get("components", []) if c.get("type") == "library"]


#: CycloneDX 1.5: allowed component types, and the keys a BOM / component may have.
CDX_COMPONENT_TYPES = frozenset(
    {
        "application",
        "framework",
        "library",
        "container",
        "platform",
        "operating-system",
        "device",
        "device-driver",
        "firmware",
        "file",
        "machine-learning-model",
        "data",
    }
)
CDX_BOM_KEYS = frozenset(
    {
        "$schema",
        "bomFormat",
        "specVersion",
        "serialNumber",
        "version",
        "metadata",
        "components",
        "services",
        "externalReferences",
        "dependencies",
        "compositions",
        "properties",
        "vulnerabilities",
        "annotations",
        "formulation",
        "signature",
    }
)
CDX_COMPONENT_KEYS = frozenset(
    {
        "type",
        "mime-type",
        "bom-ref",
        "supplier",
        "author",
        "publisher",
        "group",
        "name",
        "version",
        "description",
        "scope",
        "hashes",
        "licenses",
        "copyright",
        "cpe",
        "purl",
        "swid",
        "modified",
        "pedigree",
        "externalReferences",
        "properties",
        "components",
        "evidence",
        "releaseNotes",
        "modelCard",
        "data",
        "signature",
    }
)
_SERIAL = re.compile(
    r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)
_PURL = re.compile(r"^pkg:[a-z.+-][a-z0-9.+-]*/[^@?#]+(@[^?#]+)?(\?[^#]*)?(#.*)?$")


def _datetime_ok(value) -> bool:
    try:
        _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def _check_component(c, where: str, refs: set[str], problems: list[str]) -> None:
    if not isinstance(c, dict):
        problems.append(f"{where}: not an object")
        return
    unknown = set(c) - CDX_COMPONENT_KEYS
    if unknown:
        problems.append(f"{where}: keys not in the 1.5 spec: {sorted(unknown)}")
    if c.get("type") not in CDX_COMPONENT_TYPES:
        problems.append(f"{where}: 'type' missing or not a 1.5 component type: {c.get('type')!r}")
    if not isinstance(c.get("name"), str) or not c.get("name"):
        problems.append(f"{where}: 'name' (required) missing or empty")
    for key in ("version", "description", "publisher", "purl", "bom-ref"):
        if key in c and not isinstance(c[key], str):
            problems.append(f"{where}: {key!r} must be a string")
    if "purl" in c and isinstance(c["purl"], str) and not _PURL.match(c["purl"]):
        problems.append(f"{where}: 'purl' is not a package URL: {c['purl']!r}")
    if "bom-ref" in c:
        if c["bom-ref"] in refs:
            problems.append(f"{where}: 'bom-ref' {c['bom-ref']!r} is not unique")
        refs.add(c["bom-ref"])
    for i, p in enumerate(c.get("properties", [])):
        if not (
            isinstance(p, dict)
            and isinstance(p.get("name"), str)
            and isinstance(p.get("value", ""), str)
        ):
            problems.append(f"{where}.properties[{i}]: needs a string 'name' (and string 'value')")
    for i, lic in enumerate(c.get("licenses", [])):
        ok = isinstance(lic, dict) and (
            (
                "license" in lic
                and isinstance(lic["license"], dict)
                and bool({"id", "name"} & set(lic["license"]))
            )
            or isinstance(lic.get("expression"), str)
        )
        if not ok:
            problems.append(
                f"{where}.licenses[{i}]: needs 'license' with 'id' or 'name', or 'expression'"
            )
    for i, sub in enumerate(c.get("components", [])):
        _check_component(sub, f"{where}.components[{i}]", refs, problems)


def validate_cyclonedx(doc: Mapping) -> list[str]:
    """Check a CycloneDX 1.5 JSON document's shape; returns the problems (none: ``[]``).

    Checks what the 1.5 JSON schema requires: ``bomFormat`` "CycloneDX",
    ``specVersion`` "1.5", no top-level or component keys outside the spec,
    the serial number's ``urn:uuid`` pattern, ``version`` >= 1, an ISO 8601
    timestamp, every component's required ``type`` (one of the spec's types) and
    ``name``, string fields, purl syntax, unique ``bom-ref``s, property and
    license shapes, and that ``dependencies`` name existing refs.
    """
    problems: list[str] = []
    if not isinstance(doc, Mapping):
        return ["the document is not a JSON object"]
    unknown = set(doc) - CDX_BOM_KEYS
    if unknown:
        problems.append(f"top-level keys not in the 1.5 spec: {sorted(unknown)}")
    if doc.get("bomFormat") != "CycloneDX":
        problems.append("'bomFormat' (required) must be 'CycloneDX'")
    if doc.get("specVersion") != "1.5":
        problems.append(f"'specVersion' (required) must be '1.5', not {doc.get('specVersion')!r}")
    if "serialNumber" in doc and not _SERIAL.match(str(doc["serialNumber"])):
        problems.append("'serialNumber' must look like urn:uuid:<RFC 4122 uuid>")
    version = doc.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append("'version' must be an integer >= 1")
    refs: set[str] = set()
    meta = doc.get("metadata", {})
    if not isinstance(meta, dict):
        problems.append("'metadata' must be an object")
        meta = {}
    if "timestamp" in meta and not _datetime_ok(meta["timestamp"]):
        problems.append("'metadata.timestamp' must be an ISO 8601 date-time")
    tools = meta.get("tools")
    if tools is not None and not isinstance(tools, (dict, list)):
        problems.append("'metadata.tools' must be an object (1.5) or a list (legacy)")
    if isinstance(tools, dict):
        for i, t in enumerate(tools.get("components", [])):
            _check_component(t, f"metadata.tools.components[{i}]", refs, problems)
    if "component" in meta:
        _check_component(meta["component"], "metadata.component", refs, problems)
    components = doc.get("components", [])
    if not isinstance(components, list):
        problems.append("'components' must be an array")
        components = []
    for i, c in enumerate(components):
        _check_component(c, f"components[{i}]", refs, problems)
    for i, d in enumerate(doc.get("dependencies", [])):
        if not isinstance(d, dict) or "ref" not in d:
            problems.append(f"dependencies[{i}]: 'ref' (required) missing")
            continue
        for r in [d["ref"], *d.get("dependsOn", [])]:
            if r not in refs:
                problems.append(f"dependencies[{i}]: {r!r} names no component")
    return problems


# ---------------------------------------------------------------- SPDX 2.3


def _spdx_id(text: str) -> str:
    return "SPDXRef-" + re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-")


def spdx(inv: Inventory, *, namespace: str | None = None, created: str | None = None) -> dict:
    """The inventory as an SPDX 2.3 JSON document (a dict).

    One SPDX package for the image (purpose ``CONTAINER``), one per installed
    package with its purl as a ``PACKAGE-MANAGER`` external reference, and the
    relationships ``DOCUMENT DESCRIBES image`` and ``image CONTAINS package``.
    Licenses are not concluded (``NOASSERTION``): the databases do not record
    them reliably.
    """
    root = _spdx_id("image-" + (inv.image_id.split(":")[-1][:12] or inv.image))
    packages = [
        {
            "name": inv.image,
            "SPDXID": root,
            "versionInfo": inv.image_id,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "primaryPackagePurpose": "CONTAINER",
        }
    ]
    relationships = [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": root,
        }
    ]
    seen: set[str] = {root}
    for p in inv.packages:
        sid = _spdx_id(f"{p.ecosystem}-{p.name}-{p.architecture}-{p.version}")
        while sid in seen:
            sid += "-x"
        seen.add(sid)
        packages.append(
            {
                "name": p.name,
                "SPDXID": sid,
                "versionInfo": p.version,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": False,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
                "sourceInfo": f"built from source package {p.source} {p.source_version}",
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": p.purl,
                    }
                ],
            }
        )
        relationships.append(
            {"spdxElementId": root, "relationshipType": "CONTAINS", "relatedSpdxElement": sid}
        )
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"sbom-{inv.image}",
        "documentNamespace": namespace or f"https://dockerlab.invalid/spdx/{uuid.uuid4()}",
        "creationInfo": {
            "created": created or _now(),
            "creators": [f"Tool: dockerlab-{_version()}"],
        },
        "packages": packages,
        "relationships": relationships,
    }


def validate_spdx(doc: Mapping) -> list[str]:
    """Check an SPDX 2.3 JSON document's required fields; returns the problems."""
    problems: list[str] = []
    for key, want in (
        ("spdxVersion", "SPDX-2.3"),
        ("dataLicense", "CC0-1.0"),
        ("SPDXID", "SPDXRef-DOCUMENT"),
    ):
        if doc.get(key) != want:
            problems.append(f"{key!r} (required) must be {want!r}")
    for key in ("name", "documentNamespace"):
        if not isinstance(doc.get(key), str) or not doc.get(key):
            problems.append(f"{key!r} (required) missing")
    if "#" in str(doc.get("documentNamespace", "")):
        problems.append("'documentNamespace' must not contain '#'")
    info = doc.get("creationInfo") or {}
    if not _datetime_ok(info.get("created", "")) or not str(info.get("created", "")).endswith("Z"):
        problems.append("'creationInfo.created' (required) must be a UTC date-time ending in Z")
    if not info.get("creators"):
        problems.append("'creationInfo.creators' (required) must name at least one creator")
    ids = {"SPDXRef-DOCUMENT"}
    for i, p in enumerate(doc.get("packages", [])):
        for key in ("name", "SPDXID", "downloadLocation"):
            if not isinstance(p.get(key), str) or not p.get(key):
                problems.append(f"packages[{i}]: {key!r} (required) missing")
        sid = str(p.get("SPDXID", ""))
        if not re.fullmatch(r"SPDXRef-[A-Za-z0-9.-]+", sid):
            problems.append(f"packages[{i}]: SPDXID {sid!r} must match SPDXRef-[A-Za-z0-9.-]+")
        if sid in ids:
            problems.append(f"packages[{i}]: SPDXID {sid!r} is not unique")
        ids.add(sid)
        for ref in p.get("externalRefs", []):
            if ref.get("referenceType") == "purl" and not _PURL.match(
                str(ref.get("referenceLocator"))
            ):
                problems.append(f"packages[{i}]: purl {ref.get('referenceLocator')!r} is malformed")
    for i, r in enumerate(doc.get("relationships", [])):
        for key in ("spdxElementId", "relatedSpdxElement"):
            if r.get(key) not in ids:
                problems.append(f"relationships[{i}]: {key} {r.get(key)!r} names no element")
    return problems


def static_package(
    name: str,
    version: str,
    *,
    source: str | None = None,
    ecosystem: str = "Debian",
    architecture: str = "amd64",
    distro: str = "debian-12",
) -> Package:
    """A package compiled into a binary (static linking): invisible to the database,
    so declared by hand for :func:`cyclonedx`'s ``extra``."""
    type_, ns = ("deb", "debian") if ecosystem == "Debian" else ("apk", "alpine")
    return Package(
        name=name,
        version=version,
        source=source or name,
        source_version=version,
        architecture=architecture,
        ecosystem=ecosystem,
        purl=purl(type_, ns, name, version, {"arch": architecture, "distro": distro}),
        description="linked statically into a binary of this image",
    )
