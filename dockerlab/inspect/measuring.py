"""Measuring an image: size, layers, history and attack surface.

Attack surface is read from the image's filesystem (``docker export`` of a
container that is created but never started, streamed, never unpacked), so it
works for every image, FROM scratch ones included, without running anything in
it: installed packages (dpkg or apk database), commands on PATH, executable
files, setuid/setgid files and shells.
"""

from __future__ import annotations

import contextlib
import posixpath
import stat
from dataclasses import asdict, dataclass

import docker.errors
import pandas as pd

from dockerlab.core import labels
from dockerlab.core.engine import engine_info, inspect_image_manifests
from dockerlab.core.images import layer_count, name_of, resolve
from dockerlab.inspect.filesystem import FileSystem, filesystem
from dockerlab.inspect.packages import installed

PATH_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
SHELLS = frozenset(
    {"sh", "bash", "rbash", "dash", "ash", "hush", "zsh", "ksh", "mksh", "csh", "tcsh", "fish"}
)


@dataclass(frozen=True)
class Measurement:
    """What one image measures.

    Attributes:
        image: The reference measured.
        size_mb: Size on disk, unpacked, in MB (10^6 bytes): :func:`size_on_disk`.
        layers: Filesystem layers (``RootFS.Layers``).
        history: History entries (one per Dockerfile instruction, layer or not).
        files: Regular files in the final filesystem.
        packages: Installed packages (dpkg or apk database; 0 if none).
        commands: Distinct command names on the default PATH.
        executables: Regular files with an execute bit, anywhere.
        setuid: Files that run as their owner (setuid or setgid bit).
        shells: Shell commands on PATH (sh, bash, dash, ash, ...).
    """

    image: str
    size_mb: float
    layers: int
    history: int
    files: int
    packages: int
    commands: int
    executables: int
    setuid: int
    shells: int


@dataclass(frozen=True)
class Sizes:
    """An image's sizes, by what they mean (never the engine's ``Size`` field as such).

    Attributes:
        unpacked: Bytes its layers take unpacked on the engine's disk. The classic
            store (overlay2) counts the bytes of the layers' files; the containerd
            image store counts the disk space its unpacked snapshots use (whole
            blocks, so a little more). Docker 25+'s ``docker images`` on the
            containerd store shows content + unpacked instead: not this.
        content: Bytes of its layers as the containerd store keeps them (the
            compressed blobs of a pulled or BuildKit-built image); None on the
            classic store, which keeps no such copy.
        store: The image store that counted them (``"containerd"``, ``"overlay2"``...).
    """

    unpacked: int
    content: int | None
    store: str


def sizes(image) -> Sizes:
    """Unpacked (and, on the containerd store, content) size of an image.

    On the containerd image store the engine's ``Size`` is content plus unpacked;
    the per-platform ``Manifests`` of the inspect API (1.48+) hold each one, and
    the history's sizes (one per layer) add up to the unpacked size on every
    engine. On the classic store ``Size`` is the unpacked size.

    Example:
        >>> dl.sizes("alpine:3.23").unpacked  # doctest: +SKIP
        8418129
    """
    img = resolve(image)
    info = engine_info()
    if not info.containerd_store:
        return Sizes(int(img.attrs.get("Size") or 0), None, info.image_store)
    unpacked = content = None
    with contextlib.suppress(docker.errors.APIError, ValueError, KeyError):
        mine = [
            m
            for m in inspect_image_manifests(img.id)
            if m.get("Kind") == "image" and m.get("Available") and _platform_is(m, info.arch)
        ]
        if len(mine) >= 1:
            unpacked = int(mine[0]["ImageData"]["Size"]["Unpacked"])
            content = int(mine[0]["Size"]["Content"])
    if unpacked is None:  # an engine before API 1.48: the history's layer sizes
        unpacked = sum(int(h.get("Size") or 0) for h in img.history())
    return Sizes(unpacked, content, info.image_store)


def _platform_is(manifest: dict, arch: str) -> bool:
    platform = (manifest.get("ImageData") or {}).get("Platform") or {}
    return platform.get("architecture", arch) == arch


def size_on_disk(image) -> int:
    """Bytes an image's layers take unpacked on this engine (see :class:`Sizes`)."""
    return sizes(image).unpacked


def count_packages(fs: FileSystem) -> int:
    """Installed packages according to the image's package database (dpkg's or apk's)."""
    return len(installed(fs))


def commands_on_path(fs: FileSystem) -> set[str]:
    """Names a shell would find on the default PATH (files or symlinks to files)."""
    names = set()
    for d in PATH_DIRS:
        for p in fs.listdir(d):
            target = fs.entries.get(fs.resolve(p))
            if target is not None and target.isfile() and target.mode & 0o111:
                names.add(posixpath.basename(p))
    return names


