"""Debian base images made offline from real Debian packages: trixie, and bookworm.

The recipe, the same for each suite (:data:`SUITE_OF` says which key is which):
take the dependency closure of every ``Priority: required`` package plus ``apt``
(plus the compilers, for the builder), fetch those ``.deb`` files into the kit's
cache, serve them as a local repository and run ``debootstrap --variant=minbase``
from it. ``debian:trixie`` (and ``debian:bookworm``) is that tree; the ``-slim``
variant and the builder drop docs, man pages and locales through the same dpkg
``path-exclude`` rules the official ``-slim`` image carries.

The package indexes come from a **private apt configuration per suite**
(:func:`apt`): the suite, its ``-updates`` and ``-security``, checked against
the host's Debian archive keyring, with lists kept under the kit's cache. The
host's own apt is neither read nor changed, so a Debian 12 host makes Debian 13
images (its ``debootstrap`` 1.0.128+deb12u2 knows trixie and makes it
merged-/usr, and its ``debian-archive-keyring`` holds trixie's keys). Offline,
the lists and ``.deb`` files cached by an earlier run are used.

This module also owns the host side shared by every offline recipe: finding
host tools and installing the missing ones with ``apt-get``.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
from pathlib import Path

from dockerlab.core.building import DISK_FULL_HINT, disk_full
from dockerlab.core.config import cache_dir, machine_arch
from dockerlab.core.downloads import Apt, apt_install, apt_sources, download_debian_packages
from dockerlab.core.downloads import (
    parse_print_uris as parse_print_uris,  # its home now; still importable here
)
from dockerlab.core.engine import requested_platform
from dockerlab.engines.bases.rootfs import Rootfs, Say
from dockerlab.errors import BootstrapFailed
from dockerlab.inspect.packages import control_stanzas, parse_dpkg_status

#: Bump when the recipe changes: images made by an older recipe are rebuilt.
RECIPE = "debian/3"  # 3: per-architecture (arm64 under qemu), arch in provenance
#: The course's Debian: Debian 13, stable since August 2025.
SUITE = "trixie"
#: Which Debian suite each catalog key is made of.
SUITE_OF = {"debian": SUITE, "debian_slim": SUITE, "builder": SUITE, "debian_old": "bookworm"}
BUILDER_PACKAGES = ("gcc", "libc6-dev", "musl-tools")
SOURCE = "https://deb.debian.org/debian"
#: The host's keyring apt checks the archive's signatures with (Debian 12's holds trixie's keys).

#: The official ``-slim`` rules (debuerreotype's ``.slimify-excludes`` / ``-includes``).
SLIM_EXCLUDES = (
    "/usr/share/doc/*",
    "/usr/share/groff/*",
    "/usr/share/info/*",
    "/usr/share/linda/*",
    "/usr/share/lintian/overrides/*",
    "/usr/share/locale/*",
    "/usr/share/man/*",
)
SLIM_INCLUDES = (
    "/usr/share/doc/*/copyright",
    "/usr/share/doc/kde/HTML/C/*",
    "/usr/share/gnome/help/*/C/*",
    "/usr/share/locale/all_languages",
    "/usr/share/locale/currency/*",
    "/usr/share/locale/l10n/*",
    "/usr/share/locale/languages",
    "/usr/share/locale/locale.alias",
    "/usr/share/omf/*/*-C.emf",
)


#: Files debootstrap leaves that describe the host or the build, not the image.
BUILD_LEFTOVERS = (
    "etc/hostname",
    "etc/resolv.conf",
    "var/cache/ldconfig/aux-cache",
    "var/log/alternatives.log",
    "var/log/bootstrap.log",
    "var/log/dpkg.log",
    "var/log/apt/history.log",
    "var/log/apt/term.log",
)
_SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")


# --- the host: tools and commands -------------------------------------------------


def _path() -> str:
    """PATH with the sbin folders, where debootstrap and debugfs live."""
    parts = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(parts + [p for p in _SBIN if p not in parts])


def run(cmd: list[str], what: str, *, cwd: Path | None = None) -> str:
    """Run a host command and return its standard output.

    Args:
        cmd: The command and its arguments.
        what: What it does, for the error message ("debootstrap").
        cwd: Folder to run it in.

    Raises:
        BootstrapFailed: It exited with a non-zero status; the message holds the
            end of its output.
    """
    env = dict(os.environ, PATH=_path(), DEBIAN_FRONTEND="noninteractive", LC_ALL="C")
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-20:]
        raise BootstrapFailed(
            f"{what} failed (exit {proc.returncode}): {' '.join(cmd[:4])} ...\n"
            + "\n".join(f"    | {line}" for line in tail),
            hint=DISK_FULL_HINT if disk_full(*tail) else None,
        )
    return proc.stdout


def host_tools(tools: dict[str, str]) -> dict[str, str]:
    """Find host tools, installing the missing ones with apt-get when we may.

    Args:
        tools: Tool name -> the Debian package that provides it.

    Returns:
        Tool name -> absolute path.

    Raises:
        BootstrapFailed: A tool is missing and this is not a Debian-like machine
            where we are root.
    """
    missing = sorted({pkg for tool, pkg in tools.items() if not shutil.which(tool, path=_path())})
    if missing:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise BootstrapFailed(
                f"Making the base images offline needs {', '.join(tools)}; "
                f"this machine lacks the package(s) {', '.join(missing)}.",
                hint=f"Install them (`sudo apt-get install -y {' '.join(missing)}`) and run "
                "`make bases` again, or use a machine that can reach a registry.",
            )
        apt_install(missing, "host tools", error=BootstrapFailed, recommends=False)
    return {tool: str(shutil.which(tool, path=_path())) for tool in tools}


def require_root(what: str) -> None:
    """Raise BootstrapFailed unless we are root (debootstrap chroots, owns files)."""
    if os.geteuid() != 0:
        raise BootstrapFailed(
            f"Making {what} offline needs root: debootstrap installs packages in a chroot.",
            hint="Connect to a network where Docker Hub answers (the official image is "
            "pulled then), or load the course's images from a bundle your instructor made: "
            "`python -m dockerlab load FILE` (made with `python -m dockerlab bundle FILE`). "
            "As root on Linux, `sudo make bases` makes them for the engine root finds.",
        )


# --- packages: which, and fetching them ---------------------------------------------


#: The Debian architectures the kit makes images for (Docker and Debian name them alike).
ARCHES = ("amd64", "arm64")


def target_arch() -> str:
    """The Debian architecture the images are made for: ``$DOCKERLAB_PLATFORM``'s, else
    this machine's (``amd64``, ``arm64``).

    Raises:
        BootstrapFailed: The platform is one the kit makes no images for.
    """
    wanted = requested_platform()
    arch = wanted.split("/")[1] if wanted else machine_arch()
    if arch not in ARCHES:
        raise BootstrapFailed(
            f"The kit makes Debian images offline for {' and '.join(ARCHES)}, not {arch}.",
            hint="Set DOCKERLAB_PLATFORM to linux/amd64 or linux/arm64, or pull the images.",
        )
    return arch


def foreign() -> bool:
    """True when the images are for another CPU than this machine's (made under qemu)."""
    return target_arch() != machine_arch()


