"""An image's filesystem as an index of its entries, read without running anything.

``docker export`` of a container that is created but never started, streamed and never
unpacked: it works for every image, FROM scratch ones included. The package databases and
os-release come with it, for :mod:`~dockerlab.inspect.packages` to read.
"""

from __future__ import annotations

import posixpath
import tarfile
from contextlib import closing
from dataclasses import dataclass

from dockerlab.core.containers import created
from dockerlab.core.images import resolve
from dockerlab.core.streams import Chunks, tar_stream

#: What Docker adds to every container's filesystem (its "init layer"); not the image's.
DOCKER_INIT = frozenset(
    {
        "/.dockerenv",
        "/etc/hostname",
        "/etc/hosts",
        "/etc/resolv.conf",
        "/etc/mtab",
        "/dev/console",
        "/dev/pts",
        "/dev/shm",
    }
)


@dataclass
class FileSystem:
    """An image's final filesystem, as an index of its entries (not their bytes).

    Attributes:
        entries: Absolute path -> TarInfo (type, mode, size, link target).
        dpkg_status: The text of /var/lib/dpkg/status, if any.
        apk_installed: The text of /lib/apk/db/installed, if any.
        os_release: The text of /etc/os-release (or /usr/lib/os-release), if any.
    """

    entries: dict[str, tarfile.TarInfo]
    dpkg_status: str = ""
    apk_installed: str = ""
    os_release: str = ""

    def resolve(self, path: str, depth: int = 0) -> str:
        """Follow symlinks (in every path component) the way the kernel would."""
        if depth > 40:
            return path
        parts = [p for p in path.split("/") if p]
        cur = "/"
        for i, part in enumerate(parts):
            cur = posixpath.join(cur, part)
            info = self.entries.get(cur)
            if info is not None and info.issym():
                target = info.linkname
                base = posixpath.dirname(cur) if not target.startswith("/") else "/"
                rest = "/".join(parts[i + 1 :])
                joined = posixpath.normpath(posixpath.join(base, target, rest))
                return self.resolve(joined, depth + 1)
        return cur

    def listdir(self, directory: str) -> list[str]:
        d = self.resolve(directory).rstrip("/") + "/"
        return [p for p in self.entries if p.startswith(d) and "/" not in p[len(d) :]]


def filesystem(image) -> FileSystem:
    """Read an image's filesystem index by streaming ``docker export``.

    The files Docker adds to every container (:data:`DOCKER_INIT`) are left out.

    Args:
        image: A reference or a :class:`BuiltImage`.
    """
    img = resolve(image)
    entries: dict[str, tarfile.TarInfo] = {}
    texts = dict.fromkeys(
        ("var/lib/dpkg/status", "lib/apk/db/installed", "etc/os-release", "usr/lib/os-release"), ""
    )
    with (
        created(img.id) as box,
        closing(Chunks(box.export())) as export,
        tarfile.open(fileobj=tar_stream(export), mode="r:") as tar,
    ):
        for info in tar:
            name = info.name.removeprefix("./").lstrip("/")
            entries["/" + name.rstrip("/")] = info
            if name in texts and info.isfile():
                texts[name] = tar.extractfile(info).read().decode(errors="replace")
    for path in ("/", *DOCKER_INIT):
        entries.pop(path, None)
    return FileSystem(
        entries,
        texts["var/lib/dpkg/status"],
        texts["lib/apk/db/installed"],
        texts["etc/os-release"] or texts["usr/lib/os-release"],
    )
