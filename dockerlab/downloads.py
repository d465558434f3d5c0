"""Pinned files downloaded once into the kit's cache, checked by sha256.

Example:
    >>> dumb_init_sdist().name  # doctest: +SKIP
    'dumb-init-1.2.5.post1.tar.gz'
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .errors import DockerlabError
from .private_engine import cache_dir

#: The dumb-init release built here, and the sha256 of its PyPI source distribution.
DUMB_INIT_VERSION = "1.2.5.post1"
DUMB_INIT_SHA256 = "6510538a975e0de10658b0210ec2ad62dc3617543af5c6fbd29a3af111eae981"


def dumb_init_sdist() -> Path:
    """dumb-init's source distribution, downloaded from PyPI once and checked.

    It is cached under the kit's cache folder; its sha256 must be
    :data:`DUMB_INIT_SHA256`.

    Raises:
        DockerlabError: It cannot be downloaded, or its checksum is wrong.
    """
    folder = cache_dir() / "downloads"
    path = folder / f"dumb-init-{DUMB_INIT_VERSION}.tar.gz"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-binary",
                ":all:",
                "--no-deps",
                "--dest",
                tmp,
                f"dumb-init=={DUMB_INIT_VERSION}",
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            got = list(Path(tmp).glob("dumb*init-*.tar.gz"))
            if done.returncode != 0 or not got:
                raise DockerlabError(
                    f"Could not download dumb-init {DUMB_INIT_VERSION}'s source from PyPI: "
                    + (done.stderr.strip().splitlines() or ["no file"])[-1],
                    hint="PyPI must be reachable once; later runs use the cached copy in "
                    f"{folder}.",
                )
            shutil.move(str(got[0]), path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != DUMB_INIT_SHA256:
        path.unlink()
        raise DockerlabError(
            f"dumb-init's source has sha256 {digest}, expected {DUMB_INIT_SHA256}; "
            "the download was deleted.",
            hint="Run again to download it afresh; if it fails again, do not trust the source.",
        )
    return path