def apt_dir(suite: str) -> Path:
    """The private apt configuration of one suite (and architecture, when it is not the
    machine's): its sources, index lists and cache."""
    name = f"apt-{suite}-{target_arch()}" if foreign() else f"apt-{suite}"
    return cache_dir() / "bases" / name


def archive(suite: str) -> Apt:
    """Debian ``suite``'s archives (:func:`apt_sources`) as a private apt configuration in
    :func:`apt_dir`, for :func:`target_arch`."""
    return Apt(
        f"Debian {suite}",
        apt_dir(suite),
        apt_sources(suite),
        arch=target_arch(),
        error=BootstrapFailed,
        hint="Making the Debian images offline needs deb.debian.org once (the index and "
        "packages are kept for later runs), or a registry to pull them from.",
    )


def apt(tool: str, suite: str, *args: str, cwd: Path | None = None) -> str:
    """Run ``apt-get``/``apt-cache`` on the suite's private configuration; return stdout.

    Only the suite's archives are sources; the host's sources, preferences and
    dpkg status are left out, and apt checks signatures as always.
    """
    return archive(suite).run(tool, *args, cwd=cwd)


def update(suite: str, say: Say) -> None:
    """Bring the suite's private package index up to date, once per process.

    Offline, an index an earlier run fetched is used as it is (said so).

    Raises:
        BootstrapFailed: No index can be fetched and none was cached.
    """
    archive(suite).update(say)


