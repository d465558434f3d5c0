"""Package databases -> inventory -> CycloneDX 1.5 / SPDX 2.3 SBOMs (no engine)."""

from __future__ import annotations

import copy
import json
import re

import pytest
from test_packages import ALPINE_OS, APK, DEBIAN_OS, DPKG

from dockerlab.inspect import sbom
from dockerlab.inspect.filesystem import FileSystem

# The inventory table a learner reads, in this order.
SBOM_COLUMNS = [
    "package",
    "version",
    "source",
    "source_version",
    "architecture",
    "ecosystem",
    "purl",
]


@pytest.fixture
def debian():
    fs = FileSystem({}, dpkg_status=DPKG, os_release=DEBIAN_OS)
    return sbom.from_filesystem(fs, "debian:bookworm", "sha256:" + "a" * 64)


@pytest.fixture
def alpine():
    fs = FileSystem({}, apk_installed=APK, os_release=ALPINE_OS)
    return sbom.from_filesystem(fs, "alpine:3.23", "sha256:" + "b" * 64)


# ---------------------------------------------------------------- the inventory


def test_an_inventory_holds_the_installed_packages_and_their_database(debian, alpine):
    assert [p.name for p in debian.packages] == ["libc6", "login", "adduser"]
    assert len(debian) == 3
    assert debian.database == "dpkg" and debian.ecosystem == "Debian"
    assert (debian.os_id, debian.os_version) == ("debian", "12")
    assert [p.name for p in alpine.packages] == ["musl", "libssl3", "ca-certificates-bundle"]
    assert alpine.database == "apk" and alpine.ecosystem == "Alpine"
    assert alpine.os_name == "Alpine Linux v3.23"


def test_osv_ecosystems(debian, alpine):
    assert debian.osv_ecosystem == "Debian:12"
    assert alpine.osv_ecosystem == "Alpine:v3.23"
    assert sbom.from_filesystem(FileSystem({})).osv_ecosystem == ""


def test_no_database_no_packages():
    inv = sbom.from_filesystem(FileSystem({}), "scratch-app")
    assert inv.packages == [] and inv.database == "none" and inv.os_name == "no operating system"
    assert inv.table().empty and list(inv.table().columns) == SBOM_COLUMNS


def test_table_columns(debian):
    t = debian.table()
    assert list(t.columns) == SBOM_COLUMNS
    assert t.loc[0, "package"] == "libc6" and t.loc[0, "ecosystem"] == "Debian"


# ---------------------------------------------------------------- CycloneDX 1.5

SERIAL = re.compile(
    r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)


@pytest.mark.parametrize("which", ["debian", "alpine"])
def test_cyclonedx_required_fields_and_shape(which, request):
    inv = request.getfixturevalue(which)
    doc = json.loads(json.dumps(sbom.cyclonedx(inv)))  # survives JSON
    assert sbom.validate_cyclonedx(doc) == []
    # What the 1.5 schema requires, checked here directly too.
    assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.5"
    assert SERIAL.match(doc["serialNumber"]) and doc["version"] == 1
    assert doc["metadata"]["component"]["type"] == "container"
    for c in doc["components"]:
        assert c["type"] in sbom.CDX_COMPONENT_TYPES and c["name"]
    refs = [c["bom-ref"] for c in doc["components"]]
    assert len(refs) == len(set(refs))


@pytest.mark.parametrize("which", ["debian", "alpine"])
def test_cyclonedx_one_component_per_package(which, request):
    inv = request.getfixturevalue(which)
    libs = sbom.package_components(sbom.cyclonedx(inv))
    assert len(libs) == len(inv.packages)
    assert [c["purl"] for c in libs] == [p.purl for p in inv.packages]
    props = {p["name"]: p["value"] for p in libs[0]["properties"]}
    assert props["dockerlab:package:source"] == inv.packages[0].source


def test_cyclonedx_os_component_and_licenses(alpine):
    doc = sbom.cyclonedx(alpine)
    os_comp = [c for c in doc["components"] if c["type"] == "operating-system"]
    assert os_comp == [{"type": "operating-system", "bom-ref": "os:alpine", "name": "alpine",
                        "version": "3.23.6", "description": "Alpine Linux v3.23"}]  # fmt: skip
    assert sbom.package_components(doc)[0]["licenses"] == [{"license": {"name": "MIT"}}]


def test_cyclonedx_of_scratch_is_valid_and_empty():
    doc = sbom.cyclonedx(sbom.from_filesystem(FileSystem({}), "scratch-app"))
    assert sbom.validate_cyclonedx(doc) == [] and doc["components"] == []


def test_cyclonedx_extra_static_package():
    musl = sbom.static_package("musl", "1.2.3-1", source="musl")
    doc = sbom.cyclonedx(sbom.from_filesystem(FileSystem({}), "scratch-app"), extra=[musl])
    assert sbom.validate_cyclonedx(doc) == []
    assert [c["purl"] for c in doc["components"]] == [
        "pkg:deb/debian/musl@1.2.3-1?arch=amd64&distro=debian-12"
    ]


