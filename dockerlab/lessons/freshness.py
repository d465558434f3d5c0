"""Keeping up with updates: how old is a base, what changed, is there a newer one?

Three questions a Dockerfile's author should ask regularly, answered on the
real engine and the real registry:

- **How old is my base?** :func:`inspect` reads an image's creation date
  (the ``org.opencontainers.image.created`` label when its publisher set one,
  which derived images inherit from their base; else the config's
  ``Created``), its OS release (``/etc/os-release``) and every installed
  package with its version and **date**: for Debian packages the date of the
  package's Debian changelog (dpkg keeps each file's timestamp, and Debian
  builds set it to the changelog's date), for Alpine packages the build time
  apk records (``t:``). Ages are in days, relative to a moment that is shown.
- **What changed between two builds?** :func:`diff_packages` /
  :func:`compare_builds` list the packages added, removed, upgraded or
  downgraded, comparing versions the way dpkg does (:func:`compare_versions`).
  :func:`changelogs` and :func:`fixed_between` read the Debian changelogs of
  two images and list the vulnerabilities (CVE ids) the newer one's packages
  fixed since the older one's versions: notebook 10 compares the course's
  older Debian (bookworm) with its current one (trixie).
- **Is there a newer base?** :func:`base_images` lists the ``FROM`` images of a
  Dockerfile (parsed in memory with dockerfile-parse) and how each is pinned;
  :func:`check_bases` asks each image's registry, when it answers, whether its
  tag now points at another digest than the one pinned, and which version tags
  are newer. Whatever it could not check (no registry reachable) it says so.
- **What does an upgrade line in the Dockerfile do, and why scan on a schedule?**
  :func:`security_updates` asks Debian's archive (the host's apt, a private
  configuration) which of an image's packages its security archive updated after the
  last point release, with both versions' ``.deb`` files; :data:`OLD_BASE_DOCKERFILE`
  makes the base as it was before them, :meth:`SecurityUpdates.repository` a local
  stand-in for the security archive, and :func:`upgrade_summary` measures each build.
  :func:`advisories` makes a small vulnerability database from Debian's changelogs,
  :func:`scan_history` matches one image against it as of each day.

Example:
    >>> from dockerlab import freshness
    >>> freshness.inspect("debian:trixie").age_days            # doctest: +SKIP
    0.4
    >>> freshness.check_bases("FROM alpine:3.22\\n")            # doctest: +SKIP
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pandas as pd

from dockerlab.core.dockerfile import BaseImage, bases, read
from dockerlab.core.images import name_of, resolve
from dockerlab.core.plotting import (
    ACCENT,
    BAD,
    CAUTION,
    GUIDE,
    INK,
    MUTED,
    PAPER,
    SERIES,
    caption_below,
)
from dockerlab.errors import ContainerFailed, LessonError, NoRegistry
from dockerlab.inspect.filesystem import FileSystem, filesystem
from dockerlab.inspect.packages import Package, installed, parse_os_release
from dockerlab.registry.api import ManifestNotFound, RegistryClient, RegistryError

#: The label in which image publishers (and the kit's offline bases) record when an image was made.
CREATED_LABEL = "org.opencontainers.image.created"
#: Columns of :func:`diff_packages`.
DIFF_COLUMNS = ["package", "old", "new", "change", "old_date", "new_date"]
#: Columns of :func:`check_bases`.
CHECK_COLUMNS = [
    "line",
    "image",
    "pinned",
    "tag",
    "pinned_digest",
    "current_digest",
    "newer_digest",
    "newer_tags",
    "note",
]


# --------------------------------------------------------------------------- dates


def parse_time(value: str | None) -> datetime | None:
    """An RFC 3339 time as Docker writes it (nanoseconds, ``Z``) as an aware datetime.

    Example:
        >>> parse_time("2026-11-29T15:12:04.293660115Z")
        datetime.datetime(2026, 11, 29, 15, 12, 4, 293660, tzinfo=datetime.timezone.utc)
    """
    if not value or value.startswith("0001-01-01"):
        return None
    text = value.strip().replace("Z", "+00:00")
    m = re.match(r"^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?(.*)$", text)
    if m:  # Python reads at most 6 digits of fractions
        frac = (m[2] or "")[:7]
        text = m[1] + frac + (m[3] or "")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def age_days(when: datetime | None, now: datetime) -> float | None:
    """Days from ``when`` to ``now`` (one decimal), or None if ``when`` is unknown."""
    if when is None:
        return None
    return round((now - when).total_seconds() / 86400, 1)


def now_utc() -> datetime:
    """This moment, in UTC, to the second: the reference point of every age shown."""
    return datetime.now(UTC).replace(microsecond=0)


# --------------------------------------------------------------------------- packages


def _doc_date(fs: FileSystem, name: str) -> datetime | None:
    """The newest of ``/usr/share/doc/<name>/changelog.Debian*.gz``'s timestamps."""
    best = None
    for leaf in ("changelog.Debian.gz", "changelog.Debian.amd64.gz", "changelog.Debian.arm64.gz"):
        info = fs.entries.get(fs.resolve(f"/usr/share/doc/{name}/{leaf}"))
        if info is not None and info.isfile() and info.mtime > 0:
            when = datetime.fromtimestamp(info.mtime, UTC)
            best = when if best is None or when > best else best
    return best


def packages_of(fs: FileSystem) -> dict[str, Package]:
    """Installed packages of an image's filesystem, by name, with versions and dates.

    A package's date is when its version was made: Alpine's build time, as apk
    records it; for a Debian package, its Debian changelog's date (dpkg keeps each
    file's timestamp, and Debian builds set it to the changelog's). None when the
    image does not say (``-slim`` images have no ``/usr/share/doc``).
    """
    out: dict[str, Package] = {}
    for p in installed(fs):
        out[p.name] = replace(p, date=_doc_date(fs, p.name)) if p.ecosystem == "Debian" else p
    return out


# --------------------------------------------------------------------------- how old is an image