def _index_files(suite: str) -> list[str]:
    return archive(suite).index_files("Origin: Debian", f"Codename: {suite}", "Component: main")


def _packages_index(suite: str) -> str:
    """The private apt index of Debian ``suite`` main (:func:`update` first)."""
    files = _index_files(suite)
    if not files:
        raise BootstrapFailed(f"apt has no Debian {suite} package index in {apt_dir(suite)}.")
    return files[0]


def _required_packages(suite: str) -> list[str]:
    """Every package of Priority ``required`` in Debian ``suite`` main."""
    text = run(["/usr/lib/apt/apt-helper", "cat-file", _packages_index(suite)], "apt-helper")
    return sorted(
        {
            f["Package"]
            for f in control_stanzas(text)
            if f.get("Priority") == "required" and f.get("Package")
        }
    )


def closure(suite: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The packages a minbase system of ``suite`` (plus ``extra``) is made of, dependencies
    included."""
    args = ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
            "--no-breaks", "--no-replaces", "--no-enhances",
            *_required_packages(suite), "apt", *extra]  # fmt: skip
    out = apt("apt-cache", suite, *args)
    # Real packages start a line; dependencies are indented, virtual ones are <bracketed>.
    return sorted({line for line in out.splitlines() if line[:1].isalnum()})


def debs_dir() -> Path:
    """The cache of downloaded .deb files, kept across runs."""
    return cache_dir() / "bases" / "debs"


def fetch(packages: list[str], say: Say, suite: str = SUITE) -> list[Path]:
    """Download the packages' current .deb files into the cache; skip those already there.

    Args:
        packages: Package names.
        say: Prints a progress line.
        suite: The Debian suite whose versions are wanted.

    Returns:
        The .deb files, one per package (one cache for every suite: a file's name
        holds its version), each checked against the suite's index.
    """
    return download_debian_packages(packages, debs_dir(), apt=archive(suite), say=say)


def local_repo(debs: list[Path], repo: Path, suite: str = SUITE) -> Path:
    """A minimal apt repository (``file://``) of ``suite`` serving exactly ``debs``."""
    arch = target_arch()
    pool = repo / "pool"
    index = repo / "dists" / suite / "main" / f"binary-{arch}"
    pool.mkdir(parents=True)
    index.mkdir(parents=True)
    for deb in debs:  # hard links: apt-ftparchive may list a symlink by its target's path
        try:
            os.link(deb, pool / deb.name)
        except OSError:  # the cache is on another filesystem
            shutil.copy2(deb, pool / deb.name)
    ftp = host_tools({"apt-ftparchive": "apt-utils"})["apt-ftparchive"]
    packages = run([ftp, "packages", "pool"], "apt-ftparchive packages", cwd=repo)
    (index / "Packages").write_text(packages)
    run(["gzip", "-kn9", str(index / "Packages")], "gzip")
    fields = {"Suite": suite, "Codename": suite, "Components": "main", "Architectures": arch}
    opts = [f"-oAPT::FTPArchive::Release::{k}={v}" for k, v in fields.items()]
    release = run([ftp, *opts, "release", f"dists/{suite}"], "apt-ftparchive release", cwd=repo)
    (repo / "dists" / suite / "Release").write_text(release)
    return repo


# --- the root filesystem ------------------------------------------------------------


def _unmount_below(path: Path) -> None:
    """Unmount whatever a failed debootstrap left mounted inside ``path`` (proc, sys, dev)."""
    root = str(path.resolve())
    with open("/proc/self/mounts") as f:
        points = [line.split()[1] for line in f]
    for point in sorted((p for p in points if p.startswith(root + "/")), reverse=True):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)


def debootstrap(
    target: Path, repo: Path, include: tuple[str, ...], say: Say, suite: str = SUITE
) -> None:
    """``debootstrap --variant=minbase`` of ``suite`` from the local repository into ``target``.

    debootstrap makes the tree merged-/usr (``/bin`` -> ``usr/bin``...), as
    every Debian since bookworm is. For another CPU (:func:`foreign`) it unpacks
    the packages (``--foreign``) and the second stage runs in the tree under qemu
    (binfmt_misc; see :func:`dockerlab.engines.private.ensure_emulation`).
    """
    tool = host_tools({"debootstrap": "debootstrap"})["debootstrap"]
    arch = target_arch()
    cmd = [tool, "--no-check-gpg", "--variant=minbase", f"--arch={arch}"]
    if include:
        cmd.append("--include=" + ",".join(include))
    if foreign():
        from dockerlab.engines.private import ensure_emulation

        ensure_emulation(arch)
        cmd.append("--foreign")
    extra = f" + {' '.join(include)}" if include else ""
    say(f"debootstrap --variant=minbase --arch={arch} {suite}{extra}")
    try:
        run([*cmd, suite, str(target), f"file://{repo.resolve()}"], "debootstrap")
        if foreign():
            say(f"debootstrap --second-stage, {arch} under qemu emulation (slower)")
            second = ["chroot", str(target), "/debootstrap/debootstrap", "--second-stage"]
            run(second, "debootstrap --second-stage")
    finally:
        _unmount_below(target)


def _empty(folder: Path) -> None:
    """Delete everything inside ``folder``, keeping the folder itself."""
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def clean(rootfs: Path, suite: str = SUITE) -> None:
    """Remove apt caches and lists, build logs and host files; write normal apt sources
    (deb822 ``debian.sources`` with the image's own keyring, as the official images)."""
    for folder in ("dev", "proc", "sys", "tmp"):
        _empty(rootfs / folder)
    apt_cache = rootfs / "var/cache/apt"
    lists = rootfs / "var/lib/apt/lists"
    for leftover in (*apt_cache.rglob("*.deb"), *apt_cache.glob("*.bin"), *lists.glob("*")):
        if leftover.is_file():
            leftover.unlink()
    for name in BUILD_LEFTOVERS:
        (rootfs / name).unlink(missing_ok=True)
    (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)  # debootstrap's file:// line
    keyrings = rootfs / "usr/share/keyrings"
    keyring = next(
        (
            k
            for k in ("debian-archive-keyring.pgp", "debian-archive-keyring.gpg")
            if (keyrings / k).exists()
        ),
        "debian-archive-keyring.gpg",
    )
    sources = rootfs / "etc/apt/sources.list.d/debian.sources"
    sources.parent.mkdir(parents=True, exist_ok=True)
    sources.write_text(apt_sources(suite, f"/usr/share/keyrings/{keyring}"))
    sources.chmod(0o644)


def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(path, p) for p in patterns)


