"""Inventories and SBOMs of real images on the engine; OSV lookups against a local server."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import dockerlab as dl
from dockerlab import assets
from dockerlab.inspect import sbom, vulns
from dockerlab.inspect.filesystem import filesystem
from dockerlab.inspect.measuring import count_packages

pytestmark = pytest.mark.engine

# The local OSV-shaped server of the unit tests (tests/ is not a package).
_spec = importlib.util.spec_from_file_location(
    "osv_test_server", Path(__file__).resolve().parents[1] / "unit" / "test_vulns.py"
)
osv_test_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(osv_test_server)


@pytest.fixture(scope="module")
def inventories(bases):
    return {key: sbom.inventory(bases[key]) for key in ("debian", "debian_slim", "alpine")}


@pytest.fixture(scope="module")
def scratch_app(bases):
    dockerfile = f"""
FROM {bases["builder"]} AS build
COPY hello.c /src/hello.c
RUN musl-gcc -static -Os -o /hello /src/hello.c && strip /hello

FROM scratch
COPY --from=build /hello /hello
ENTRYPOINT ["/hello"]
"""
    img = dl.build(dockerfile, {"hello.c": assets.text("hello.c")}, progress=False)
    yield img
    img.remove()


def test_one_package_per_database_entry(inventories, bases):
    for key, inv in inventories.items():
        assert len(inv) == count_packages(filesystem(bases[key])) > 0, key


def test_distributions_and_purls(inventories, bases):
    deb, alp = inventories["debian"], inventories["alpine"]
    # The catalog's Debian (13 trixie since issue 16), as the image itself says.
    v = dl.run(bases["debian"], ["sh", "-c", ". /etc/os-release; echo $VERSION_ID"]).output.strip()
    assert v.isdigit() and (deb.os_id, deb.os_version, deb.osv_ecosystem) == (
        "debian",
        v,
        f"Debian:{v}",
    )
    assert (
        alp.os_id == "alpine"
        and alp.os_version.startswith("3.23")
        and alp.osv_ecosystem == "Alpine:v3.23"
    )
    libc6 = next(p for p in deb.packages if p.name == "libc6")
    assert libc6.source == "glibc" and libc6.purl.startswith("pkg:deb/debian/libc6@")
    assert libc6.purl.endswith(f"?arch=amd64&distro=debian-{v}")
    musl = next(p for p in alp.packages if p.name == "musl")
    assert musl.purl == f"pkg:apk/alpine/musl@{musl.version}?arch=x86_64&distro={alp.os_version}"
    assert {p.ecosystem for p in deb.packages} == {"Debian"}


def test_sboms_of_real_images_are_valid(inventories):
    for key, inv in inventories.items():
        doc = sbom.cyclonedx(inv)
        assert sbom.validate_cyclonedx(doc) == [], key
        assert len(sbom.package_components(doc)) == len(inv), key
        assert sbom.validate_spdx(sbom.spdx(inv)) == [], key


def test_package_counts_order(inventories, scratch_app):
    scratch = sbom.inventory(scratch_app)
    assert scratch.database == "none" and len(scratch) == 0
    assert len(scratch) < len(inventories["alpine"]) < len(inventories["debian_slim"])
    assert len(inventories["debian_slim"]) <= len(inventories["debian"])


def test_osv_lookup_of_a_real_inventory_against_a_local_server(inventories):
    alp = inventories["alpine"]
    ssl = next(p for p in alp.packages if p.name == "libssl3")
    record = osv_test_server.osv_record(
        "ALPINE-TEST-0001", ssl.source, alp.osv_ecosystem, [ssl.source_version],
        fixed=ssl.source_version + "9", cvss=osv_test_server.HIGH,
    )  # fmt: skip
    with osv_test_server.LocalOSV({"ALPINE-TEST-0001": record}) as server:
        df = vulns.osv_findings(alp, vulns.OSVClient(server.url, timeout=5))
    carriers = {p.name for p in alp.packages if p.source == ssl.source}
    assert set(df["package"]) == carriers and {"libssl3", "libcrypto3"} <= carriers
    assert set(df["severity"]) == {"HIGH"}
    counts = vulns.severity_counts({"alpine": df})
    assert counts.loc["alpine", "HIGH"] == 1


def test_scanner_detection_runs_quickly():
    table = vulns.scanner_table()
    assert "docker scan" in table.index and "trivy" in table.index


def test_inventory_matches_the_package_managers_own_listing(inventories, bases):
    """What the image's own dpkg and apk say, asked inside a container, is what the SBOM lists."""
    for key in ("debian", "alpine"):
        inv = inventories[key]
        assert sorted(p.name for p in inv.packages) == sbom.listed_by_manager(inv), key
