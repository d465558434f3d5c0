"""Known vulnerabilities of an image's packages, from real scanners or OSV.dev.

``docker scan`` is gone (deprecated Feb 2023, removed Apr 2023); its successors
are ``docker scout``, Trivy and Grype (and Syft for SBOMs). This module

- finds which of those command-line tools this machine has (:func:`scanners`),
  runs them on an image and parses their JSON (:func:`scan`,
  :func:`parse_trivy`, :func:`parse_grype`, :func:`parse_scout_sarif`);
- asks OSV.dev's batch API about an inventory from :mod:`dockerlab.inspect.sbom`
  (:class:`OSVClient`, :func:`osv_findings`), once :func:`osv_reachable` said,
  within a couple of seconds, that it answers;

and puts every result in one DataFrame shape (:data:`COLUMNS`): ``id``,
``package``, ``installed_version``, ``fixed_version``, ``severity``,
``source`` (who said so). Nothing here invents a result: no tool and no
network means an explicit "not obtained", never an empty "all clear".
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import pandas as pd

from dockerlab.core.images import name_of
from dockerlab.errors import OSVUnavailable, ScanFailed

#: The one shape every result takes.
COLUMNS = ["id", "package", "installed_version", "fixed_version", "severity", "source"]
#: Severity labels, worst first (every tool's labels are mapped onto these).
SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"]
OSV_URL = "https://api.osv.dev"


def normalize_severity(label: str | None) -> str:
    """Map a tool's severity label onto :data:`SEVERITIES` (``Medium`` -> ``MEDIUM``;
    ``unspecified``, empty or unknown labels -> ``UNKNOWN``)."""
    s = (label or "").strip().upper()
    return s if s in SEVERITIES else "UNKNOWN"


def frame(rows: Iterable[Mapping]) -> pd.DataFrame:
    """Rows (dicts with :data:`COLUMNS` keys) as the common DataFrame shape."""
    df = pd.DataFrame([{c: r.get(c) for c in COLUMNS} for r in rows], columns=COLUMNS)
    df["severity"] = [normalize_severity(s) for s in df["severity"]]
    df = df.astype(object).where(df.notna(), None)  # missing = None, never NaN
    return df.drop_duplicates().reset_index(drop=True)


# ---------------------------------------------------------------- scanners' JSON


def parse_trivy(doc: Mapping) -> pd.DataFrame:
    """Trivy's JSON report (``trivy image --format json``, schema version 2).

    Reads ``Results[].Vulnerabilities[]``: ``VulnerabilityID``, ``PkgName``,
    ``InstalledVersion``, ``FixedVersion``, ``Severity``.
    """
    rows = []
    for result in doc.get("Results") or []:
        for v in result.get("Vulnerabilities") or []:
            rows.append(
                {
                    "id": v.get("VulnerabilityID"),
                    "package": v.get("PkgName"),
                    "installed_version": v.get("InstalledVersion"),
                    "fixed_version": v.get("FixedVersion") or None,
                    "severity": v.get("Severity"),
                    "source": "trivy",
                }
            )
    return frame(rows)


def parse_grype(doc: Mapping) -> pd.DataFrame:
    """Grype's JSON report (``grype -o json``).

    Reads ``matches[]``: ``vulnerability.id``, ``vulnerability.severity``,
    ``vulnerability.fix.versions``, ``artifact.name``, ``artifact.version``.
    """
    rows = []
    for m in doc.get("matches") or []:
        v, a = m.get("vulnerability") or {}, m.get("artifact") or {}
        fixes = (v.get("fix") or {}).get("versions") or []
        rows.append(
            {
                "id": v.get("id"),
                "package": a.get("name"),
                "installed_version": a.get("version"),
                "fixed_version": ", ".join(fixes) or None,
                "severity": v.get("severity"),
                "source": "grype",
            }
        )
    return frame(rows)


def parse_purl(purl: str) -> tuple[str, str, str]:
    """(type, name, version) of a package URL, decoded."""
    body = purl.split("#", 1)[0].split("?", 1)[0].removeprefix("pkg:")
    path, _, version = body.partition("@")
    type_, _, rest = path.partition("/")
    return type_, unquote(rest.rsplit("/", 1)[-1]), unquote(version)


def parse_scout_sarif(doc: Mapping) -> pd.DataFrame:
    """``docker scout cves --format sarif`` (SARIF 2.1.0).

    Each rule is one vulnerability (``id``); its ``properties`` carry
    ``cvssV3_severity``, ``fixed_version`` and ``purls`` (the affected packages,
    name and installed version inside). Only rules some result refers to count.
    """
    rows = []
    for run in doc.get("runs") or []:
        rules = ((run.get("tool") or {}).get("driver") or {}).get("rules") or []
        used = {r.get("ruleId") for r in run.get("results") or []}
        used |= {
            rules[r["ruleIndex"]].get("id")
            for r in run.get("results") or []
            if isinstance(r.get("ruleIndex"), int) and r["ruleIndex"] < len(rules)
        }
        for rule in rules:
            if rule.get("id") not in used:
                continue
            props = rule.get("properties") or {}
            purls = props.get("purls") or ([props["purl"]] if props.get("purl") else [])
            fixed = props.get("fixed_version") or None
            if fixed in ("not fixed", ""):
                fixed = None
            for p in purls or [""]:
                _, name, version = parse_purl(p) if p else ("", None, None)
                rows.append(
                    {
                        "id": rule.get("id"),
                        "package": name,
                        "installed_version": version,
                        "fixed_version": fixed,
                        "severity": props.get("cvssV3_severity"),
                        "source": "docker scout",
                    }
                )
    return frame(rows)


# ---------------------------------------------------------------- the scanners themselves


@dataclass(frozen=True)
class Tool:
    """A vulnerability or SBOM tool, and whether this machine has it.

    Attributes:
        name: ``trivy``, ``grype``, ``docker scout``, ``syft``, ``docker scan``.
        does: What it is for, in a few words.
        path: Its command (for docker plugins: the docker CLI), or None.
        version: Its version line, or "".
        status: A short sentence for the table.
    """

    name: str
    does: str
    path: str | None
    version: str = ""
    status: str = ""

    @property
    def found(self) -> bool:
        return self.path is not None


def _run(cmd: Sequence[str], timeout: float) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(
            list(cmd), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _docker_plugin(sub: str) -> tuple[str | None, str]:
    docker = shutil.which("docker")
    if not docker:
        return None, ""
    p = _run([docker, sub, "version"], timeout=15)
    if p is None or p.returncode != 0:
        return None, ""
    return docker, _first_line(p.stdout)


def scanners() -> list[Tool]:
    """Which scanning and SBOM tools this machine has (checked now, in seconds).

    ``docker scan`` is listed for the record: it was removed in 2023.
    """
    out = []
    for name, does in (
        ("trivy", "vulnerability scanner (Aqua Security)"),
        ("grype", "vulnerability scanner (Anchore)"),
        ("syft", "SBOM generator (Anchore)"),
    ):
        path = shutil.which(name)
        version = ""
        if path:
            p = _run([path, "--version"], timeout=15)
            version = _first_line(p.stdout) if p else ""
        out.append(Tool(name, does, path, version, "found" if path else "not installed"))
    path, version = _docker_plugin("scout")
    out.append(
        Tool(
            "docker scout",
            "Docker's scanner (CLI plugin)",
            path,
            version,
            "found" if path else "not installed (no `docker scout` plugin)",
        )
    )
    path, version = _docker_plugin("scan")
    out.append(
        Tool(
            "docker scan",
            "Docker's old scanner (Snyk)",
            path,
            version,
            "found (deprecated)" if path else "removed: deprecated Feb 2023, removed Apr 2023",
        )
    )
    return out


def scanner_table(tools: Sequence[Tool] | None = None) -> pd.DataFrame:
    """:func:`scanners` as a table: tool, what it does, status, version."""
    tools = scanners() if tools is None else tools
    rows = [
        {"tool": t.name, "does": t.does, "status": t.status, "version": t.version} for t in tools
    ]
    return pd.DataFrame(rows).set_index("tool")


#: How each vulnerability scanner is run, and which parser reads its output.
_SCAN = {
    "trivy": (lambda path, ref: [path, "image", "--quiet", "--format", "json", ref], parse_trivy),
    "grype": (lambda path, ref: [path, "-q", "-o", "json", f"docker:{ref}"], parse_grype),
    "docker scout": (
        lambda path, ref: [path, "scout", "cves", "--format", "sarif", f"local://{ref}"],
        parse_scout_sarif,
    ),
}


def scan(image, tool: Tool, timeout: float = 300) -> pd.DataFrame:
    """Run a real scanner on an image and parse its JSON into :data:`COLUMNS`.

    Args:
        image: A reference or a :class:`~dockerlab.core.building.BuiltImage`.
        tool: One of :func:`scanners` that was found (trivy, grype, docker scout).
        timeout: Seconds before the scan is abandoned.

    Raises:
        ScanFailed: The tool is missing, failed, timed out or printed no JSON.
    """
    ref = name_of(image)
    if tool.name not in _SCAN or not tool.found:
        raise ScanFailed(f"{tool.name} cannot scan here ({tool.status or 'not a scanner'}).")
    make_cmd, parse = _SCAN[tool.name]
    p = _run(make_cmd(tool.path, ref), timeout=timeout)
    if p is None:
        raise ScanFailed(f"{tool.name} did not finish within {timeout:.0f} s on {ref}.")
    try:
        doc = json.loads(p.stdout)
    except json.JSONDecodeError:
        tail = "\n".join((p.stderr or p.stdout).strip().splitlines()[-5:])
        raise ScanFailed(
            f"{tool.name} gave no JSON report on {ref} (exit {p.returncode}):\n{tail}"
        ) from None
    return parse(doc)


# ---------------------------------------------------------------- OSV.dev


def osv_reachable(url: str = OSV_URL, timeout: float = 2.0) -> bool:
    """True if OSV.dev's API host accepts a connection within ``timeout`` seconds.

    Never hangs: name resolution and the connection run in a helper thread that
    is abandoned after the timeout. ``DOCKERLAB_OFFLINE=1`` forces False.
    """
    if os.environ.get("DOCKERLAB_OFFLINE", "") not in ("", "0"):
        return False
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    ok: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((parts.hostname, port), timeout=timeout):
                ok.append(True)
        except OSError:
            pass

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout + 0.5)
    return bool(ok)


class OSVClient:
    """A small client of OSV.dev's API (https://google.github.io/osv.dev/api/).

    - :meth:`querybatch`: ``POST /v1/querybatch`` with up to 1000 queries per
      request; follows ``next_page_token`` until each query's list is complete.
    - :meth:`vuln`: ``GET /v1/vulns/{id}``, the full record (cached).

    Args:
        base_url: ``https://api.osv.dev`` (or a local server in tests).
        timeout: Seconds per HTTP request.
    """

    BATCH = 1000

    def __init__(self, base_url: str = OSV_URL, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._vulns: dict[str, dict] = {}
        self.requests = 0

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        self.requests += 1
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read().decode())
        except urllib.error.HTTPError as e:
            raise OSVUnavailable(f"OSV {method} {path}: HTTP {e.code} {e.reason}") from None
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise OSVUnavailable(f"OSV {method} {path} failed: {e}") from None

    def querybatch(self, queries: Sequence[Mapping]) -> list[list[str]]:
        """The vulnerability ids affecting each query, in query order.

        A query is ``{"package": {"name": ..., "ecosystem": "Debian:12"}, "version": ...}``.
        """
        out: list[list[str]] = [[] for _ in queries]
        pending = list(range(len(queries)))
        tokens: dict[int, str] = {}
        while pending:
            chunk, pending = pending[: self.BATCH], pending[self.BATCH :]
            body = {
                "queries": [
                    dict(queries[i], **({"page_token": tokens[i]} if i in tokens else {}))
                    for i in chunk
                ]
            }
            results = self._call("POST", "/v1/querybatch", body).get("results")
            if not isinstance(results, list) or len(results) != len(chunk):
                raise OSVUnavailable("OSV querybatch answered with the wrong number of results.")
            for i, result in zip(chunk, results, strict=True):
                out[i] += [v["id"] for v in (result or {}).get("vulns") or []]
                token = (result or {}).get("next_page_token")
                if token:
                    tokens[i] = token
                    pending.append(i)
                else:
                    tokens.pop(i, None)
        return out

    def vuln(self, vuln_id: str) -> dict:
        """The full OSV record of one vulnerability."""
        if vuln_id not in self._vulns:
            self._vulns[vuln_id] = self._call("GET", f"/v1/vulns/{quote(vuln_id, safe='')}")
        return self._vulns[vuln_id]


# CVSS v3.x base score (FIRST's specification, section 7.1 and appendix A).
_CVSS3 = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "CIA": {"H": 0.56, "L": 0.22, "N": 0.0},
    "PR_U": {"N": 0.85, "L": 0.62, "H": 0.27},
    "PR_C": {"N": 0.85, "L": 0.68, "H": 0.5},
}


def _roundup(x: float) -> float:
    i = round(x * 100000)
    return i / 100000.0 if i % 10000 == 0 else (math.floor(i / 10000) + 1) / 10.0


def cvss3_score(vector: str) -> float:
    """The base score of a CVSS 3.0/3.1 vector (``CVSS:3.1/AV:N/AC:L/...``).

    Raises:
        ValueError: Not a complete CVSS v3 base vector.
    """
    if not vector.startswith("CVSS:3."):
        raise ValueError(f"not a CVSS v3 vector: {vector!r}")
    m = dict(part.split(":", 1) for part in vector.split("/")[1:] if ":" in part)
    try:
        changed = m["S"] == "C"
        iss = 1 - (1 - _CVSS3["CIA"][m["C"]]) * (1 - _CVSS3["CIA"][m["I"]]) * (
            1 - _CVSS3["CIA"][m["A"]]
        )
        impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
        pr = _CVSS3["PR_C" if changed else "PR_U"][m["PR"]]
        expl = 8.22 * _CVSS3["AV"][m["AV"]] * _CVSS3["AC"][m["AC"]] * pr * _CVSS3["UI"][m["UI"]]
    except KeyError as e:
        raise ValueError(f"incomplete CVSS v3 vector {vector!r}: {e}") from None
    if impact <= 0:
        return 0.0
    return _roundup(min((1.08 if changed else 1) * (impact + expl), 10))


def severity_from_score(score: float) -> str:
    """CVSS qualitative rating: 9-10 CRITICAL, 7-8.9 HIGH, 4-6.9 MEDIUM, 0.1-3.9 LOW."""
    if score >= 9:
        return "CRITICAL"
    if score >= 7:
        return "HIGH"
    if score >= 4:
        return "MEDIUM"
    return "LOW" if score > 0 else "NEGLIGIBLE"


def osv_severity(record: Mapping) -> str:
    """A severity label for an OSV record.

    OSV gives CVSS vectors (``severity[].score``), not labels: the highest
    CVSS v3 base score decides. Without one, a label the database itself gives
    (``database_specific.severity``, as GitHub's advisories do) is used; else
    ``UNKNOWN``: many distribution records carry no severity at all.
    """
    scores = []
    for s in record.get("severity") or []:
        if str(s.get("type", "")).startswith("CVSS_V3"):
            with contextlib.suppress(ValueError):
                scores.append(cvss3_score(str(s.get("score", ""))))
    if scores:
        return severity_from_score(max(scores))
    label = (record.get("database_specific") or {}).get("severity")
    return normalize_severity(label if isinstance(label, str) else None)


def osv_fixed(record: Mapping, package: str, ecosystem: str) -> str | None:
    """The version that fixes ``package`` in ``ecosystem``, from the record's ranges."""
    fixes = []
    for aff in record.get("affected") or []:
        pkg = aff.get("package") or {}
        eco = pkg.get("ecosystem", "")
        if pkg.get("name") != package or eco not in (ecosystem, ecosystem.split(":")[0]):
            continue
        for rng in aff.get("ranges") or []:
            fixes += [e["fixed"] for e in rng.get("events") or [] if "fixed" in e]
    return ", ".join(dict.fromkeys(fixes)) or None


def osv_queries(inv) -> list[dict]:
    """One OSV query per source package and version of an inventory.

    OSV's Debian and Alpine records are filed under *source* package names
    (``glibc``, ``openssl``), not the binary names (``libc6``, ``libssl3``).
    """
    eco = inv.osv_ecosystem
    if not eco:
        return []
    seen = dict.fromkeys((p.source, p.source_version) for p in inv.packages)
    return [{"package": {"name": n, "ecosystem": eco}, "version": v} for n, v in seen]


def osv_findings(inv, client: OSVClient | None = None) -> pd.DataFrame:
    """Ask OSV.dev about every package of an inventory (:func:`dockerlab.inspect.sbom.inventory`).

    One row per binary package and vulnerability, in :data:`COLUMNS`, plus
    ``source_package``. An inventory with no package database gives an empty frame.

    Raises:
        OSVUnavailable: OSV did not answer (check :func:`osv_reachable` first).
    """
    client = client or OSVClient()
    queries = osv_queries(inv)
    if not queries:
        return frame([]).assign(source_package=pd.Series(dtype=object))
    ids = client.querybatch(queries)
    eco = inv.osv_ecosystem
    by_source: dict[tuple[str, str], list[str]] = {
        (q["package"]["name"], q["version"]): found for q, found in zip(queries, ids, strict=True)
    }
    # Full records, fetched a few at a time (a Debian base can have hundreds of ids).
    unique = list(dict.fromkeys(i for found in ids for i in found))
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(client.vuln, unique))
    rows = []
    for p in inv.packages:
        for vid in by_source.get((p.source, p.source_version), []):
            record = client.vuln(vid)
            rows.append(
                {
                    "id": vid,
                    "package": p.name,
                    "installed_version": p.version,
                    "fixed_version": osv_fixed(record, p.source, eco),
                    "severity": osv_severity(record),
                    "source": "osv.dev",
                    "source_package": p.source,
                }
            )
    df = frame(rows)
    df["source_package"] = [r["source_package"] for r in rows] if rows else []
    return df