def slimify(rootfs: Path) -> None:
    """Apply the official ``-slim`` rules: a dpkg config that keeps them, and the deletions."""
    lines = ["# This is the \"slim\" variant of the Debian base image.",
             "# Many files which are normally unnecessary in containers are excluded,",
             "# and this configuration file keeps them that way.", ""]  # fmt: skip
    lines += [f"path-exclude {p}" for p in SLIM_EXCLUDES] + [""]
    lines += [f"path-include {p}" for p in SLIM_INCLUDES]
    config = rootfs / "etc/dpkg/dpkg.cfg.d/docker"
    config.write_text("\n".join(lines) + "\n")
    config.chmod(0o644)
    for folder in sorted({p.rsplit("/", 1)[0] for p in SLIM_EXCLUDES}):
        if (rootfs / folder.lstrip("/")).is_dir():
            _prune(rootfs, folder)


def _prune(rootfs: Path, folder: str) -> None:
    """Delete excluded files below ``folder``, then dangling links and empty folders.

    Like debuerreotype: symlinks and folders are not matched against the rules;
    they go when they end up dangling or empty. Links are judged inside a
    chroot, so absolute ones (``/etc/alternatives/...``) resolve in the image.
    """
    for path in list((rootfs / folder.lstrip("/")).rglob("*")):
        name = "/" + str(path.relative_to(rootfs))
        if path.is_symlink() or path.is_dir():
            continue
        if _matches(name, SLIM_EXCLUDES) and not _matches(name, SLIM_INCLUDES):
            path.unlink()
    sweep = ["chroot", str(rootfs), "find", folder, "-depth", "-mindepth", "1",
             "(", "-empty", "-o", "-xtype", "l", ")",
             "-exec", "rm", "-rf", "{}", ";", "-printf", "."]  # fmt: skip
    while run(sweep, "find (slimify)"):  # prints a dot per removal; repeat until none
        pass