@dataclass(frozen=True)
class ImageFacts:
    """What an image says about its age and contents.

    Attributes:
        image: The reference inspected.
        image_id: The engine's image id.
        created: The date used for the image's age (see ``created_source``).
        created_source: Where ``created`` comes from: the label or the config.
        config_created: The image config's ``Created`` (when it was built or imported).
        os: ``PRETTY_NAME`` of ``/etc/os-release`` (plus ``VERSION_ID`` if more precise).
        os_release: Every field of ``/etc/os-release``.
        packages: Installed packages by name.
        computed_at: The moment ages are computed from.
    """

    image: str
    image_id: str
    created: datetime | None
    created_source: str
    config_created: datetime | None
    os: str
    os_release: dict[str, str]
    packages: dict[str, Package] = field(repr=False)
    computed_at: datetime

    @property
    def age_days(self) -> float | None:
        """Days since :attr:`created`, at :attr:`computed_at`."""
        return age_days(self.created, self.computed_at)

    @property
    def newest_package(self) -> Package | None:
        """The package whose version is the most recent, if any package has a date."""
        dated = [p for p in self.packages.values() if p.date is not None]
        return max(dated, key=lambda p: p.date) if dated else None

    @property
    def oldest_package(self) -> Package | None:
        dated = [p for p in self.packages.values() if p.date is not None]
        return min(dated, key=lambda p: p.date) if dated else None

    def row(self) -> dict:
        """One table row: dates, ages, OS and package counts."""
        newest = self.newest_package
        return {
            "image": self.image,
            "os": self.os,
            "created": self.created.strftime("%Y-%m-%d %H:%M") if self.created else "unknown",
            "created from": self.created_source,
            "age (days)": self.age_days,
            "packages": len(self.packages),
            "dated packages": sum(p.date is not None for p in self.packages.values()),
            "newest package": f"{newest.name} {newest.version}" if newest else "unknown",
            "newest package date": newest.date.strftime("%Y-%m-%d") if newest else "unknown",
            "newest package age (days)": (
                age_days(newest.date, self.computed_at) if newest else None
            ),
        }

    def package_table(self) -> pd.DataFrame:
        """Every package with its version, date and age in days, newest first."""
        rows = [
            {
                "package": p.name,
                "version": p.version,
                "date": p.date.strftime("%Y-%m-%d") if p.date else None,
                "age (days)": age_days(p.date, self.computed_at),
            }
            for p in self.packages.values()
        ]
        df = pd.DataFrame(rows, columns=["package", "version", "date", "age (days)"])
        return df.sort_values("age (days)", na_position="last", kind="stable").reset_index(
            drop=True
        )


def _os_name(release: Mapping[str, str]) -> str:
    pretty = release.get("PRETTY_NAME") or release.get("NAME") or "unknown"
    version = release.get("VERSION_ID", "")
    return pretty if not version or version in pretty else f"{pretty} ({version})"


def inspect(image, now: datetime | None = None) -> ImageFacts:
    """Read an image's creation date, OS release and packages (it is never run).

    The date used is the ``org.opencontainers.image.created`` label when the
    image has one (its publisher's statement of when it was made; an image
    built ``FROM`` it inherits it, so it dates the *base*), else the config's
    ``Created``.

    Args:
        image: A reference or :class:`~dockerlab.BuiltImage`.
        now: The reference moment for ages (default: now, UTC).

    Raises:
        ImageNotFound: The image is not on this engine.
    """
    img = resolve(image)
    name = name_of(image)
    config_created = parse_time(img.attrs.get("Created"))
    label = parse_time((img.labels or {}).get(CREATED_LABEL))
    created, source = (
        (label, f"label {CREATED_LABEL}") if label else (config_created, "config Created")
    )
    fs = filesystem(img.id)
    release = parse_os_release(fs.os_release)
    return ImageFacts(
        image=name,
        image_id=img.id,
        created=created,
        created_source=source,
        config_created=config_created,
        os=_os_name(release),
        os_release=release,
        packages=packages_of(fs),
        computed_at=now or now_utc(),
    )


def age_table(images: Mapping[str, object], now: datetime | None = None) -> pd.DataFrame:
    """:meth:`ImageFacts.row` for several images (label -> reference), one moment for all."""
    now = now or now_utc()
    rows = {label: inspect(ref, now).row() for label, ref in images.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


# --------------------------------------------------------------------------- versions


def _order(c: str) -> int:
    """dpkg's weight of one character of a non-digit part: ~ first, then end, letters, others."""
    if c == "~":
        return -1
    if c.isdigit():
        return 0
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _compare_part(a: str, b: str) -> int:
    """Compare an upstream version or Debian revision, dpkg's way."""
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) and not a[i].isdigit() else 0
            bc = _order(b[j]) if j < len(b) and not b[j].isdigit() else 0
            if ac != bc:
                return -1 if ac < bc else 1
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = (a[i] > b[j]) - (a[i] < b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def _split_version(v: str) -> tuple[int, str, str]:
    epoch, _, rest = v.partition(":") if ":" in v else ("0", "", v)
    upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "")
    return int(epoch or 0) if epoch.isdigit() else 0, upstream, revision


