"""Freshness logic: dates and ages, dpkg version order, package diffs, Dockerfile bases, tags."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from datetime import UTC, datetime

import pandas as pd
import pytest

from dockerlab.errors import LessonError, NoRegistry
from dockerlab.inspect.filesystem import FileSystem
from dockerlab.lessons import freshness as f
from dockerlab.registry.api import ManifestNotFound

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

# ---------------------------------------------------------------- dates


def test_parse_time_reads_docker_nanoseconds_and_offsets():
    assert f.parse_time("2026-11-29T15:12:04.293660115Z") == datetime(2026, 11, 29, 15, 12, 4, 293660, tzinfo=UTC)  # fmt: skip
    assert f.parse_time("2026-11-29T15:12:00+00:00") == datetime(2026, 11, 29, 15, 12, tzinfo=UTC)
    assert f.parse_time("2024-01-10T00:00:00") == datetime(2024, 1, 10, tzinfo=UTC)  # naive -> UTC
    assert f.parse_time("0001-01-01T00:00:00Z") is None  # Docker's "unknown"
    assert f.parse_time("") is None and f.parse_time(None) is None
    assert f.parse_time("yesterday") is None


def test_age_days():
    assert f.age_days(datetime(2026, 11, 19, 12, 0, tzinfo=UTC), NOW) == 10.0
    assert f.age_days(datetime(2026, 11, 29, 0, 0, tzinfo=UTC), NOW) == 0.5
    assert f.age_days(None, NOW) is None


# ---------------------------------------------------------------- dpkg version order


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2.36-9+deb12u7", "2.36-9+deb12u14", -1),  # numbers compare as numbers
        ("1.5.4+dfsg2-5", "1.5.4+dfsg2-5+deb12u1", -1),
        ("2026b-0+deb12u1", "2026f-0+deb12u1", -1),
        ("1.0~rc1", "1.0", -1),  # ~ sorts before the end
        ("1.0", "1.0+b1", -1),
        ("1:1.0", "2.0", 1),  # the epoch wins
        ("1:2.38.1-5+deb12u3", "1:2.38.1-5+deb12u1", 1),
        ("5.2.15-2+b13", "5.2.15-2+b2", 1),
        ("1.0", "1.0", 0),
        ("1.01", "1.1", 0),  # leading zeros do not count
        ("1.0a", "1.0", 1),
        ("1.37.0-r30", "1.37.0-r4", 1),  # Alpine's -rN
    ],
)
def test_compare_versions(a, b, expected):
    assert f.compare_versions(a, b) == expected
    assert f.compare_versions(b, a) == -expected


@pytest.mark.skipif(not shutil.which("dpkg"), reason="needs dpkg to cross-check")
def test_compare_versions_agrees_with_dpkg():
    versions = ["1.0", "1.0~beta", "1.0-1", "1.0-1~bpo1", "1:0.9", "1.0+dfsg-2", "1.0.1", "1.0a",
                "2.36-9+deb12u7", "2.36-9+deb12u14", "0.9~~", "0.9~", "1.2.3-4ubuntu0.1"]  # fmt: skip
    for a in versions:
        for b in versions:
            ours = f.compare_versions(a, b)
            for op, want in (("lt", ours < 0), ("eq", ours == 0), ("gt", ours > 0)):
                got = subprocess.run(["dpkg", "--compare-versions", a, op, b]).returncode == 0
                assert got == want, (a, op, b)


# ---------------------------------------------------------------- packages and diffs

STATUS = """Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9+deb12u14
Description: GNU C Library
 shared libraries

Package: removed-one
Status: deinstall ok config-files
Version: 1.0