# ---------------------------------------------------------------- whatever works here

#: The scanners that match an image against known vulnerabilities (Syft only makes SBOMs).
MATCHING_SCANNERS = ("trivy", "grype", "docker scout")


@dataclass
class ScanReport:
    """What matching images against known vulnerabilities gave here, and what it could not.

    Attributes:
        results: Image label -> its findings in :data:`COLUMNS`, every source together
            (empty where nothing answered: not a clean bill of health).
        sources: What answered, per image: ``"trivy (alpine)"``, ``"OSV.dev (debian)"``.
        missing: What could not be asked, and why, in plain words.
    """

    results: dict[str, pd.DataFrame]
    sources: list[str]
    missing: list[str]

    @property
    def obtained(self) -> bool:
        """True if any scanner or OSV.dev answered for any image."""
        return bool(self.sources)

    def severity(self) -> pd.DataFrame | None:
        """:func:`severity_counts` of the results; None if nothing was obtained."""
        return severity_counts(self.results) if self.obtained else None

    def summary(self, label: str) -> str:
        """One cell for a table: ``"12 known (9 with a fix)"``, or why there is no number."""
        if not self.obtained:
            return "not obtained (offline, no scanner)"
        df = self.results[label]
        fixable = df[df["fixed_version"].notna()]["id"].nunique()
        return f"{df['id'].nunique()} known ({fixable} with a fix)"

    def __str__(self) -> str:
        if self.obtained:
            head = "Vulnerability data WAS obtained, from: " + "; ".join(self.sources)
        else:
            head = (
                "Vulnerability data was NOT obtained on this machine. "
                "The inventory above is all we have."
            )
        return "\n".join([head, *(f"  - {reason}" for reason in self.missing)])