def compare_versions(a: str, b: str) -> int:
    """Compare two package versions the way dpkg does: -1, 0 or 1.

    ``epoch:upstream-revision``; ``~`` sorts before anything (``1.0~rc1 < 1.0``).
    Alpine versions (``1.37.0-r30``) compare sensibly with the same rules.

    Example:
        >>> compare_versions("2.36-9+deb12u7", "2.36-9+deb12u14")
        -1
        >>> compare_versions("1:1.0", "2.0")
        1
    """
    ea, ua, ra = _split_version(a)
    eb, ub, rb = _split_version(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _compare_part(ua, ub) or _compare_part(ra, rb)


def _as_package(name: str, value) -> Package:
    return value if isinstance(value, Package) else Package(name, str(value))


def diff_packages(
    old: Mapping[str, Package | str], new: Mapping[str, Package | str]
) -> pd.DataFrame:
    """The packages that differ between two images' package lists.

    Args:
        old: Name -> :class:`Package` (or version string) of the older build.
        new: The same for the newer build.

    Returns:
        One row per package that was added, removed, upgraded or downgraded,
        sorted by name: ``package``, ``old``, ``new`` (versions, None when
        absent), ``change``, ``old_date``, ``new_date``. Empty when nothing changed.
    """
    rows = []
    for name in sorted(set(old) | set(new)):
        a = _as_package(name, old[name]) if name in old else None
        b = _as_package(name, new[name]) if name in new else None
        if a and b and a.version == b.version:
            continue
        if a is None:
            change = "added"
        elif b is None:
            change = "removed"
        else:
            change = "upgraded" if compare_versions(a.version, b.version) < 0 else "downgraded"
        rows.append(
            {
                "package": name,
                "old": a.version if a else None,
                "new": b.version if b else None,
                "change": change,
                "old_date": a.date if a else None,
                "new_date": b.date if b else None,
            }
        )
    return pd.DataFrame(rows, columns=DIFF_COLUMNS)


def compare_builds(old_image, new_image) -> pd.DataFrame:
    """:func:`diff_packages` of two images on the engine (read from their filesystems)."""
    return diff_packages(packages_of(filesystem(old_image)), packages_of(filesystem(new_image)))


def upgraded(diff: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`diff_packages`'s table whose package was upgraded."""
    return diff[diff["change"] == "upgraded"]


def dated_upgrades(diff: pd.DataFrame) -> pd.DataFrame:
    """The upgraded packages with a date in both builds, and how far apart the dates are.

    Args:
        diff: :func:`diff_packages`'s table.

    Returns:
        Those rows of ``diff`` (upgraded, ``old_date`` and ``new_date`` both known), with
        one more column, ``days_behind``: whole days from the old version's date to the
        new one's (negative when the old version is dated later: see
        :func:`dated_later_in_old`).
    """
    rows = upgraded(diff).dropna(subset=["old_date", "new_date"])
    new_date = pd.to_datetime(rows["new_date"], utc=True)
    old_date = pd.to_datetime(rows["old_date"], utc=True)
    return rows.assign(days_behind=(new_date - old_date).dt.days)


def dated_later_in_old(diff: pd.DataFrame) -> pd.DataFrame:
    """Upgraded packages whose older version is dated *later* than the newer one.

    An old release keeps receiving stable updates (fixes backported to its own
    versions), so its version of a package can be more recent than the new release's,
    although dpkg orders the new release's version after it: compare versions, not dates.

    Args:
        diff: :func:`diff_packages`'s table.

    Returns:
        The rows of :func:`dated_upgrades` with ``old_date`` after ``new_date``.
    """
    dated = dated_upgrades(diff)
    return dated[dated["old_date"] > dated["new_date"]]


@dataclass(frozen=True)
class AddedRemoved:
    """The packages only one of two builds has, once renamed packages are paired.

    Attributes:
        renamed: (old name, new name) pairs, sorted: a package removed and one added under
            its name plus the rename's suffix (``libssl3`` -> ``libssl3t64``).
        only_old: Packages only the older build has (not renamed), sorted.
        only_new: Packages only the newer build has (not renamed), sorted.
    """

    renamed: list[tuple[str, str]]
    only_old: list[str]
    only_new: list[str]


def added_and_removed(diff: pd.DataFrame, rename_suffix: str = "t64") -> AddedRemoved:
    """Split :func:`diff_packages`'s added and removed packages into renames and the rest.

    Debian 13 renamed the libraries whose interface changed with the 64-bit ``time_t``
    by adding ``t64`` to their names; such a pair is one library, not a removal and an
    addition.

    Args:
        diff: :func:`diff_packages`'s table.
        rename_suffix: What a rename adds to a package's name.

    Example:
        >>> diff = pd.DataFrame({"package": ["libssl3", "libssl3t64", "libfoo", "libbar"],
        ...                      "change": ["removed", "added", "removed", "added"]})
        >>> added_and_removed(diff)
        AddedRemoved(renamed=[('libssl3', 'libssl3t64')], only_old=['libfoo'], only_new=['libbar'])
    """
    added = set(diff.loc[diff["change"] == "added", "package"])
    removed = set(diff.loc[diff["change"] == "removed", "package"])
    renamed = sorted(
        (p.removesuffix(rename_suffix), p)
        for p in added
        if p.endswith(rename_suffix) and p.removesuffix(rename_suffix) in removed
    )
    return AddedRemoved(
        renamed=renamed,
        only_old=sorted(removed - {a for a, _ in renamed}),
        only_new=sorted(added - {b for _, b in renamed}),
    )


# --------------------------------------------------------------------------- what an update fixed

#: A CVE id, as Debian's changelogs write them.
CVE = re.compile(r"CVE-\d{4}-\d{4,}")
#: The first line of a Debian changelog entry: ``glibc (2.41-12) unstable; urgency=medium``.
_ENTRY = re.compile(r"^(\S+) \(([^)\s]+)\) [^;]*;")
#: Columns of :func:`fixed_between`.
FIXED_COLUMNS = ["source", "old", "new", "cves", "examples"]

#: Prints, for each source package named, its installed version and the header and
#: CVE lines of its Debian changelog (the newest binary package's copy).
_CHANGELOG_SCRIPT = r"""
dpkg-query -W -f '${source:Package} ${Version} ${Package}\n' | sort -u -k1,1 |
while read -r src version pkg; do
  for f in /usr/share/doc/"$pkg"/changelog.Debian.gz; do
    [ -r "$f" ] || continue
    echo "@@ $src $version"
    zcat "$f" | grep -E '^[a-z0-9]|CVE-[0-9]|^ -- '
  done
done
"""


@dataclass(frozen=True)
class ChangelogEntry:
    """One entry of a Debian changelog: its version, the CVE ids it names, and its date
    (the trailer line's, when the entry has one)."""

    version: str
    cves: frozenset[str]
    date: datetime | None = None


def _trailer_date(line: str) -> datetime | None:
    """The date of a changelog entry's trailer, `` -- Name <mail>  Thu, 29 Feb 2024 ...``."""
    _, _, when = line.partition(">  ")
    try:
        return parsedate_to_datetime(when.strip()).astimezone(UTC) if when else None
    except (TypeError, ValueError):
        return None


def parse_changelogs(text: str) -> dict[str, tuple[str, list[ChangelogEntry]]]:
    """The output of :data:`_CHANGELOG_SCRIPT`: source package -> (installed version, entries).

    Entries are newest first, as in the changelog; CVE ids a line names are given
    to the entry the line belongs to.
    """
    out: dict[str, tuple[str, list[ChangelogEntry]]] = {}
    entries: list[ChangelogEntry] = []
    version: str | None = None
    cves: set[str] = set()
    for line in text.splitlines():
        if line.startswith("@@ "):
            parts = line.split()
            if len(parts) < 3:
                continue
            entries, version, cves = [], None, set()
            out[parts[1]] = (parts[2], entries)
            continue
        m = _ENTRY.match(line)
        if m and out:
            version, cves = m[2], set()
            entries.append(ChangelogEntry(version, frozenset()))
        elif version is not None and line.startswith(" -- "):
            entries[-1] = replace(entries[-1], date=_trailer_date(line))
        elif version is not None and CVE.search(line):
            cves.update(CVE.findall(line))
            entries[-1] = replace(entries[-1], cves=frozenset(cves))
    return out


def changelogs(image) -> dict[str, tuple[str, list[ChangelogEntry]]]:
    """Every source package of a Debian image with its version and changelog entries.

    Read in a demo container of the image (no network, limits): ``dpkg-query``
    and ``zcat`` of ``/usr/share/doc/<package>/changelog.Debian.gz``. A ``-slim``
    image has no changelogs, so nothing is found there.
    """
    from dockerlab.core.containers import run

    result = run(resolve(image).id, ["sh", "-c", _CHANGELOG_SCRIPT], timeout=120)
    if not result.ok:
        raise ContainerFailed(f"Reading the changelogs of {image} failed: {result.output[-300:]}")
    return parse_changelogs(result.output)


def fixed_between(
    old: Mapping[str, tuple[str, list[ChangelogEntry]]],
    new: Mapping[str, tuple[str, list[ChangelogEntry]]],
) -> pd.DataFrame:
    """Vulnerabilities the newer image's packages fixed since the older image's versions.

    For each source package in both, the CVE ids named by the newer package's
    changelog entries *newer than the older image's version*, less every CVE id the
    older package's own changelog names (a stable update may have fixed it there
    too). What is left was fixed after the older version and is not recorded as
    fixed in it; some of those may never have affected it (Debian's security
    tracker says, per CVE). Fixes that came with a new upstream version without a
    CVE id in the changelog are not counted, so it is neither a floor nor a ceiling.

    Returns:
        One row per source package with at least one such CVE (columns
        :data:`FIXED_COLUMNS`: ``cves`` the count, ``examples`` up to three ids),
        most first.
    """
    rows = []
    for source in sorted(set(old) & set(new)):
        old_version, old_entries = old[source]
        new_version, new_entries = new[source]
        if compare_versions(new_version, old_version) <= 0:
            continue
        named_before = set().union(*(e.cves for e in old_entries))
        since = set().union(
            *(e.cves for e in new_entries if compare_versions(e.version, old_version) > 0)
        )
        fixed = sorted(since - named_before)
        if fixed:
            rows.append(
                {
                    "source": source,
                    "old": old_version,
                    "new": new_version,
                    "cves": len(fixed),
                    "examples": ", ".join(fixed[-3:]),
                }
            )
    df = pd.DataFrame(rows, columns=FIXED_COLUMNS)
    return df.sort_values(["cves", "source"], ascending=[False, True], ignore_index=True)


def sources_in_both(old: Mapping[str, object], new: Mapping[str, object]) -> list[str]:
    """The source packages two images' :func:`changelogs` both have, sorted: those
    :func:`fixed_between` compares."""
    return sorted(set(old) & set(new))


# --------------------------------------------------------------------------- Dockerfile bases


def version_key(tag: str) -> tuple[tuple[int, ...], str] | None:
    """A version tag's numbers and suffix, or None if it is not a version.

    ``1.0`` -> ((1, 0), ""); ``v3.23.6`` -> ((3, 23, 6), ""); ``13-alpine`` ->
    ((13,), "-alpine"); ``latest``, ``bookworm`` -> None.
    """
    m = re.fullmatch(r"v?(\d+(?:\.\d+)*)([-_][A-Za-z][\w.-]*)?", tag)
    if not m:
        return None
    return tuple(int(x) for x in m[1].split(".")), m[2] or ""


def newer_tags(tag: str | None, tags: Sequence[str]) -> list[str]:
    """Version tags of the same variant that are newer than ``tag``, oldest first.

    Only tags with as many version parts count (``3.23`` is compared with
    ``3.24``, not with ``3.24.1``), so a ``3`` pin is not flooded with patch tags.
    When ``tag`` is not a version (``latest``, no tag), nothing is "newer" in
    this sense: see the digest comparison instead.
    """
    key = version_key(tag) if tag else None
    if key is None:
        return []
    numbers, suffix = key
    found = []
    for t in tags:
        k = version_key(t)
        if k and k[1] == suffix and len(k[0]) == len(numbers) and k[0] > numbers:
            found.append((k[0], t))
    return [t for _, t in sorted(found)]


def check_bases(
    dockerfile: str | Path,
    *,
    build_args: Mapping[str, str] | None = None,
    client: RegistryClient | None = None,
) -> pd.DataFrame:
    """For each base image of a Dockerfile: is a newer one published?

    For every base, its registry is asked (where it answers) for the digest its
    tag points at **now** (``latest`` when no tag is written) and for its tag
    list. ``newer_digest`` is True when the tag has moved away from a pinned
    digest, False when it has not, None when there was nothing pinned to compare
    or the registry could not be asked; ``newer_tags`` lists version tags newer
    than the one written. ``note`` says in words what was found, or what could
    not be checked and why.

    Args:
        dockerfile: Dockerfile text, or a path.
        build_args: ``--build-arg`` values.
        client: A :class:`~dockerlab.registry.api.RegistryClient` to reuse.

    Returns:
        One row per base image (columns :data:`CHECK_COLUMNS`).
    """
    own = client is None
    rc = client or RegistryClient()
    rows = []
    try:
        for b in bases(read(dockerfile), build_args):
            rows.append(_check_one(rc, b))
    finally:
        if own:
            rc.close()
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def _check_one(rc: RegistryClient, b: BaseImage) -> dict:
    tag = b.tag or "latest"
    row = {"line": b.line, "image": b.image, "pinned": b.pinned, "tag": tag,
           "pinned_digest": b.digest, "current_digest": None, "newer_digest": None,
           "newer_tags": [], "note": ""}  # fmt: skip
    notes = []
    if b.pinned == "none":
        notes.append("no tag: means latest")
    try:
        current = rc.digest(f"{b.name}:{tag}")
        row["current_digest"] = current
        if b.digest:
            row["newer_digest"] = current != b.digest
            notes.append(
                f"{tag} now points at another digest than the one pinned"
                if current != b.digest
                else f"pinned digest is still what {tag} points at"
            )
        else:
            notes.append(f"not pinned by digest: {tag} is whatever the registry serves today")
    except NoRegistry as e:
        notes.append(f"could not check: {e}")
        row["note"] = "; ".join(notes)
        return row
    except ManifestNotFound:
        notes.append(f"the tag {tag} no longer exists in the registry")
    except RegistryError as e:
        notes.append(f"could not read the digest of {tag}: {e}")
    try:
        tags = rc.tags(b.name)
        newer = newer_tags(b.tag, tags)
        row["newer_tags"] = newer
        if newer:
            notes.append(f"newer version tags: {', '.join(newer)}")
        elif version_key(tag):
            notes.append("no newer version tag")
    except (ManifestNotFound, RegistryError) as e:
        notes.append(f"could not list tags: {e}")
    row["note"] = "; ".join(notes)
    return row


# --------------------------------------------------------------------------- pictures


def short_digest(digest: str | None, n: int = 12) -> str:
    """``sha256:0123456789ab...`` as ``0123456789ab`` (the first ``n`` hex digits)."""
    return digest.split(":", 1)[-1][:n] if digest else "-"


def tag_changes(snapshots: Mapping[str, Mapping[str, str | None]]) -> pd.DataFrame:
    """Which digest each tag pointed at, moment by moment, and what happened to it.

    Args:
        snapshots: Moment label -> {tag: digest, or None if the tag did not exist yet},
            oldest moment first (what :func:`plot_tag_timeline` draws).

    Returns:
        One row per tag (index ``tag``), one column per moment, and ``what happened``
        from the first moment to the last: ``new tag`` (it did not exist at first),
        ``removed`` (it no longer exists), ``moved`` (another digest) or ``stayed``.

    Example:
        >>> tag_changes({"monday": {"latest": "sha256:a", "1.1": None},
        ...              "tuesday": {"latest": "sha256:b", "1.1": "sha256:b"}})["what happened"].tolist()
        ['moved', 'new tag']
    """
    table = pd.DataFrame(snapshots).rename_axis("tag")

    def _what(first, last) -> str:
        if pd.isna(first):
            return "new tag"
        if pd.isna(last):
            return "removed"
        return "moved" if first != last else "stayed"

    table["what happened"] = [
        _what(a, b)
        for a, b in zip(table.iloc[:, 0], table.iloc[:, len(snapshots) - 1], strict=True)
    ]
    return table


def checks_table(checks: pd.DataFrame, registry_host: str | None = None) -> pd.DataFrame:
    """:func:`check_bases`'s rows for reading: digests shortened (:func:`short_digest`).

    Args:
        checks: :func:`check_bases`'s table (or several, concatenated).
        registry_host: A registry's ``host:port`` to write as ``<registry>`` in the image
            names (a local registry's port changes from run to run).

    Returns:
        The columns image, pinned, pinned_digest, current_digest, newer_digest,
        newer_tags and note.
    """

    def short(d):
        return short_digest(d) if d else None

    view = checks.assign(
        pinned_digest=checks["pinned_digest"].map(short),
        current_digest=checks["current_digest"].map(short),
    )
    if registry_host:
        view = view.assign(image=view["image"].str.replace(registry_host, "<registry>"))
    return view[
        ["image", "pinned", "pinned_digest", "current_digest", "newer_digest", "newer_tags", "note"]
    ]


def plot_tag_timeline(
    snapshots: Mapping[str, Mapping[str, str | None]],
    *,
    title: str = "",
    caption: str | None = None,
):
    """Which digest each tag points at, moment by moment: one row per tag, one column per moment.

    Each cell shows the digest (its first hex digits), coloured by digest, so
    a tag that moves changes colour and a digest that stays keeps it.

    Args:
        snapshots: Moment label -> {tag: digest, or None if the tag does not exist yet}.
        title: The chart's title.
        caption: A line under the chart.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    moments = list(snapshots)
    tags = list(dict.fromkeys(t for snap in snapshots.values() for t in snap))
    digests = list(dict.fromkeys(d for snap in snapshots.values() for d in snap.values() if d))
    colour = {d: SERIES[i % len(SERIES)] for i, d in enumerate(digests)}
    fig, ax = plt.subplots(figsize=(3.4 * len(moments) + 1.5, 0.9 * len(tags) + 1.4))
    for x, moment in enumerate(moments):
        for y, tag in enumerate(tags):
            d = snapshots[moment].get(tag)
            box = FancyBboxPatch(
                (x - 0.42, y - 0.32),
                0.84,
                0.64,
                boxstyle="round,pad=0.02",
                facecolor=colour[d] if d else PAPER,
                alpha=0.9 if d else 1,
                edgecolor=GUIDE,
                linestyle="-" if d else ":",
            )
            ax.add_patch(box)
            ax.text(
                x,
                y,
                short_digest(d) if d else "(no such tag)",
                ha="center",
                va="center",
                fontsize=10,
                family="monospace",
                color=PAPER if d else MUTED,
            )
        if x:
            for y, tag in enumerate(tags):
                before, after = snapshots[moments[x - 1]].get(tag), snapshots[moment].get(tag)
                if before and after and before != after:
                    ax.annotate(
                        "moved",
                        (x - 0.42, y),
                        (x - 0.58, y),
                        ha="right",
                        va="center",
                        fontsize=9,
                        color=BAD,
                        fontweight="bold",
                        arrowprops={"arrowstyle": "->", "color": BAD},
                    )
    ax.set_xlim(-0.6, len(moments) - 0.4)
    ax.set_ylim(len(tags) - 0.5, -0.5)
    ax.set_xticks(range(len(moments)), moments)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(tags)), tags, family="monospace")
    ax.grid(False)
    for side in ("left", "bottom", "top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    if title:
        fig.suptitle(title, fontweight="bold")
    if caption:
        caption_below(fig, caption)
    return fig


def plot_package_dates(facts: Sequence[ImageFacts], *, caption: str | None = None):
    """Each image's packages on a time line (one dot per dated package), and the image's own date.

    Shows at a glance that an image made today can hold software from many
    months (or years) ago.
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 1.1 * len(facts) + 1.6))
    for y, f in enumerate(facts):
        dates = sorted(p.date for p in f.packages.values() if p.date is not None)
        jitter = [((i % 5) - 2) * 0.06 for i in range(len(dates))]
        ax.scatter(
            dates,
            [y + j for j in jitter],
            s=18,
            alpha=0.6,
            color=SERIES[y % len(SERIES)],
            label=None,
        )
        if f.created:
            ax.plot([f.created], [y], marker="|", markersize=28, color=INK, mew=2)
            ax.annotate("image created", (f.created, y - 0.3), ha="right", va="bottom", fontsize=8)
        if dates:
            ax.annotate(
                f"{len(dates)} packages, {dates[0]:%Y-%m-%d} ... {dates[-1]:%Y-%m-%d}",
                (dates[0], y + 0.3),
                ha="left",
                va="top",
                fontsize=8,
                color=INK,
            )
    ax.axvline(facts[0].computed_at, color=BAD, linestyle="--", linewidth=1)
    ax.annotate(
        f"now ({facts[0].computed_at:%Y-%m-%d})",
        (facts[0].computed_at, len(facts) - 0.45),
        ha="right",
        va="bottom",
        fontsize=8,
        color=BAD,
    )
    ax.set_yticks(range(len(facts)), [f.image for f in facts])
    ax.set_ylim(len(facts) - 0.4, -0.6)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.grid(True, axis="x")
    ax.set_title("When was each package version made? (one dot per package)")
    if caption:
        caption_below(fig, caption)
    return fig