Package: bash
Status: install ok installed
Version: 5.2.15-2+b13
"""


def _entry(path: str, mtime: int, kind=tarfile.REGTYPE, link: str = "") -> tuple[str, tarfile.TarInfo]:  # fmt: skip
    info = tarfile.TarInfo(path.lstrip("/"))
    info.mtime, info.type, info.linkname = mtime, kind, link
    return path, info


def test_packages_of_dpkg_with_changelog_dates():
    t_libc, t_bash, t_binnmu = 1714500000, 1600000000, 1715000000
    entries = dict([
        _entry("/usr/share/doc/libc6", 0, tarfile.DIRTYPE),
        _entry("/usr/share/doc/libc6/changelog.Debian.gz", t_libc),
        _entry("/usr/share/doc/bash", 0, tarfile.DIRTYPE),
        _entry("/usr/share/doc/bash/changelog.Debian.gz", t_bash),
        _entry("/usr/share/doc/bash/changelog.Debian.amd64.gz", t_binnmu),  # binNMU: newer
    ])  # fmt: skip
    pkgs = f.packages_of(FileSystem(entries, dpkg_status=STATUS))
    assert set(pkgs) == {"libc6", "bash"}  # not the deinstalled one
    assert pkgs["libc6"].version == "2.36-9+deb12u14"
    assert pkgs["libc6"].date == datetime.fromtimestamp(t_libc, UTC)
    assert pkgs["bash"].date == datetime.fromtimestamp(t_binnmu, UTC)


def test_packages_of_dpkg_follows_doc_symlinks_and_tolerates_no_docs():
    entries = dict([
        _entry("/usr/share/doc/libc6/changelog.Debian.gz", 1714500000),
        _entry("/usr/share/doc/bash", 0, tarfile.SYMTYPE, "libc6"),
    ])  # fmt: skip
    pkgs = f.packages_of(FileSystem(entries, dpkg_status=STATUS))
    assert pkgs["bash"].date == pkgs["libc6"].date
    assert all(p.date is None for p in f.packages_of(FileSystem({}, dpkg_status=STATUS)).values())


def test_packages_of_apk_with_build_times():
    apk = "C:Q1abc\nP:musl\nV:1.2.5-r10\nt:1758215632\nF:lib\nR:libc.so\n\nP:busybox\nV:1.37.0-r30\n\n"
    pkgs = f.packages_of(FileSystem({}, apk_installed=apk))
    musl = pkgs["musl"]
    assert (musl.version, musl.date) == ("1.2.5-r10", datetime.fromtimestamp(1758215632, UTC))
    assert pkgs["busybox"].date is None
    assert f.packages_of(FileSystem({})) == {}


def test_diff_packages_lists_every_kind_of_change():
    d1, d2 = datetime(2024, 4, 30, tzinfo=UTC), datetime(2026, 4, 27, tzinfo=UTC)
    old = {
        "libc6": f.Package("libc6", "2.36-9+deb12u7", d1),
        "gone": "1.0",
        "same": "2",
        "back": "3.1",
    }
    new = {
        "libc6": f.Package("libc6", "2.36-9+deb12u14", d2),
        "same": "2",
        "new": "0.1",
        "back": "3.0",
    }
    df = f.diff_packages(old, new)
    assert list(df.columns) == ["package", "old", "new", "change", "old_date", "new_date"]
    assert df.set_index("package")["change"].to_dict() == {
        "back": "downgraded", "gone": "removed", "libc6": "upgraded", "new": "added"}  # fmt: skip
    row = df.set_index("package").loc["libc6"]
    assert (row["old"], row["new"], row["old_date"], row["new_date"]) == ("2.36-9+deb12u7", "2.36-9+deb12u14", d1, d2)  # fmt: skip
    assert f.diff_packages(old, old).empty


def test_image_facts_row_and_ages():
    pkgs = {"a": f.Package("a", "1", datetime(2026, 11, 19, 12, tzinfo=UTC)),
            "b": f.Package("b", "2", datetime(2025, 11, 29, 12, tzinfo=UTC)), "c": f.Package("c", "3")}  # fmt: skip
    facts = f.ImageFacts("x:1", "sha256:0", datetime(2026, 11, 28, 12, tzinfo=UTC), "config Created",
                         None, "Debian GNU/Linux 12 (bookworm)", {}, pkgs, NOW)  # fmt: skip
    assert facts.age_days == 1.0
    assert facts.newest_package.name == "a" and facts.oldest_package.name == "b"
    row = facts.row()
    assert row["packages"] == 3 and row["dated packages"] == 2
    assert row["newest package age (days)"] == 10.0 and row["newest package date"] == "2026-11-19"
    table = facts.package_table()
    assert list(table["package"]) == ["a", "b", "c"]  # newest first, undated last


# ---------------------------------------------------------------- what an update fixed

CHANGELOGS_OLD = """@@ glibc 2.36-9+deb12u14 libc6
glibc (2.36-9+deb12u14) bookworm-security; urgency=medium
  * Fix CVE-2026-1111: a stack overflow.