def find_vulnerabilities(
    images: Mapping[str, object],
    inventories: Mapping[str, object],
    tools: Sequence[Tool] | None = None,
    *,
    osv_url: str = OSV_URL,
) -> ScanReport:
    """Match each image against known vulnerabilities with whatever works on this machine.

    Every matching scanner found here (:data:`MATCHING_SCANNERS`) scans every image,
    and OSV.dev is asked about every inventory if it answers within two seconds
    (:func:`osv_reachable`). What fails or is missing is said in ``missing``; nothing
    waits on the internet.

    Args:
        images: Label -> image (a reference or a :class:`BuiltImage`), for the scanners.
        inventories: Label -> its :func:`dockerlab.inspect.sbom.inventory`, for OSV.dev.
        tools: What :func:`scanners` found (asked again if not given).
        osv_url: OSV's API (a test gives a local server).
    """
    tools = scanners() if tools is None else tools
    found: dict[str, list[pd.DataFrame]] = {label: [] for label in images}
    sources, missing = [], []
    matching = [t for t in tools if t.found and t.name in MATCHING_SCANNERS]
    for tool in matching:
        for label, img in images.items():
            try:
                found[label].append(scan(img, tool))
                sources.append(f"{tool.name} ({label})")
            except ScanFailed as e:
                missing.append(f"{tool.name} on {label}: {e}")
    if osv_reachable(osv_url):
        client = OSVClient(osv_url)
        for label, inv in inventories.items():
            try:
                found.setdefault(label, []).append(osv_findings(inv, client))
                sources.append(f"OSV.dev ({label})")
            except OSVUnavailable as e:
                missing.append(f"OSV.dev on {label}: {e}")
    else:
        host = urlsplit(osv_url).hostname
        missing.append(f"OSV.dev ({host}) did not answer within 2 s: no internet here")
    if not matching:
        missing.append("no scanner (docker scout, Trivy, Grype) is installed")
    results = {
        label: pd.concat(dfs, ignore_index=True) if dfs else frame([])
        for label, dfs in found.items()
    }
    return ScanReport(results, sources, missing)


# ---------------------------------------------------------------- summaries


def severity_counts(findings: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Distinct vulnerabilities per image and severity (rows: images; columns: SEVERITIES).

    A vulnerability found in several packages of one image (``libssl3`` and
    ``libcrypto3`` both come from ``openssl``) counts once.
    """
    rows = {}
    for label, df in findings.items():
        distinct = df.drop_duplicates("id") if len(df) else df
        counts = distinct["severity"].value_counts() if len(df) else pd.Series(dtype=int)
        rows[label] = {s: int(counts.get(s, 0)) for s in SEVERITIES}
    return pd.DataFrame.from_dict(rows, orient="index", columns=SEVERITIES)