def plot_package_changes(
    diff: pd.DataFrame,
    *,
    old_label: str = "older build",
    new_label: str = "newer build",
    caption: str | None = None,
    top: int | None = None,
):
    """One row per changed package: an arrow from the old version's date to the new one's.

    The arrow's length is how far behind the older build was on that package.

    Args:
        diff: :func:`diff_packages`'s table (rows without both dates are left out).
        old_label: Legend of the older build's dates.
        new_label: Legend of the newer build's dates.
        caption: A line under the chart.
        top: Draw only the ``top`` packages that were furthest behind (the title says so).
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    rows = diff.dropna(subset=["old_date", "new_date"]).reset_index(drop=True)
    dated = len(rows)
    if top is not None and dated > top:
        behind = rows["new_date"] - rows["old_date"]
        rows = rows.loc[behind.sort_values(ascending=False).index[:top]].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(10, 0.55 * max(1, len(rows)) + 1.6))
    for y, r in rows.iterrows():
        ax.annotate(
            "",
            (r["new_date"], y),
            (r["old_date"], y),
            arrowprops={"arrowstyle": "->", "color": MUTED, "lw": 1.5},
        )
        ax.scatter(
            [r["old_date"]], [y], color=CAUTION, s=45, zorder=3, label=old_label if y == 0 else None
        )
        ax.scatter(
            [r["new_date"]], [y], color=ACCENT, s=45, zorder=3, label=new_label if y == 0 else None
        )
        days = (r["new_date"] - r["old_date"]).days
        ax.annotate(
            f"{r['old']} -> {r['new']}  ({days} days newer)",
            (r["new_date"], y),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(range(len(rows)), rows["package"], family="monospace")
    ax.set_ylim(len(rows) - 0.5, -0.8)
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    left, right = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if left <= t <= right]
    ax.set_xticks(ticks)  # room for the labels on the right, without ticks in the future
    ax.set_xlim(left, right + (right - left) * 0.45)
    ax.grid(True, axis="x")
    ax.legend(loc="upper left", ncols=2)
    shown = f" ({len(rows)} of {dated}, furthest behind)" if len(rows) < dated else ""
    ax.set_title(f"Packages that differ: date of the version in each build{shown}")
    if caption:
        caption_below(fig, caption)
    return fig


# --------------------------------------------------------------- upgrading inside the Dockerfile

#: Columns of :attr:`SecurityUpdates.table`.
UPDATE_COLUMNS = ["package", "source", "point_release", "installed"]
#: Where the lesson's updates repository sits in the build context and in the image.
UPDATES_DIR = "updates"
#: apt options that read only the lesson's repository (the image's own sources need a
#: network the build does not have).
UPDATES_APT = (
    f"-o Dir::Etc::SourceList=/srv/{UPDATES_DIR}/sources.list -o Dir::Etc::SourceParts=/dev/null"
)


@dataclass(frozen=True)
class SecurityUpdates:
    """The packages of a Debian image that came from the security archive after its
    release's last point release, and both versions of each as ``.deb`` files.

    Attributes:
        suite: The Debian release (``trixie``).
        arch: Its architecture (``amd64``).
        table: One row per package (:data:`UPDATE_COLUMNS`): the version the release's
            own archive has (the last point release) and the installed one (the security
            archive's).
        point_release: File name -> bytes of each point-release ``.deb``.
        updates: File name -> bytes of each installed version's ``.deb``.
        index: Each installed version's stanza of Debian's own package index (signed by the
            archive), its ``Filename`` made local: a repository apt reads.
        where: Where the files came from (the archive's URLs).
        missing: Why nothing could be measured here, or None.
    """

    suite: str
    arch: str
    table: pd.DataFrame
    point_release: dict[str, bytes] = field(repr=False)
    updates: dict[str, bytes] = field(repr=False)
    index: str = field(repr=False)
    where: str = ""
    missing: str | None = None

    def largest(self) -> str:
        """The package whose update is the largest download (the one to upgrade by hand)."""
        sizes = {name.split("_")[0]: len(data) for name, data in self.updates.items()}
        if not sizes:
            raise LessonError(
                f"Debian {self.suite}'s security archive has no update of this image's packages "
                "newer than the last point release.",
                hint="A point release has just folded the security updates into the release: "
                "this part can show something again after the next security update.",
            )
        return max(sizes, key=sizes.__getitem__)

    def old_base_files(self) -> dict[str, bytes]:
        """Build-context files for :data:`OLD_BASE_DOCKERFILE`: the point-release packages."""
        return {f"point-release/{name}": data for name, data in self.point_release.items()}

    def repository(self, *, empty: bool = False) -> dict[str, bytes | str]:
        """Build-context files of a one-folder apt repository in ``updates/``: the updates'
        ``.deb`` files, their ``Packages`` index and a ``sources.list`` naming it. It stands
        in for Debian's security archive, which a build without a network cannot reach.

        Args:
            empty: The repository as it was before the updates were published: an index
                with no package in it.
        """
        files: dict[str, bytes | str] = {
            f"{UPDATES_DIR}/Packages": "" if empty else self.index,
            f"{UPDATES_DIR}/sources.list": f"deb [trusted=yes] file:/srv/{UPDATES_DIR} ./\n",
        }
        if not empty:
            files |= {f"{UPDATES_DIR}/{name}": data for name, data in self.updates.items()}
        return files


#: A base as it was at its release's last point release: the course's Debian with the
#: packages the security archive has updated since put back to their point-release
#: versions, squashed into one layer as a published base is.
OLD_BASE_DOCKERFILE = """
FROM {base} AS point_release
COPY point-release/ /tmp/point-release/
RUN dpkg -i /tmp/point-release/*.deb && rm -rf /tmp/point-release
FROM scratch
COPY --from=point_release / /
CMD ["bash"]
"""


def parse_madison(text: str) -> dict[str, dict[str, str]]:
    """``apt-cache madison``'s lines: package -> {archive (``trixie-security``): version}."""
    out: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and " " in parts[2]:
            archive = parts[2].split()[1].split("/")[0]
            out.setdefault(parts[0], {}).setdefault(archive, parts[1])
    return out


def local_stanza(stanza: str) -> str:
    """An ``apt-cache show`` stanza with its ``Filename`` made a file of the same folder."""
    lines = [
        f"Filename: ./{Path(line.split(':', 1)[1].strip()).name}"
        if line.startswith("Filename:")
        else line
        for line in stanza.strip().splitlines()
    ]
    return "\n".join(lines) + "\n\n"


def security_updates(image) -> SecurityUpdates:
    """Which of a Debian image's packages the security archive updated after the last
    point release, with both versions' ``.deb`` files, from Debian's archive.

    Asks Debian's archive, through a private apt configuration in the kit's cache
    (``lessons/apt-SUITE-ARCH``; offline, the index and files of an earlier run), which
    version of each installed package the release itself has and which its security
    archive has. The files are checked against the archive's signed index.

    Where that cannot be done (no apt on this machine, Debian's archive unreachable and
    nothing cached, or no such update right now), the result says why in ``missing`` and
    holds no package.

    Raises:
        LessonError: The image is not a Debian image.
    """
    from dockerlab.core.config import cache_dir, machine_arch
    from dockerlab.core.downloads import Apt, apt_sources, download_debian_packages

    img = resolve(image)
    fs = filesystem(img.id)
    suite = parse_os_release(fs.os_release).get("VERSION_CODENAME", "")
    packages = packages_of(fs)
    if not suite or not packages or any(p.ecosystem != "Debian" for p in packages.values()):
        raise LessonError(f"{name_of(image)} is not a Debian image with a package database.")
    arch = img.attrs.get("Architecture") or machine_arch()
    apt = Apt(
        f"Debian {suite}",
        cache_dir() / "lessons" / f"apt-{suite}-{arch}",
        apt_sources(suite),
        arch=arch,
        error=LessonError,
        hint="This part needs Debian's apt on this machine and, once, Debian's archive "
        "(deb.debian.org).",
    )
    nothing = SecurityUpdates(suite, arch, pd.DataFrame(columns=UPDATE_COLUMNS), {}, {}, "")
    if not (shutil.which("apt-cache") and shutil.which("apt-get")):
        return replace(nothing, missing="this machine has no apt (Debian's package manager) "
                       "to read Debian's archive with")  # fmt: skip
    try:
        apt.update()
        versions = parse_madison(apt.run("apt-cache", "madison", *sorted(packages)))
    except LessonError as e:
        return replace(nothing, missing=str(e.args[0]).splitlines()[0])
    rows = []
    for name, p in sorted(packages.items()):
        found = versions.get(name, {})
        point, security = found.get(suite), found.get(f"{suite}-security")
        if point and security == p.version and compare_versions(point, p.version) < 0:
            rows.append([name, p.source or name, point, p.version])
    table = pd.DataFrame(rows, columns=UPDATE_COLUMNS)
    if table.empty:
        return replace(nothing, where=apt.where, missing=(
            f"Debian {suite}'s security archive has no update of these packages newer than the "
            "last point release (a point release folds them in; the next security update brings "
            "some again)"))  # fmt: skip
    folder = cache_dir() / "lessons" / "debs"

    def debs(column: str) -> dict[str, bytes]:
        # named as in Debian's pool (apt-get download writes an epoch as "1%3a"; the pool
        # has none), so that the index's Filename finds them
        wanted = [f"{n}={v}" for n, v in zip(table["package"], table[column], strict=True)]
        paths = download_debian_packages(wanted, folder, apt=apt) if wanted else []
        return {re.sub(r"_\d+%3a", "_", path.name): path.read_bytes() for path in paths}

    wanted = [f"{n}={v}" for n, v in zip(table["package"], table["installed"], strict=True)]
    index = apt.run("apt-cache", "show", *wanted) if wanted else ""
    return SecurityUpdates(
        suite=suite,
        arch=arch,
        table=table,
        point_release=debs("point_release"),
        updates=debs("installed"),
        index="".join(local_stanza(s) for s in index.split("\n\n") if s.strip()),
        where=apt.where,
    )


def upgrade_summary(builds: Mapping[str, tuple[object, object]], run_part: str) -> pd.DataFrame:
    """What an upgrade line in a Dockerfile did, per build, measured.

    Args:
        builds: Label -> (the base, the image built on it).
        run_part: Part of the upgrade instruction (``"apt-get"``), to find its layer.

    Returns:
        One row per build: ``packages changed`` by it (versions read from both images'
        package databases), ``upgrade layer (MB)`` (the bytes of the files the ``RUN``
        layer holds, from the layer analysis), the ``largest file in it``, and
        ``old copies kept (MB)`` (the bytes of
        files that a later layer replaced: still shipped, never seen).
    """
    from dockerlab.inspect.layers import analyse

    rows = {}
    for label, (base, image) in builds.items():
        analysis = analyse(image)
        layers = analysis.layers
        run = layers[layers["instruction"].str.contains(f"RUN {run_part}", regex=False)]
        files = analysis.files[analysis.files["layer"].isin(run.index)]
        largest = files.sort_values("size", ascending=False)["path"].head(1).tolist()
        rows[label] = {
            "packages changed": len(compare_builds(base, image)),
            "upgrade layer (MB)": round(int(run["size"].sum()) / 1e6, 2),
            "largest file in it": largest[0] if largest else None,
            "old copies kept (MB)": round(analysis.wasted_bytes / 1e6, 2),
        }
    columns = [
        "packages changed",
        "upgrade layer (MB)",
        "largest file in it",
        "old copies kept (MB)",
    ]
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(rows).T[columns].astype({"packages changed": int})


# --------------------------------------------------------------- scanning on a schedule

#: Columns of :func:`advisories` and :func:`scan`.
ADVISORY_COLUMNS = ["id", "source", "fixed_version", "published"]


def advisory_table(
    logs: Mapping[str, tuple[str, list[ChangelogEntry]]],
    sources: Sequence[str],
    newer_than: Mapping[str, str],
) -> pd.DataFrame:
    """A small vulnerability database from :func:`changelogs`: the CVE ids each source
    package's changelog names as fixed, with the version that fixed each and the date of
    its changelog entry (close to when the fix was published).

    Args:
        logs: What :func:`changelogs` (or :func:`parse_changelogs`) returns.
        sources: The source packages to take.
        newer_than: Source -> a version: only entries newer than it are kept.

    Returns:
        One row per (CVE id, source) (:data:`ADVISORY_COLUMNS`), oldest first.
    """
    rows = []
    for source in sources:
        floor = newer_than.get(source)
        for entry in logs.get(source, ("", []))[1]:
            if floor is not None and compare_versions(entry.version, floor) <= 0:
                continue
            rows += [[cve, source, entry.version, entry.date] for cve in sorted(entry.cves)]
    df = pd.DataFrame(rows, columns=ADVISORY_COLUMNS)
    return df.sort_values(["published", "id"], ignore_index=True)


def advisories(image, sources: Sequence[str], newer_than: Mapping[str, str]) -> pd.DataFrame:
    """:func:`advisory_table` of the changelogs in a Debian image (read in a container with
    no network)."""
    return advisory_table(changelogs(image), sources, newer_than)


#: Columns of :func:`scan` and :func:`matches`.
FINDING_COLUMNS = ["id", "package", "installed", "fixed_version", "published"]


def matches(
    packages: Mapping[str, Package], database: pd.DataFrame, as_of: datetime | None = None
) -> pd.DataFrame:
    """The advisories of ``database`` published by ``as_of`` (default: all) that affect
    ``packages``: those of a package's source whose fixed version is newer than the
    installed source version.

    Returns:
        One row per (advisory, installed package) (:data:`FINDING_COLUMNS`).
    """
    known = database if as_of is None else database[database["published"] <= as_of]
    rows = []
    for p in packages.values():
        installed = p.source_version or p.version
        for a in known[known["source"] == (p.source or p.name)].itertuples():
            if compare_versions(installed, a.fixed_version) < 0:
                rows.append([a.id, p.name, p.version, a.fixed_version, a.published])
    df = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    return df.sort_values(["id", "package"], ignore_index=True)


def scan(image, database: pd.DataFrame, as_of: datetime | None = None) -> pd.DataFrame:
    """:func:`matches` of an image's packages (read from its filesystem, never run)."""
    return matches(packages_of(filesystem(resolve(image).id)), database, as_of)


def scan_history(image, database: pd.DataFrame, dates: Sequence[datetime]) -> pd.DataFrame:
    """:func:`scan` of the same image on each date: what a scheduled scan would have said.

    Returns:
        One row per date: ``date``, ``image id`` (the same on every row: the image never
        changed), ``advisories known`` and ``findings`` (distinct ids that affect it).
    """
    image_id = resolve(image).id
    packages = packages_of(filesystem(image_id))  # read once: the image does not change
    rows = [
        {
            "date": when.strftime("%Y-%m-%d"),
            "image id": image_id[:19],
            "advisories known": int((database["published"] <= when).sum()),
            "findings": matches(packages, database, when)["id"].nunique(),
        }
        for when in dates
    ]
    return pd.DataFrame(rows)


def plot_scan_history(history: pd.DataFrame, *, caption: str | None = None):
    """Findings of the same image on each day a scheduled scan ran: bars per day, with the
    advisories known that day as a line.

    Args:
        history: What :func:`scan_history` returns.
        caption: Under the chart (say where the data came from).
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(max(5.0, 1.2 * len(history) + 2), 3.4))
    x = list(range(len(history)))
    ax.bar(x, history["findings"], color=BAD, width=0.6, label="findings in the image")
    ax.plot(x, history["advisories known"], color=INK, marker="o", label="advisories known")
    for i, n in enumerate(history["findings"]):
        ax.annotate(str(n), (i, n), ha="center", va="bottom", xytext=(0, 2),
                    textcoords="offset points", fontsize=9)  # fmt: skip
    ax.set_xticks(x, history["date"])
    ax.set_ylabel("count")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max([*history["advisories known"], *history["findings"], 1]) * 1.2)
    ax.legend(loc="upper left", fontsize=8)
    ids = history["image id"].unique()
    ax.set_title(
        f"The same image ({ids[0]}), scanned on each day" if len(ids) == 1 else "Scans on each day"
    )
    if caption:
        caption_below(fig, caption)
    return fig


def scan_dates(database: pd.DataFrame, now: datetime) -> list[datetime]:
    """The days a daily scan would have run on: the day before the first advisory, each
    advisory's publication day, and ``now``."""
    published = sorted({d.normalize() for d in pd.to_datetime(database["published"]).dropna()})
    days = [published[0] - timedelta(days=1), *published] if published else []
    return [*(d.to_pydatetime() + timedelta(hours=23, minutes=59) for d in days), now]


__all__ = [
    "ADVISORY_COLUMNS",
    "CHECK_COLUMNS",
    "CREATED_LABEL",
    "CVE",
    "DIFF_COLUMNS",
    "FINDING_COLUMNS",
    "FIXED_COLUMNS",
    "OLD_BASE_DOCKERFILE",
    "UPDATES_APT",
    "UPDATES_DIR",
    "UPDATE_COLUMNS",
    "AddedRemoved",
    "ChangelogEntry",
    "ImageFacts",
    "Package",
    "SecurityUpdates",
    "added_and_removed",
    "advisories",
    "advisory_table",
    "age_days",
    "age_table",
    "changelogs",
    "check_bases",
    "checks_table",
    "compare_builds",
    "compare_versions",
    "dated_later_in_old",
    "dated_upgrades",
    "diff_packages",
    "fixed_between",
    "inspect",
    "local_stanza",
    "matches",
    "newer_tags",
    "packages_of",
    "parse_changelogs",
    "parse_madison",
    "parse_time",
    "plot_package_changes",
    "plot_package_dates",
    "plot_scan_history",
    "plot_tag_timeline",
    "scan",
    "scan_dates",
    "scan_history",
    "security_updates",
    "short_digest",
    "sources_in_both",
    "tag_changes",
    "upgrade_summary",
    "upgraded",
    "version_key",
]