def test_cyclonedx_fixed_serial_and_timestamp(debian):
    doc = sbom.cyclonedx(debian, serial="urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
                         timestamp="2026-01-01T00:00:00Z")  # fmt: skip
    assert doc["serialNumber"].endswith("a58921a69b79")
    assert doc["metadata"]["timestamp"] == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda d: d.pop("bomFormat"), "bomFormat"),
        (lambda d: d.update(specVersion="1.4"), "specVersion"),
        (lambda d: d.update(serialNumber="1234"), "serialNumber"),
        (lambda d: d.update(version=0), "version"),
        (lambda d: d.update(extra=1), "top-level keys"),
        (lambda d: d["metadata"].update(timestamp="yesterday"), "timestamp"),
        (lambda d: d["components"][1].pop("name"), "'name'"),
        (lambda d: d["components"][1].update(type="package"), "'type'"),
        (lambda d: d["components"][1].update(arch="amd64"), "keys not in the 1.5 spec"),
        (lambda d: d["components"][1].update(purl="libc6@2.36"), "package URL"),
        (lambda d: d["components"][2].update({"bom-ref": d["components"][1]["bom-ref"]}), "unique"),
        (lambda d: d["components"][1]["properties"].append({"value": "x"}), "properties"),
        (lambda d: d["components"][1].update(licenses=[{"license": {}}]), "licenses"),
        (lambda d: d.update(dependencies=[{"ref": "nowhere"}]), "names no component"),
    ],
)
def test_validator_catches_broken_documents(debian, breakage, expected):
    doc = copy.deepcopy(sbom.cyclonedx(debian))
    breakage(doc)
    problems = sbom.validate_cyclonedx(doc)
    assert any(expected in p for p in problems), problems


# ---------------------------------------------------------------- SPDX 2.3


def test_spdx_document(debian):
    doc = json.loads(json.dumps(sbom.spdx(debian)))
    assert sbom.validate_spdx(doc) == []
    assert doc["spdxVersion"] == "SPDX-2.3" and doc["dataLicense"] == "CC0-1.0"
    root, *pkgs = doc["packages"]
    assert root["primaryPackagePurpose"] == "CONTAINER" and len(pkgs) == 3
    assert pkgs[0]["externalRefs"][0] == {
        "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
        "referenceLocator": "pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=amd64&distro=debian-12"}  # fmt: skip
    contains = [r for r in doc["relationships"] if r["relationshipType"] == "CONTAINS"]
    assert len(contains) == 3
    assert all(re.fullmatch(r"SPDXRef-[A-Za-z0-9.-]+", p["SPDXID"]) for p in doc["packages"])


def test_spdx_validator_catches_problems(alpine):
    doc = sbom.spdx(alpine)
    doc["packages"][1]["SPDXID"] = "SPDXRef-has space"
    doc["creationInfo"]["creators"] = []
    doc.pop("dataLicense")
    problems = sbom.validate_spdx(doc)
    assert any("SPDXID" in p for p in problems)
    assert any("creators" in p for p in problems)
    assert any("dataLicense" in p for p in problems)


def test_package_counts(debian, alpine):
    df = sbom.package_counts({"debian": debian, "alpine": alpine})
    assert df.loc["debian", "packages"] == 3 and df.loc["alpine", "source_packages"] == 3


# ---------------------------------------------------------------- commands by package


def test_commands_by_package_reads_dpkgs_answer(monkeypatch):
    from dockerlab.containers import RunResult

    asked = {}

    def fake_run(image, command):
        asked["image"], asked["command"] = image, command
        return RunResult(0, "coreutils 18000 cat,ls,sort,\n"
                            "dpkg-query: no packages found matching nothere\n"
                            "grep 1000 egrep,grep,\n"
                            "base-files 400 \n", 0.1)  # fmt: skip

    monkeypatch.setattr(sbom, "run", fake_run)
    table = sbom.commands_by_package("debian:trixie", ["coreutils", "nothere", "grep", "base-files"],
                                     also_in={"busybox has": {"cat", "ls", "grep", "vi"}})  # fmt: skip
    assert asked["image"] == "debian:trixie"
    assert asked["command"][:3] == ["sh", "-c", sbom.DPKG_COMMANDS]
    assert asked["command"][3:] == ["sh", "coreutils", "nothere", "grep", "base-files"]
    assert list(table.columns) == ["installed_mb", "commands", "busybox has"]
    assert list(table.index) == ["coreutils", "grep", "base-files", "total"]
    assert table.loc["coreutils"].tolist() == [round(18000 * 1024 / 1e6, 2), 3, 2]
    assert table.loc["grep"].tolist() == [1.02, 2, 1]
    assert table.loc["base-files", "commands"] == 0
    assert table.loc["total", "commands"] == 5 and table.loc["total", "busybox has"] == 3
    assert table.loc["total", "installed_mb"] == pytest.approx(18.43 + 1.02 + 0.41)


def test_commands_by_package_fails_plainly_without_dpkg(monkeypatch):
    from dockerlab.containers import RunResult

    from dockerlab.errors import DockerlabError

    monkeypatch.setattr(sbom, "run", lambda image, command: RunResult(127, "sh: dpkg-query: not found", 0.1))  # fmt: skip
    with pytest.raises(DockerlabError, match=r"dpkg in alpine:3\.23"):
        sbom.commands_by_package("alpine:3.23", ["busybox"])