def attack_surface(image) -> dict[str, int]:
    """Packages, commands, executables, setuid/setgid files and shells of an image.

    Example:
        >>> dl.attack_surface("alpine:3.23")["packages"]  # doctest: +SKIP
        16
    """
    fs = filesystem(image)
    files = [i for i in fs.entries.values() if i.isfile()]
    commands = commands_on_path(fs)
    return {
        "files": len(files),
        "packages": count_packages(fs),
        "commands": len(commands),
        "executables": sum(1 for i in files if i.mode & 0o111),
        "setuid": sum(1 for i in files if i.mode & (stat.S_ISUID | stat.S_ISGID)),
        "shells": len(commands & SHELLS),
    }


#: Instructions that only add a history entry, never a filesystem layer.
METADATA = frozenset(
    {
        "ENV",
        "LABEL",
        "CMD",
        "ENTRYPOINT",
        "EXPOSE",
        "USER",
        "VOLUME",
        "ARG",
        "STOPSIGNAL",
        "HEALTHCHECK",
        "SHELL",
        "ONBUILD",
        "MAINTAINER",
        "WORKDIR",
    }
)


def makes_layer(created_by: str, size: int) -> bool:
    """Whether a history entry made a filesystem layer.

    The engine's history API does not say (the image config's ``empty_layer``
    does, see the layer analyser); the rule here: anything with bytes; a
    legacy-builder ``#(nop)`` entry only for ADD/COPY; any other entry unless
    it starts with a metadata instruction (BuildKit writes ``ENV A=b``).
    """
    if size > 0:
        return True
    if "#(nop)" in created_by:
        return any(f"#(nop) {kw} " in created_by for kw in ("ADD", "COPY"))
    return created_by.split(" ", 1)[0] not in METADATA


def _history(image) -> list[dict]:
    """The engine's history entries, oldest first, without the kit's own label entry."""
    entries = reversed(resolve(image).history())
    return [h for h in entries if not labels.is_kit_history_entry(h.get("CreatedBy") or "")]


def history(image) -> pd.DataFrame:
    """The image's history: one row per instruction, oldest first.

    The kit's own session label (added to every image it builds) is left out.
    The ``layer`` column always adds up to the engine's layer count: entries
    with bytes are layers; among the empty ones, :func:`makes_layer` guesses,
    then the guess is corrected to the engine's count (an empty layer holds no
    bytes, so sizes never depend on which empty entry gets the mark). For the
    exact mapping from the image config, use :func:`dockerlab.inspect.layers.analyse`.

    Columns: ``created_by`` (the instruction), ``size`` (bytes), ``layer``
    (True if the instruction made a filesystem layer).
    """
    img = resolve(image)
    rows = []
    for h in _history(img.id):
        raw, size = h.get("CreatedBy") or "", h.get("Size", 0)
        by = raw.replace("/bin/sh -c #(nop) ", "").strip()
        rows.append({"created_by": by, "size": size, "layer": makes_layer(raw, size), "_raw": raw})
    _reconcile(rows, layer_count(img))
    return pd.DataFrame(rows, columns=["created_by", "size", "layer"])


def _reconcile(rows: list[dict], n_layers: int) -> None:
    """Move layer marks among empty entries until they add up to ``n_layers``."""

    def likelihood(raw: str) -> int:  # how likely an empty entry is to be a layer
        word = raw.replace("/bin/sh -c #(nop) ", "").strip().split(" ", 1)[0]
        return (
            0
            if word in ("COPY", "ADD")
            else 1
            if word == "WORKDIR"
            else 3
            if word in METADATA
            else 2
        )

    empty = sorted((r for r in rows if r["size"] == 0), key=lambda r: likelihood(r["_raw"]))
    while sum(r["layer"] for r in rows) < n_layers and any(not r["layer"] for r in empty):
        next(r for r in empty if not r["layer"])["layer"] = True
    while sum(r["layer"] for r in rows) > n_layers and any(r["layer"] for r in empty):
        next(r for r in reversed(empty) if r["layer"])["layer"] = False


def measure(image) -> Measurement:
    """Every measure of one image, for tables and plots.

    Args:
        image: A reference, catalog key's ref or :class:`BuiltImage`.

    Raises:
        ImageNotFound: The image is not on this engine.
    """
    img = resolve(image)
    name = name_of(image)
    return Measurement(
        image=name,
        size_mb=round(size_on_disk(img.id) / 1e6, 2),
        layers=layer_count(img),
        history=len(_history(img.id)),
        **attack_surface(img.id),
    )


def compare(images: dict[str, object] | list) -> pd.DataFrame:
    """Measure several images into one table, one row per image.

    Args:
        images: A list of references, or a dict label -> reference (the labels
            become the index).
    """
    items = images.items() if isinstance(images, dict) else [(str(i), i) for i in images]
    rows = {label: asdict(measure(ref)) for label, ref in items}
    return pd.DataFrame.from_dict(rows, orient="index")