glibc (2.36-9+deb12u13) bookworm; urgency=medium
glibc (2.36-9) unstable; urgency=medium
  * Fix CVE-2023-0001.
@@ zlib 1:1.2.13.dfsg-1 zlib1g
zlib (1:1.2.13.dfsg-1) unstable; urgency=medium
@@ gone 1.0-1 gone
gone (1.0-1) unstable; urgency=low
  * CVE-2020-0001
"""
CHANGELOGS_NEW = """@@ glibc 2.41-12+deb13u5 libc6
glibc (2.41-12+deb13u5) trixie-security; urgency=medium
  * Fix CVE-2026-1111 (also fixed in bookworm) and CVE-2026-2222,
    CVE-2026-3333.
glibc (2.37-1) unstable; urgency=medium
  * CVE-2024-4444
glibc (2.36-9) unstable; urgency=medium
  * Fix CVE-2023-0001.
glibc (2.36-8) unstable; urgency=medium
  * CVE-2022-5555 (older than bookworm's version: not counted)
@@ zlib 1:1.3.dfsg-1 zlib1g
zlib (1:1.3.dfsg-1) unstable; urgency=medium
  * New upstream release (fixes CVE-2023-45853).
@@ new 2.0-1 new
new (2.0-1) unstable; urgency=low
  * CVE-2025-0009
"""


def test_parse_changelogs_gives_entries_and_their_cves():
    logs = f.parse_changelogs(CHANGELOGS_NEW)
    version, entries = logs["glibc"]
    assert version == "2.41-12+deb13u5"
    assert [e.version for e in entries] == ["2.41-12+deb13u5", "2.37-1", "2.36-9", "2.36-8"]
    assert entries[0].cves == {"CVE-2026-1111", "CVE-2026-2222", "CVE-2026-3333"}
    assert logs["zlib"][1][0].cves == {"CVE-2023-45853"}
    assert f.parse_changelogs("") == {}


def test_fixed_between_counts_only_fixes_newer_than_the_old_version_and_unknown_to_it():
    fixed = f.fixed_between(f.parse_changelogs(CHANGELOGS_OLD), f.parse_changelogs(CHANGELOGS_NEW))
    assert list(fixed.columns) == ["source", "old", "new", "cves", "examples"]
    assert fixed["source"].tolist() == ["glibc", "zlib"]  # most first; only packages in both
    glibc = fixed.iloc[0]
    assert glibc["cves"] == 3  # 2222, 3333, 4444: not 1111 (bookworm names it), not 0001, 5555
    assert glibc["examples"] == "CVE-2024-4444, CVE-2026-2222, CVE-2026-3333"
    assert (glibc["old"], glibc["new"]) == ("2.36-9+deb12u14", "2.41-12+deb13u5")
    assert fixed.iloc[1]["cves"] == 1
    assert f.fixed_between({}, f.parse_changelogs(CHANGELOGS_NEW)).empty


# ---------------------------------------------------------------- Dockerfile bases

DIGEST = "sha256:" + "a" * 64
# What check_bases tells a learner about each FROM line, in this order.
CHECK_COLUMNS = ["line", "image", "pinned", "tag", "pinned_digest", "current_digest",
                 "newer_digest", "newer_tags", "note"]  # fmt: skip


def test_version_tags():
    assert f.version_key("1.0") == ((1, 0), "")
    assert f.version_key("v3.23.6") == ((3, 23, 6), "")
    assert f.version_key("13-alpine") == ((13,), "-alpine")
    assert f.version_key("latest") is None and f.version_key("bookworm") is None
    tags = ["1.0", "1.1", "1.10", "1.9", "2.0", "1.1.1", "latest", "1.2-alpine", "0.9"]
    assert f.newer_tags("1.1", tags) == ["1.9", "1.10", "2.0"]  # numeric, same depth
    assert f.newer_tags("1.1-alpine", tags) == ["1.2-alpine"]  # same variant only
    assert f.newer_tags("latest", tags) == [] and f.newer_tags(None, tags) == []


class StubRegistry:
    """Answers like RegistryClient for a fixed set of tags (unit tests only)."""

    def __init__(self, digests, tags, offline=()):
        self.digests, self._tags, self.offline = digests, tags, offline

    def digest(self, ref):
        name, _, tag = ref.rpartition(":")
        if any(name.startswith(o) for o in self.offline):
            raise NoRegistry(f"The registry of {ref} is not reachable.")
        if tag not in self.digests:
            raise ManifestNotFound(f"{ref} does not exist.")
        return self.digests[tag]

    def tags(self, name):
        return self._tags


def test_check_bases_compares_digests_and_tags():
    old, cur = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    rc = StubRegistry({"latest": cur, "1.0": old, "1.1": cur}, ["1.0", "1.1", "latest"], offline=["docker.io", "alpine"])  # fmt: skip
    text = (f"FROM reg.example:5000/app:latest@{old} AS a\n"
            f"FROM reg.example:5000/app:latest@{cur} AS b\n"
            "FROM reg.example:5000/app:1.0 AS c\n"
            "FROM reg.example:5000/app AS d\n"
            "FROM reg.example:5000/app:0.5 AS e\n"
            "FROM alpine:3.23\n")  # fmt: skip
    df = f.check_bases(text, client=rc)
    assert list(df.columns) == CHECK_COLUMNS
    a, b, c, d, e, hub = (df.iloc[i] for i in range(6))
    assert a["newer_digest"] is True and "another digest" in a["note"]
    assert b["newer_digest"] is False and "still" in b["note"]
    assert c["newer_digest"] is None and c["newer_tags"] == ["1.1"] and c["current_digest"] == old
    assert d["tag"] == "latest" and "no tag" in d["note"]
    assert "no longer exists" in e["note"] and e["newer_tags"] == ["1.0", "1.1"]
    assert pd.isna(hub["current_digest"]) and "could not check" in hub["note"]


# ---------------------------------------------------------------- what notebook 10's cells read

D_OLD, D_NEW = datetime(2024, 4, 30, tzinfo=UTC), datetime(2026, 4, 27, tzinfo=UTC)
D_LATE = datetime(2026, 5, 1, tzinfo=UTC)  # a stable update of the old release, after D_NEW


def _changed() -> pd.DataFrame:
    old = {"libc6": f.Package("libc6", "2.36-9+deb12u7", D_OLD),
           "tzdata": f.Package("tzdata", "2026b-0+deb12u1", D_LATE),
           "bash": "5.2.15-2+b2", "libssl3": "3.0.15-1", "gone": "1.0", "back": "3.1"}  # fmt: skip
    new = {"libc6": f.Package("libc6", "2.41-12", D_NEW),
           "tzdata": f.Package("tzdata", "2026f-0+deb13u1", D_NEW),
           "bash": "5.2.37-2", "libssl3t64": "3.5.1-1", "new": "0.1", "back": "3.0"}  # fmt: skip
    return f.diff_packages(old, new)


def test_upgraded_keeps_only_upgrades():
    assert f.upgraded(_changed())["package"].tolist() == ["bash", "libc6", "tzdata"]
    assert f.upgraded(f.diff_packages({}, {"a": "1"})).empty


def test_dated_upgrades_and_days_behind():
    dated = f.dated_upgrades(_changed())
    assert dated["package"].tolist() == ["libc6", "tzdata"]  # bash has no dates
    behind = dated.set_index("package")["days_behind"].to_dict()
    assert behind == {"libc6": (D_NEW - D_OLD).days, "tzdata": (D_NEW - D_LATE).days}
    assert behind["tzdata"] < 0 < behind["libc6"]
    furthest = dated.loc[dated["days_behind"].idxmax()]
    assert furthest["package"] == "libc6"


def test_dated_later_in_old_finds_stable_updates_dated_after_the_new_version():
    later = f.dated_later_in_old(_changed())
    assert later["package"].tolist() == ["tzdata"]
    assert (later["old_date"] > later["new_date"]).all()
    same_day = {"x": f.Package("x", "1", D_NEW)}, {"x": f.Package("x", "2", D_NEW)}
    assert f.dated_later_in_old(f.diff_packages(*same_day)).empty  # equal dates: not later


def test_added_and_removed_pairs_renames():
    split = f.added_and_removed(_changed())
    assert split.renamed == [("libssl3", "libssl3t64")]
    assert split.only_old == ["gone"] and split.only_new == ["new"]
    other = f.added_and_removed(_changed(), rename_suffix="-new")
    assert other.renamed == [] and other.only_old == ["gone", "libssl3"]
    assert other.only_new == ["libssl3t64", "new"]


def test_sources_in_both():
    old, new = f.parse_changelogs(CHANGELOGS_OLD), f.parse_changelogs(CHANGELOGS_NEW)
    assert f.sources_in_both(old, new) == ["glibc", "zlib"]
    assert f.sources_in_both({}, new) == []


def test_tag_changes_says_what_happened_to_each_tag():
    a, b = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    timeline = {
        "after pushing 1.0": {"latest": a, "1.0": a, "1.1": None, "old": b},
        "after pushing 1.1": {"latest": b, "1.0": a, "1.1": b, "old": None},
    }
    table = f.tag_changes(timeline)
    assert table.index.name == "tag"
    assert list(table.columns) == ["after pushing 1.0", "after pushing 1.1", "what happened"]
    assert table["what happened"].to_dict() == {
        "latest": "moved", "1.0": "stayed", "1.1": "new tag", "old": "removed"}  # fmt: skip
    assert table.loc["latest", "after pushing 1.1"] == b


def test_checks_table_shortens_digests_and_hides_the_registry_port():
    old, cur = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    rc = StubRegistry({"latest": cur, "1.0": old}, ["1.0", "1.1"], offline=["docker.io", "alpine"])
    checks = pd.concat([f.check_bases(f"FROM 127.0.0.1:5123/app:latest@{old}\n", client=rc),
                        f.check_bases("FROM alpine:3.23\n", client=rc)], ignore_index=True)  # fmt: skip
    view = f.checks_table(checks, registry_host="127.0.0.1:5123")
    assert list(view.columns) == ["image", "pinned", "pinned_digest", "current_digest",
                                  "newer_digest", "newer_tags", "note"]  # fmt: skip
    first, hub = view.iloc[0], view.iloc[1]
    assert first["image"] == f"<registry>/app:latest@{old}"  # the image as written, port hidden
    assert (first["pinned_digest"], first["current_digest"]) == ("1" * 12, "2" * 12)
    assert pd.isna(hub["pinned_digest"]) and pd.isna(hub["current_digest"])  # nothing to shorten
    assert checks.loc[0, "pinned_digest"] == old  # the checks themselves are left as they were
    assert f.checks_table(checks)["image"].iloc[0] == f"127.0.0.1:5123/app:latest@{old}"


# ---------------------------------------------------------------- upgrades and scheduled scans

MADISON = """\
    passwd | 1:4.17.4-2+deb13u1 | http://deb.debian.org/debian-security trixie-security/main amd64 Packages
    passwd |   1:4.17.4-2 | http://deb.debian.org/debian trixie/main amd64 Packages
      bash | 5.2.37-2+b10 | http://deb.debian.org/debian trixie/main amd64 Packages
"""


def test_parse_madison_gives_each_archives_version():
    assert f.parse_madison(MADISON) == {
        "passwd": {"trixie-security": "1:4.17.4-2+deb13u1", "trixie": "1:4.17.4-2"},
        "bash": {"trixie": "5.2.37-2+b10"},
    }
    assert f.parse_madison("") == {}


def test_local_stanza_points_the_index_at_the_file_beside_it():
    stanza = "Package: passwd\nVersion: 1:4.17.4-2+deb13u1\n" \
             "Filename: pool/updates/main/s/shadow/passwd_4.17.4-2+deb13u1_amd64.deb\nSize: 1\n"  # fmt: skip
    out = f.local_stanza(stanza)
    assert "Filename: ./passwd_4.17.4-2+deb13u1_amd64.deb\n" in out
    assert out.startswith("Package: passwd\n") and out.endswith("Size: 1\n\n")


def _updates(table_rows, updates):
    table = pd.DataFrame(table_rows, columns=f.UPDATE_COLUMNS)
    return f.SecurityUpdates(
        "trixie", "amd64", table, {"a_1_all.deb": b"old"}, updates, "Package: a\n\n"
    )


def test_security_updates_repository_and_largest():
    up = _updates([["a", "a", "1", "1+deb13u1"], ["b", "b", "2", "2+deb13u1"]],
                  {"a_1+deb13u1_all.deb": b"x", "b_2+deb13u1_amd64.deb": b"xxxx"})  # fmt: skip
    assert up.largest() == "b"
    repo = up.repository()
    assert repo["updates/Packages"] == "Package: a\n\n"
    assert repo["updates/sources.list"] == "deb [trusted=yes] file:/srv/updates ./\n"
    assert repo["updates/b_2+deb13u1_amd64.deb"] == b"xxxx"
    empty = up.repository(empty=True)
    assert empty["updates/Packages"] == "" and not any(k.endswith(".deb") for k in empty)
    assert up.old_base_files() == {"point-release/a_1_all.deb": b"old"}
    with pytest.raises(LessonError, match="no update"):
        _updates([], {}).largest()


CHANGELOG_DATED = """@@ openssl 3.5.10-1~deb13u1 libssl3t64
openssl (3.5.10-1~deb13u1) trixie-security; urgency=medium
  * CVE-2026-0002, CVE-2026-0003
 -- Debian Security <sec@example.org>  Tue, 01 Dec 2026 21:17:49 +0000
openssl (3.5.9-1~deb13u1) trixie; urgency=medium
  * CVE-2026-0001
 -- Debian Security <sec@example.org>  Mon, 02 Nov 2026 10:00:00 +0000
@@ libzstd 1.5.7+dfsg-1+deb13u1 libzstd1
libzstd (1.5.7+dfsg-1+deb13u1) trixie-security; urgency=medium
  * CVE-2026-0009
 -- Debian Security <sec@example.org>  Tue, 24 Nov 2026 17:43:52 +0000
"""


def test_changelog_entries_carry_their_date():
    entries = f.parse_changelogs(CHANGELOG_DATED)["openssl"][1]
    assert [e.date.isoformat() for e in entries] == [
        "2026-12-01T21:17:49+00:00", "2026-11-02T10:00:00+00:00"]  # fmt: skip
    assert entries[0].cves == {"CVE-2026-0002", "CVE-2026-0003"}


def test_a_scheduled_scan_finds_more_as_advisories_are_published():
    logs = f.parse_changelogs(CHANGELOG_DATED)
    db = f.advisory_table(logs, ["openssl", "libzstd"],
                          {"openssl": "3.5.9-1~deb13u1", "libzstd": "1.5.7+dfsg-1"})  # fmt: skip
    # only entries newer than the point release; oldest first
    assert db["id"].tolist() == ["CVE-2026-0009", "CVE-2026-0002", "CVE-2026-0003"]
    old = {
        "libssl3t64": f.Package("libssl3t64", "3.5.9-1~deb13u1", source="openssl"),
        "libzstd1": f.Package("libzstd1", "1.5.7+dfsg-1", source="libzstd"),
    }
    dates = f.scan_dates(db, datetime(2026, 12, 6, tzinfo=UTC))
    assert [d.strftime("%Y-%m-%d") for d in dates] == [
        "2026-11-23", "2026-11-24", "2026-12-01", "2026-12-06"]  # fmt: skip
    found = [f.matches(old, db, when)["id"].nunique() for when in dates]
    assert found == [0, 1, 3, 3]  # the same packages, more known each time
    patched = dict(old, libssl3t64=f.Package("libssl3t64", "3.5.10-1~deb13u1", source="openssl"))
    assert f.matches(patched, db)["id"].tolist() == ["CVE-2026-0009"]
    assert list(f.matches(patched, db).columns) == f.FINDING_COLUMNS


def test_upgrade_summary_of_nothing_is_an_empty_table():
    summary = f.upgrade_summary({}, "apt-get")
    assert summary.empty and "old copies kept (MB)" in summary.columns