def installed_count(rootfs: Path) -> int:
    """How many packages dpkg has installed in ``rootfs``."""
    return len(parse_dpkg_status((rootfs / "var/lib/dpkg/status").read_text()))


# --- the three images ---------------------------------------------------------------


def _minbase(work: Path, suite: str, name: str, include: tuple[str, ...], say: Say) -> Path:
    """A cleaned minbase tree of ``suite`` under ``work``, made once per ``ensure()`` run."""
    target = work / f"{name}-{suite}"
    if not target.exists():
        update(suite, say)
        debs = fetch(closure(suite, include), say, suite)
        repo = local_repo(debs, work / f"repo-{name}-{suite}", suite)
        debootstrap(target, repo, include, say, suite)
        clean(target, suite)
    return target


def make(key: str, work: Path, say: Say) -> Rootfs:
    """Make the root filesystem of ``debian``, ``debian_slim``, ``builder`` or ``debian_old``.

    Args:
        key: The catalog key.
        work: A scratch folder for this ``ensure()`` run (trees are shared
            between the keys through it).
        say: Prints a progress line.

    Returns:
        The tree and what to label its image with.

    Raises:
        BootstrapFailed: A host tool, the root user or a package is missing.
    """
    require_root(f"the Debian image for {key!r}")
    suite = SUITE_OF[key]
    if key in ("debian", "debian_old"):
        rootfs, how = _minbase(work, suite, "minbase", (), say), "debootstrap minbase"
    elif key == "debian_slim":
        rootfs = work / f"slim-{suite}"
        run(["cp", "-a", str(_minbase(work, suite, "minbase", (), say)), str(rootfs)], "cp -a")
        slimify(rootfs)
        how = "debootstrap minbase, slimmed like the official -slim"
    else:
        rootfs = _minbase(work, suite, "builder", BUILDER_PACKAGES, say)
        slimify(rootfs)
        how = f"debootstrap minbase + {' '.join(BUILDER_PACKAGES)}, slimmed"
    count = installed_count(rootfs)
    return Rootfs(
        path=rootfs,
        provenance=f"bootstrapped offline from {count} Debian {suite} {target_arch()} packages "
        f"({how})",
        version=(rootfs / "etc/debian_version").read_text().strip(),
        source=SOURCE,
        cmd=["bash"],
        recipe=RECIPE,
    )
