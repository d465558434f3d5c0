"""A build's context: the Dockerfile and the learner's files as an in-memory tar, and a
folder's context as ``docker build`` sends it (its ``.dockerignore`` applied)."""

from __future__ import annotations

import fnmatch
import io
import os
import re
import tarfile
from collections.abc import Mapping
from pathlib import Path

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


#: Files larger than this are left out of a build context read from a folder.
MAX_CONTEXT_FILE = 50 * 10**6


def dockerignore(folder: Path) -> list[tuple[bool, str]]:
    """The patterns of ``folder/.dockerignore``: (exception?, pattern), in order."""
    path = folder / ".dockerignore"
    if not path.is_file():
        return []
    out = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        out.append((negated, pattern))
    return out


def _pattern(pattern: str) -> re.Pattern:
    """A .dockerignore pattern as a regex: ``*`` and ``?`` within a name, ``**`` across."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            if pattern.startswith("/", i):
                out, i = out + "(?:/|$)?", i + 1  # "**/" matches no folder too
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            j = pattern.find("]", i)
            if j < 0:
                out, i = out + re.escape(pattern[i:]), len(pattern)
            else:
                out, i = out + fnmatch.translate(pattern[i : j + 1])[4:-3], j + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def ignored(path: str, patterns: list[tuple[bool, str]]) -> bool:
    """Whether ``docker build`` leaves ``path`` out of the context (the last match decides).

    A pattern that matches a folder leaves out everything in it.
    """
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    out = False
    for negated, pattern in patterns:
        rx = _pattern(pattern)
        if any(rx.match(p) for p in (prefixes if not negated else [path])):
            out = not negated
    return out


def read_context(folder: Path, notes: list[str] | None = None) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` (keeping modes), as ``docker build`` would send it.

    Left out: what ``.dockerignore`` excludes, the folder's ``Dockerfile`` (the
    build gets the Dockerfile's text) and files over :data:`MAX_CONTEXT_FILE`
    bytes (named in ``notes``).

    Returns:
        Path inside the context -> (content, mode): the build context's files as
        :func:`dockerlab.core.building.build` takes them.
    """
    files: dict[str, tuple[bytes, int]] = {}
    patterns = dockerignore(folder)
    big = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if not p.is_file() or rel == "Dockerfile" or ignored(rel, patterns):
            continue
        if p.stat().st_size > MAX_CONTEXT_FILE:
            big.append(rel)
            continue
        files[rel] = (p.read_bytes(), p.stat().st_mode & 0o777)
    if big and notes is not None:
        notes.append(
            f"Left out of the build context (over {MAX_CONTEXT_FILE // 10**6} MB): "
            + ", ".join(big[:5])
            + (" ..." if len(big) > 5 else "")
        )
    return files


__all__ = ["MAX_CONTEXT_FILE", "FileSpec", "context_tar", "dockerignore", "ignored", "read_context"]
