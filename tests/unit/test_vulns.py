"""Vulnerability results in one shape: scanners' JSON, OSV.dev's API, counts and charts.

The OSV client is tested against a local HTTP server on 127.0.0.1 that speaks
OSV's documented API (https://google.github.io/osv.dev/api/): ``POST
/v1/querybatch`` answering ids with ``next_page_token`` pagination, and ``GET
/v1/vulns/{id}`` answering full records, with data these tests write. The
scanner parsers read small documents written here after each tool's documented
JSON format.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import matplotlib
import pytest

from dockerlab.inspect import sbom, vulns
from dockerlab.inspect.filesystem import FileSystem
from dockerlab.lessons import scanning

# Every scanner's findings in one shape: the columns a learner compares, in this order.
FINDING_COLUMNS = ["id", "package", "installed_version", "fixed_version", "severity", "source"]

matplotlib.use("Agg")


# ---------------------------------------------------------------- a local OSV-shaped server


class LocalOSV:
    """An HTTP server on 127.0.0.1 answering like OSV.dev, from data the test gives.

    Args:
        records: id -> full OSV record (what ``GET /v1/vulns/{id}`` returns).
        page_size: How many ids one querybatch result holds before it sets
            ``next_page_token`` (OSV paginates long lists the same way).
    """

    def __init__(self, records: dict[str, dict], page_size: int = 2) -> None:
        self.records = records
        self.page_size = page_size
        self.requests: list[tuple[str, str, dict | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _send(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(("POST", self.path, body))
                if self.path != "/v1/querybatch":
                    return self._send(404, {"code": 5, "message": "Not Found"})
                return self._send(200, {"results": [outer.answer(q) for q in body["queries"]]})

            def do_GET(self):
                outer.requests.append(("GET", self.path, None))
                vid = self.path.removeprefix("/v1/vulns/")
                if self.path.startswith("/v1/vulns/") and vid in outer.records:
                    return self._send(200, outer.records[vid])
                return self._send(404, {"code": 5, "message": "Bug not found."})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def matches(self, query: dict) -> list[dict]:
        """Records affecting the queried package version (exact version lists, as the test writes)."""
        pkg, version = query["package"], query["version"]
        out = []
        for rid, rec in sorted(self.records.items()):
            for aff in rec.get("affected", []):
                p = aff["package"]
                if (p["name"], p["ecosystem"]) == (pkg["name"], pkg["ecosystem"]) and (
                    version in aff.get("versions", [])
                ):
                    out.append({"id": rid, "modified": rec.get("modified", "2025-01-01T00:00:00Z")})
                    break
        return out

    def answer(self, query: dict) -> dict:
        found = self.matches(query)
        start = int(query.get("page_token") or 0)
        page = found[start : start + self.page_size]
        result: dict = {"vulns": page} if page else {}
        if start + self.page_size < len(found):
            result["next_page_token"] = str(start + self.page_size)
        return result

    def __enter__(self) -> LocalOSV:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def osv_record(vid, source, ecosystem, versions, fixed=None, cvss=None, **extra) -> dict:
    """An OSV record in the schema's shape (id, affected[].package/ranges/versions, severity)."""
    events = [{"introduced": "0"}] + ([{"fixed": fixed}] if fixed else [])
    rec = {
        "id": vid,
        "modified": "2025-06-01T00:00:00Z",
        "summary": f"test vulnerability in {source}",
        "affected": [
            {
                "package": {"name": source, "ecosystem": ecosystem},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                "versions": list(versions),
            }
        ],
    }
    if cvss:
        rec["severity"] = [{"type": "CVSS_V3", "score": cvss}]
    rec.update(extra)
    return rec


CRIT = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
HIGH = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"  # 7.8
MED = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"  # 5.3

