"""What an offline recipe (:mod:`.debian`, :mod:`.alpine`) hands back: a root filesystem
and what its image will say about it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: Prints one progress line.
Say = Callable[[str], None]


@dataclass(frozen=True)
class Rootfs:
    """A root filesystem an offline recipe made, and what its image says about it.

    Attributes:
        path: The tree, ready to be archived as the image's only layer.
        provenance: One line: where it came from and how it was made.
        version: The distribution's version (``org.opencontainers.image.version``).
        source: Where its bits came from (``org.opencontainers.image.source``).
        cmd: The image's default command.
        recipe: The recipe's version (label ``org.dockerlab.recipe``).
        owners: None to archive files with their owners on disk; otherwise every
            file is archived as root's, except these paths (``"etc/shadow"``)
            which get the given ``(uid, gid)``.
    """

    path: Path
    provenance: str
    version: str
    source: str
    cmd: list[str]
    recipe: str
    owners: dict[str, tuple[int, int]] | None = None
