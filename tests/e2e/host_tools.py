"""Programs the browser tests need from Debian, installed with apt-get when missing (root only)."""

from __future__ import annotations

import os
import shutil
import subprocess


def debian_tool(binary: str, package: str) -> str | None:
    """Path to ``binary``, installing Debian's ``package`` first if it is missing.

    Returns:
        The path, or None where it cannot be installed (not root, or no apt-get).
    """
    path = shutil.which(binary)
    if path is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        path = shutil.which(binary)
    return path