APK = """P:libcrypto3
V:3.5.4-r0
A:x86_64
o:openssl

P:libssl3
V:3.5.4-r0
A:x86_64
o:openssl

P:musl
V:1.2.5-r21
A:x86_64
o:musl

P:busybox
V:1.37.0-r30
A:x86_64
o:busybox
"""
OS_RELEASE = 'ID=alpine\nVERSION_ID=3.23.6\nPRETTY_NAME="Alpine Linux v3.23"\n'


@pytest.fixture
def alpine_inventory():
    return sbom.from_filesystem(FileSystem({}, apk_installed=APK, os_release=OS_RELEASE), "alp")


@pytest.fixture
def osv():
    eco = "Alpine:v3.23"
    records = {
        "ALPINE-CVE-2025-0001": osv_record("ALPINE-CVE-2025-0001", "openssl", eco, ["3.5.4-r0"],
                                           fixed="3.5.5-r0", cvss=CRIT),
        "ALPINE-CVE-2025-0002": osv_record("ALPINE-CVE-2025-0002", "openssl", eco, ["3.5.4-r0"],
                                           cvss=HIGH),
        "ALPINE-CVE-2025-0003": osv_record("ALPINE-CVE-2025-0003", "openssl", eco, ["3.5.4-r0"],
                                           fixed="3.5.5-r0", cvss=MED),
        "ALPINE-CVE-2025-0004": osv_record("ALPINE-CVE-2025-0004", "musl", eco, ["1.2.5-r21"],
                                           fixed="1.2.5-r22"),
        # Another release, and another version: must not match.
        "ALPINE-CVE-2025-0005": osv_record("ALPINE-CVE-2025-0005", "busybox", "Alpine:v3.22",
                                           ["1.37.0-r30"], cvss=CRIT),
        "ALPINE-CVE-2025-0006": osv_record("ALPINE-CVE-2025-0006", "busybox", eco, ["1.36.1-r2"],
                                           cvss=CRIT),
    }  # fmt: skip
    with LocalOSV(records, page_size=2) as server:
        yield server


# ---------------------------------------------------------------- OSV client


def test_querybatch_sends_osv_queries_and_follows_pagination(osv):
    client = vulns.OSVClient(osv.url, timeout=5)
    queries = [
        {"package": {"name": "openssl", "ecosystem": "Alpine:v3.23"}, "version": "3.5.4-r0"},
        {"package": {"name": "zlib", "ecosystem": "Alpine:v3.23"}, "version": "1.3.1-r2"},
    ]
    ids = client.querybatch(queries)
    assert ids == [["ALPINE-CVE-2025-0001", "ALPINE-CVE-2025-0002", "ALPINE-CVE-2025-0003"], []]
    posts = [body for method, path, body in osv.requests if method == "POST"]
    assert [q["package"]["name"] for q in posts[0]["queries"]] == ["openssl", "zlib"]
    assert "page_token" not in posts[0]["queries"][0]
    # The second request re-asks only the query that had more, with its token.
    assert posts[1]["queries"] == [dict(queries[0], page_token="2")]
    assert len(posts) == 2


def test_vuln_fetches_full_record_once(osv):
    client = vulns.OSVClient(osv.url, timeout=5)
    rec = client.vuln("ALPINE-CVE-2025-0001")
    assert rec["affected"][0]["package"]["name"] == "openssl"
    client.vuln("ALPINE-CVE-2025-0001")
    assert sum(1 for m, p, _ in osv.requests if m == "GET") == 1


def test_unknown_vuln_is_a_clear_error(osv):
    with pytest.raises(vulns.OSVUnavailable, match="HTTP 404"):
        vulns.OSVClient(osv.url, timeout=5).vuln("NOPE-1")


def test_osv_queries_use_source_packages_once(alpine_inventory):
    queries = vulns.osv_queries(alpine_inventory)
    assert {
        "package": {"name": "openssl", "ecosystem": "Alpine:v3.23"},
        "version": "3.5.4-r0",
    } in queries
    assert len(queries) == 3  # libssl3 and libcrypto3 share openssl


