"""A build's context: the Dockerfile and the learner's files, as an in-memory tar."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping

#: A file of the build context: its content, or its content and a mode.
FileSpec = str | bytes | tuple[str | bytes, int]


def context_tar(dockerfile: str, files: Mapping[str, FileSpec] | None = None) -> io.BytesIO:
    """A build context as an in-memory tar: ``Dockerfile`` plus ``files``.

    Args:
        dockerfile: The Dockerfile's text.
        files: Path inside the context -> content (str or bytes), or
            (content, mode) to set permissions, e.g. ``("#!/bin/sh\\n...", 0o755)``.

    Returns:
        A rewound ``BytesIO`` ready for ``docker build``.
    """
    buf = io.BytesIO()
    entries: dict[str, FileSpec] = {"Dockerfile": dockerfile, **dict(files or {})}
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, spec in entries.items():
            content, mode = spec if isinstance(spec, tuple) else (spec, 0o644)
            data = content.encode() if isinstance(content, str) else bytes(content)
            info = tarfile.TarInfo(name.lstrip("/"))
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


__all__ = ["FileSpec", "context_tar"]