def test_osv_findings_in_the_common_shape(osv, alpine_inventory):
    df = vulns.osv_findings(alpine_inventory, vulns.OSVClient(osv.url, timeout=5))
    assert list(df.columns[: len(FINDING_COLUMNS)]) == FINDING_COLUMNS
    # 3 openssl vulns x 2 binary packages, 1 musl vuln; nothing for busybox.
    assert len(df) == 7
    assert set(df["package"]) == {"libssl3", "libcrypto3", "musl"}
    row = df[(df["id"] == "ALPINE-CVE-2025-0001") & (df["package"] == "libssl3")].iloc[0]
    assert row["installed_version"] == "3.5.4-r0" and row["fixed_version"] == "3.5.5-r0"
    assert row["severity"] == "CRITICAL" and row["source"] == "osv.dev"
    assert row["source_package"] == "openssl"
    unfixed = df[df["id"] == "ALPINE-CVE-2025-0002"]
    assert unfixed["fixed_version"].isna().all() and set(unfixed["severity"]) == {"HIGH"}
    assert set(df[df["id"] == "ALPINE-CVE-2025-0004"]["severity"]) == {"UNKNOWN"}


def test_osv_findings_of_an_image_without_packages_is_empty(osv):
    empty = sbom.from_filesystem(FileSystem({}), "scratch")
    df = vulns.osv_findings(empty, vulns.OSVClient(osv.url, timeout=5))
    assert df.empty and osv.requests == []


def test_severity_counts_and_chart_from_osv_data(osv, alpine_inventory):
    client = vulns.OSVClient(osv.url, timeout=5)
    findings = {"alpine": vulns.osv_findings(alpine_inventory, client),
                "scratch": vulns.osv_findings(sbom.from_filesystem(FileSystem({})), client)}  # fmt: skip
    counts = vulns.severity_counts(findings)
    assert list(counts.columns) == vulns.SEVERITIES
    # Distinct ids: the openssl ones count once although two packages carry them.
    assert counts.loc["alpine"].to_dict() == {"CRITICAL": 1, "HIGH": 1, "MEDIUM": 1, "LOW": 0,
                                              "NEGLIGIBLE": 0, "UNKNOWN": 1}  # fmt: skip
    assert counts.loc["scratch"].sum() == 0
    fig = scanning.severity_chart(counts, caption="test data from a local OSV-shaped server")
    assert fig.axes[0].get_ylabel() == "distinct vulnerabilities"
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["critical", "high", "medium", "unknown"]


def test_reachable_local_server_and_closed_port_fast(osv, monkeypatch):
    monkeypatch.delenv("DOCKERLAB_OFFLINE", raising=False)
    assert vulns.osv_reachable(osv.url, timeout=2)
    start = time.monotonic()
    assert not vulns.osv_reachable("http://127.0.0.1:9", timeout=1)
    assert time.monotonic() - start < 3


def test_offline_switch_forces_unreachable(osv, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_OFFLINE", "1")
    assert not vulns.osv_reachable(osv.url)


def test_unreachable_server_raises_clear_error():
    with pytest.raises(vulns.OSVUnavailable, match="querybatch failed"):
        vulns.OSVClient("http://127.0.0.1:9", timeout=1).querybatch(
            [{"package": {"name": "x", "ecosystem": "Debian:12"}, "version": "1"}]
        )


# ---------------------------------------------------------------- severities


@pytest.mark.parametrize(
    "vector, score",
    [
        (CRIT, 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        (HIGH, 7.8),
        (MED, 5.3),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:L", 3.7),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
    ],
)
def test_cvss3_base_scores(vector, score):
    assert vulns.cvss3_score(vector) == score


def test_cvss_rejects_other_vectors():
    with pytest.raises(ValueError):
        vulns.cvss3_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
    with pytest.raises(ValueError):
        vulns.cvss3_score("CVSS:3.1/AV:N/AC:L")


def test_osv_severity_sources():
    assert vulns.osv_severity({"severity": [{"type": "CVSS_V3", "score": MED},
                                            {"type": "CVSS_V3", "score": CRIT}]}) == "CRITICAL"  # fmt: skip
    assert vulns.osv_severity({"database_specific": {"severity": "MODERATE"}}) == "UNKNOWN"
    assert vulns.osv_severity({"database_specific": {"severity": "HIGH"}}) == "HIGH"
    assert (
        vulns.osv_severity({"severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N"}]})
        == "UNKNOWN"
    )
    assert vulns.osv_severity({}) == "UNKNOWN"


def test_osv_fixed_matches_package_and_release():
    rec = osv_record("X", "glibc", "Debian:12", [], fixed="2.36-9+deb12u7")
    rec["affected"].append({"package": {"name": "glibc", "ecosystem": "Debian:11"},
                            "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "2.31-13+deb11u9"}]}]})  # fmt: skip
    assert vulns.osv_fixed(rec, "glibc", "Debian:12") == "2.36-9+deb12u7"
    assert vulns.osv_fixed(rec, "openssl", "Debian:12") is None


@pytest.mark.parametrize("label, want", [("Critical", "CRITICAL"), ("medium", "MEDIUM"),
                                         ("Negligible", "NEGLIGIBLE"), ("unspecified", "UNKNOWN"),
                                         ("", "UNKNOWN"), (None, "UNKNOWN")])  # fmt: skip
def test_normalize_severity(label, want):
    assert vulns.normalize_severity(label) == want


# ---------------------------------------------------------------- scanners' JSON

TRIVY = {
    "SchemaVersion": 2,
    "ArtifactName": "debian:bookworm",
    "ArtifactType": "container_image",
    "Metadata": {"OS": {"Family": "debian", "Name": "12.8"}},
    "Results": [
        {
            "Target": "debian:bookworm (debian 12.8)",
            "Class": "os-pkgs",
            "Type": "debian",
            "Vulnerabilities": [
                {
                    "VulnerabilityID": "CVE-2025-0001",
                    "PkgID": "libc6@2.36-9+deb12u9",
                    "PkgName": "libc6",
                    "PkgIdentifier": {
                        "PURL": "pkg:deb/debian/libc6@2.36-9%2Bdeb12u9?arch=amd64&distro=debian-12.8"
                    },
                    "InstalledVersion": "2.36-9+deb12u9",
                    "FixedVersion": "2.36-9+deb12u10",
                    "Status": "fixed",
                    "SeveritySource": "debian",
                    "Severity": "HIGH",
                    "DataSource": {
                        "ID": "debian",
                        "Name": "Debian Security Tracker",
                        "URL": "https://salsa.debian.org/security-tracker-team/security-tracker",
                    },
                },
                {
                    "VulnerabilityID": "CVE-2025-0002",
                    "PkgName": "login",
                    "InstalledVersion": "1:4.13+dfsg1-1+b1",
                    "Status": "affected",
                    "Severity": "LOW",
                },
            ],
        },
        {"Target": "app", "Class": "lang-pkgs", "Type": "jar"},
    ],
}

GRYPE = {
    "matches": [
        {
            "vulnerability": {
                "id": "CVE-2025-0003",
                "dataSource": "https://security-tracker.debian.org/tracker/CVE-2025-0003",
                "namespace": "debian:distro:debian:12",
                "severity": "Medium",
                "fix": {"versions": ["3.0.15-1~deb12u1"], "state": "fixed"},
            },
            "relatedVulnerabilities": [],
            "matchDetails": [{"type": "exact-indirect-match", "matcher": "dpkg-matcher"}],
            "artifact": {
                "id": "a1",
                "name": "libssl3",
                "version": "3.0.14-1~deb12u2",
                "type": "deb",
                "purl": "pkg:deb/debian/libssl3@3.0.14-1~deb12u2?arch=amd64&distro=debian-12",
            },
        },
        {
            "vulnerability": {
                "id": "CVE-2025-0004",
                "severity": "Negligible",
                "fix": {"versions": [], "state": "not-fixed"},
            },
            "artifact": {"name": "tar", "version": "1.34+dfsg-1.2+deb12u1", "type": "deb"},
        },
    ],
    "source": {"type": "image", "target": {"userInput": "debian:bookworm"}},
    "distro": {"name": "debian", "version": "12"},
    "descriptor": {"name": "grype", "version": "0.86.1"},
}

SCOUT = {
    "version": "2.1.0",
    "$schema": "https://json.schemastore.org/sarif-2.1.0-rtm.5.json",
    "runs": [
        {
            "tool": {
                "driver": {
                    "fullName": "Docker Scout",
                    "name": "docker scout",
                    "version": "1.15.0",
                    "rules": [
                        {
                            "id": "CVE-2025-0005",
                            "name": "OsPackageVulnerability",
                            "shortDescription": {"text": "CVE-2025-0005"},
                            "helpUri": "https://scout.docker.com/v/CVE-2025-0005",
                            "properties": {
                                "affected_version": "<1.2.5-r22",
                                "cvssV3_severity": "CRITICAL",
                                "fixed_version": "1.2.5-r22",
                                "purls": [
                                    "pkg:apk/alpine/musl@1.2.5-r21?os_name=alpine&os_version=3.23"
                                ],
                                "security-severity": "9.8",
                                "tags": ["CRITICAL"],
                            },
                        },
                        {
                            "id": "CVE-2025-0006",
                            "name": "OsPackageVulnerability",
                            "properties": {
                                "affected_version": ">=0",
                                "cvssV3_severity": "unspecified",
                                "fixed_version": "not fixed",
                                "purls": [
                                    "pkg:apk/alpine/busybox@1.37.0-r30?os_name=alpine&os_version=3.23"
                                ],
                            },
                        },
                        {
                            "id": "CVE-2025-0007",
                            "name": "OsPackageVulnerability",
                            "properties": {
                                "cvssV3_severity": "LOW",
                                "purls": ["pkg:apk/alpine/zlib@1.3.1-r2"],
                            },
                        },
                    ],
                }
            },
            "results": [
                {
                    "ruleId": "CVE-2025-0005",
                    "ruleIndex": 0,
                    "kind": "fail",
                    "level": "error",
                    "message": {
                        "text": "  Vulnerability   : CVE-2025-0005\n  Severity        : CRITICAL\n"
                    },
                    "locations": [
                        {"physicalLocation": {"artifactLocation": {"uri": "/lib/apk/db/installed"}}}
                    ],
                },
                {
                    "ruleId": "CVE-2025-0006",
                    "ruleIndex": 1,
                    "kind": "fail",
                    "level": "note",
                    "message": {"text": "CVE-2025-0006"},
                },
            ],
        }
    ],
}


def _as_records(df):
    return df[FINDING_COLUMNS].to_dict("records")


def test_parse_trivy():
    rows = _as_records(vulns.parse_trivy(TRIVY))
    assert rows == [
        {"id": "CVE-2025-0001", "package": "libc6", "installed_version": "2.36-9+deb12u9",
         "fixed_version": "2.36-9+deb12u10", "severity": "HIGH", "source": "trivy"},
        {"id": "CVE-2025-0002", "package": "login", "installed_version": "1:4.13+dfsg1-1+b1",
         "fixed_version": None, "severity": "LOW", "source": "trivy"},
    ]  # fmt: skip


def test_parse_grype():
    rows = _as_records(vulns.parse_grype(GRYPE))
    assert rows[0] == {"id": "CVE-2025-0003", "package": "libssl3",
                       "installed_version": "3.0.14-1~deb12u2", "fixed_version": "3.0.15-1~deb12u1",
                       "severity": "MEDIUM", "source": "grype"}  # fmt: skip
    assert rows[1]["fixed_version"] is None and rows[1]["severity"] == "NEGLIGIBLE"


def test_parse_scout_sarif_uses_rules_that_results_refer_to():
    rows = _as_records(vulns.parse_scout_sarif(SCOUT))
    assert rows == [
        {"id": "CVE-2025-0005", "package": "musl", "installed_version": "1.2.5-r21",
         "fixed_version": "1.2.5-r22", "severity": "CRITICAL", "source": "docker scout"},
        {"id": "CVE-2025-0006", "package": "busybox", "installed_version": "1.37.0-r30",
         "fixed_version": None, "severity": "UNKNOWN", "source": "docker scout"},
    ]  # fmt: skip


def test_empty_reports_give_empty_frames_in_the_shape():
    for df in (vulns.parse_trivy({"SchemaVersion": 2, "Results": [{"Target": "x"}]}),
               vulns.parse_grype({"matches": []}), vulns.parse_scout_sarif({"runs": []})):  # fmt: skip
        assert df.empty and list(df.columns) == FINDING_COLUMNS


def test_parse_purl():
    assert vulns.parse_purl("pkg:deb/debian/login@1:4.13%2Bdfsg1-1?arch=amd64") == (
        "deb",
        "login",
        "1:4.13+dfsg1-1",
    )


# ---------------------------------------------------------------- scanners on this machine


def test_scanner_table_lists_the_successors_and_docker_scan():
    tools = vulns.scanners()
    names = [t.name for t in tools]
    assert names == ["trivy", "grype", "syft", "docker scout", "docker scan"]
    table = vulns.scanner_table(tools)
    assert set(table.columns) == {"does", "status", "version"}
    for t in tools:
        assert t.found == (t.path is not None)


def test_scan_with_a_missing_tool_says_so():
    missing = vulns.Tool("trivy", "scanner", None, status="not installed")
    with pytest.raises(vulns.ScanFailed, match="not installed"):
        vulns.scan("alpine:3.23", missing)
    with pytest.raises(vulns.ScanFailed):
        vulns.scan("alpine:3.23", vulns.Tool("syft", "sbom", "/usr/bin/syft", status="found"))


# ---------------------------------------------------------------- whatever works here


def test_find_vulnerabilities_offline_says_nothing_was_obtained_and_why(monkeypatch,
                                                                        alpine_inventory):  # fmt: skip
    monkeypatch.setenv("DOCKERLAB_OFFLINE", "1")
    report = vulns.find_vulnerabilities({"alpine": "alp"}, {"alpine": alpine_inventory}, tools=[])
    assert not report.obtained and report.severity() is None
    assert report.results["alpine"].empty
    assert report.summary("alpine") == "not obtained (offline, no scanner)"
    assert report.missing == ["OSV.dev (api.osv.dev) did not answer within 2 s: no internet here",
                              "no scanner (docker scout, Trivy, Grype) is installed"]  # fmt: skip
    assert str(report).startswith("Vulnerability data was NOT obtained")


def test_find_vulnerabilities_asks_osv_when_it_answers(monkeypatch, osv, alpine_inventory):
    monkeypatch.delenv("DOCKERLAB_OFFLINE", raising=False)
    empty = sbom.from_filesystem(FileSystem({}), "scratch")
    report = vulns.find_vulnerabilities({"alpine": "alp", "scratch": "scratch"},
                                        {"alpine": alpine_inventory, "scratch": empty},
                                        tools=[], osv_url=osv.url)  # fmt: skip
    assert report.obtained and report.sources == ["OSV.dev (alpine)", "OSV.dev (scratch)"]
    assert report.missing == ["no scanner (docker scout, Trivy, Grype) is installed"]
    assert len(report.results["alpine"]) == 7 and report.results["scratch"].empty
    assert report.summary("alpine") == "4 known (3 with a fix)"
    assert report.severity().loc["alpine"].sum() == 4
