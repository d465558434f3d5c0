"""Layer analysis: what each layer of an image adds, changes, deletes and wastes.

This is what `dive <https://github.com/wagoodman/dive>`_ shows, as DataFrames in
a notebook. :func:`analyse` streams ``docker save`` of an image (never unpacked
to disk) in one pass and works out, per layer:

- the instruction that made it: the image config's ``history`` entries, minus
  those marked ``empty_layer``, map in order onto ``rootfs.diff_ids`` (this is
  authoritative; :func:`dockerlab.inspect.measuring.makes_layer` is only a heuristic on
  the engine's history API, which does not carry ``empty_layer``);
- its size and the files it adds, modifies and deletes (whiteouts ``.wh.NAME``
  and opaque directories ``.wh..wh..opq``, as the OCI image spec defines them);
- the bytes that never reach the final filesystem ("wasted"): every copy of a
  file that a later layer overwrites or deletes. A path written in three
  layers and kept wastes exactly its two earlier copies, each counted once
  (dive counts every copy of such a path, the surviving one included).

The **efficiency** is the share of all layer bytes that survive to the final
filesystem. (dive computes it per path as smallest copy / all copies; the two
agree whenever a path's copies have the same size.)

Both layouts ``docker save`` writes are read: the legacy one
(``manifest.json``, ``<id>/layer.tar``, ``<id>.json``; engines up to 24, with
symlinks between identical layers) and the OCI one (``index.json``,
``blobs/sha256/...``; engines 25+). Members may come in any order: small JSON
files are buffered, layer blobs are read as tar streams on the fly, so memory
grows with the number of files, not their bytes.

:func:`read_file` returns a file's bytes *as one layer stored it* (a file
deleted later is still there), and :func:`search` finds a string in every
layer's files and in the image config.

This module measures; the lessons draw: the charts of layers and rebuilds are
:mod:`dockerlab.lessons.layering`'s (notebook 08), the chart of where a secret was found
:mod:`dockerlab.lessons.configuration`' (notebook 09).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import posixpath
import re
import tarfile
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import pandas as pd

from dockerlab.core import labels
from dockerlab.core.building import BuiltImage
from dockerlab.core.engine import client, engine_info
from dockerlab.core.streams import (
    Chunks,
    decompression_errors,
    prefetched,
    tar_stream,
    uncompressed,
)
from dockerlab.errors import ImageNotFound, LayerAnalysisError
from dockerlab.inspect.secret_forms import SecretFinder

WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"
#: JSON files (manifests, configs) larger than this are not buffered.
MAX_JSON = 16 * 2**20
#: :func:`read_file` refuses files larger than this (it keeps them in memory).
MAX_READ = 256 * 2**20

Source = Any  # an image reference, a BuiltImage, bytes, a path (os.PathLike) or a binary file


# --------------------------------------------------------------------------- reading the stream


def _norm(name: str) -> str:
    """A tar member name as a clean relative path (``./a/b/`` -> ``a/b``)."""
    name = posixpath.normpath("/" + name).lstrip("/")
    return "" if name == "." else name


def _kind(info: tarfile.TarInfo) -> str:
    if info.isdir():
        return "dir"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    if info.isfile():
        return "file"
    return "other"


@dataclass
class _Entry:
    """One entry of one layer: a file, or a whiteout (``kind`` "whiteout"/"opaque")."""

    path: str  # "/a/b" (for a whiteout: the path it deletes; for opaque: the directory)
    size: int
    kind: str
    entry: str = ""  # the entry's own name in the layer ("/a/.wh.b"), if not ``path``


@dataclass
class _Blob:
    entries: list[_Entry] = field(default_factory=list)
    blob_bytes: int = 0


FileHook = Callable[[str, str, IO[bytes], int], None]  # (blob name, path, stream, size)


def _blob_format(head: bytes) -> str:
    if head[:1] in (b"{", b"["):
        return "json"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if len(head) >= 512 and not any(head[:512]):
        return "tar"  # an empty tar: only end-of-archive blocks
    if len(head) >= 512:
        return "tar?"  # a pre-POSIX tar, maybe
    return "other"


def _scan_layer(name: str, stream: IO[bytes], compression: str, hook: FileHook | None) -> _Blob:
    blob = _Blob()
    # A plain tar (seekable here) skips file data; a compressed one is decompressed as it
    # goes, and skipping drops what comes out in large blocks.
    if compression in ("gzip", "zstd"):
        stream = uncompressed(stream, compression)
    try:
        with tarfile.open(fileobj=stream, mode="r:") as tar:
            for info in tar:
                path = _norm(info.name)
                if not path:
                    continue
                folder, base = posixpath.split(path)
                if base == OPAQUE:
                    blob.entries.append(_Entry("/" + folder, 0, "opaque", "/" + path))
                elif base.startswith(WHITEOUT_PREFIX):
                    target = posixpath.join(folder, base[len(WHITEOUT_PREFIX) :])
                    blob.entries.append(_Entry("/" + target, 0, "whiteout", "/" + path))
                else:
                    kind = _kind(info)
                    size = info.size if kind == "file" else 0
                    blob.entries.append(_Entry("/" + path, size, kind))
                    if hook is not None and kind == "file":
                        hook(name, "/" + path, tar.extractfile(info), size)
                tar.members = []  # tarfile keeps every TarInfo otherwise
    except decompression_errors() as e:  # corrupt or cut compressed data
        raise tarfile.ReadError(f"{compression} data unreadable: {e}") from None
    return blob


@dataclass
class _Save:
    """What one pass over a ``docker save`` stream found."""

    jsons: dict[str, bytes]
    blobs: dict[str, _Blob]
    links: dict[str, str]
    skipped: dict[str, str]

    def resolve(self, name: str) -> str:
        seen = set()
        while name in self.links and name not in seen:
            seen.add(name)
            name = self.links[name]
        return name

    def json(self, name: str) -> Any:
        name = self.resolve(name)
        if name not in self.jsons:
            raise LayerAnalysisError(f"The saved image has no readable {name!r}.")
        return json.loads(self.jsons[name])


def _scan_save(fileobj: IO[bytes], hook: FileHook | None = None) -> _Save:
    """One pass over a ``docker save`` tar: buffer JSON, scan layer blobs as they stream by."""
    save = _Save({}, {}, {}, {})
    try:
        with tarfile.open(fileobj=tar_stream(fileobj), mode="r:") as outer:
            for member in outer:
                outer.members = []
                name = _norm(member.name)
                if member.issym() or member.islnk():
                    target = member.linkname
                    if member.issym():
                        target = posixpath.join(posixpath.dirname(name), target)
                    save.links[name] = _norm(target)
                    continue
                if not member.isfile():
                    continue
                f = outer.extractfile(member)  # seekable, reads nothing until asked
                head = f.peek(512)[:512]
                fmt = _blob_format(head)
                if fmt == "json" and member.size <= MAX_JSON:
                    save.jsons[name] = f.read()
                elif fmt in ("tar", "tar?", "gzip", "zstd"):
                    try:
                        blob = _scan_layer(name, f, fmt, hook)
                    except tarfile.ReadError as e:
                        if fmt != "tar?":
                            raise LayerAnalysisError(
                                f"Layer {name!r} is not a readable tar: {e}"
                            ) from None
                        save.skipped[name] = "not a tar"
                        continue
                    blob.blob_bytes = member.size
                    save.blobs[name] = blob
    except (tarfile.ReadError, EOFError, gzip.BadGzipFile) as e:
        raise LayerAnalysisError(f"Not a `docker save` tar stream: {e}") from None
    return save


def _layout(save: _Save) -> tuple[dict, list[str], str]:
    """(config, layer blob names in order, layout name) for the saved image."""
    if "manifest.json" in save.jsons:
        manifest = save.json("manifest.json")
        if not manifest:
            raise LayerAnalysisError("manifest.json lists no image.")
        entry = manifest[0]
        layout = "oci" if "index.json" in save.jsons else "legacy"
        config = save.json(entry["Config"])
        layers = [save.resolve(_norm(p)) for p in entry.get("Layers", [])]
        return config, layers, layout
    if "index.json" in save.jsons:
        desc = _pick(save.json("index.json"))
        node = save.json(_blob_path(desc["digest"]))
        while "manifests" in node:  # an image index (multi-platform): pick one manifest
            node = save.json(_blob_path(_pick(node)["digest"]))
        config = save.json(_blob_path(node["config"]["digest"]))
        layers = [save.resolve(_blob_path(d["digest"])) for d in node.get("layers", [])]
        return config, layers, "oci"
    raise LayerAnalysisError(
        "Neither manifest.json nor index.json found: is this the output of `docker save`?"
    )


def _blob_path(digest: str) -> str:
    algo, _, hexa = digest.partition(":")
    return f"blobs/{algo}/{hexa}"


def _pick(index: dict) -> dict:
    manifests = index.get("manifests") or []
    if not manifests:
        raise LayerAnalysisError("index.json lists no manifest.")
    from dockerlab.core.engine import platform

    arch = platform(connect=False).split("/")[1]  # the course's: an Apple Silicon Mac's is arm64
    for m in manifests:
        platform = m.get("platform") or {}
        kind = (m.get("annotations") or {}).get("vnd.docker.reference.type", "")
        ours = platform.get("os", "linux") == "linux" and platform.get("architecture", arch) in (
            arch,
            "",
        )
        if ours and "attestation" not in kind:
            return m
    return manifests[0]


# --------------------------------------------------------------------------- history and layers

_INSTRUCTIONS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)
_HASH = re.compile(r"(file|dir|multi):([0-9a-f]{12})[0-9a-f]{52}\b")


def instruction(created_by: str, comment: str = "") -> str:
    """A history entry's ``created_by`` as the Dockerfile instruction it came from.

    Example:
        >>> instruction("/bin/sh -c #(nop)  ENV A=b")
        'ENV A=b'
        >>> instruction("|1 A=1 /bin/sh -c echo hi > f")
        'RUN |1 A=1 echo hi > f'
        >>> instruction("RUN /bin/sh -c make # buildkit")
        'RUN make'
    """
    text = created_by.strip()
    if not text:
        return "(base image, imported)" if comment.startswith("Imported") else "(base layer)"
    text = text.removesuffix("# buildkit").strip()
    if "#(nop)" in text:
        text = text.split("#(nop)", 1)[1].strip()
    elif text.startswith("RUN "):
        text = "RUN " + text[4:].replace("/bin/sh -c ", "", 1)
    elif text.split(" ", 1)[0] not in _INSTRUCTIONS:
        text = "RUN " + text.replace("/bin/sh -c ", "", 1)
    text = _HASH.sub(lambda m: f"{m[1]}:{m[2]}", text)
    return re.sub(r"\s+", " ", text).strip()


def _history_rows(config: dict, n_layers: int) -> tuple[list[dict], bool]:
    """History entries with the layer each made (None for empty_layer ones)."""
    rows, layer = [], 0
    for step, h in enumerate(config.get("history") or []):
        empty = bool(h.get("empty_layer"))
        by = h.get("created_by") or ""
        rows.append(
            {
                "step": step,
                "instruction": instruction(by, h.get("comment") or ""),
                "empty_layer": empty,
                "layer": None if empty else layer,
                "created_by": by,
                "kit": labels.is_kit_history_entry(by),
            }
        )
        layer += 0 if empty else 1
    return rows, layer == n_layers


class _Tree:
    """The stacked filesystem so far: path -> (layer, size, kind), with a children index."""

    def __init__(self) -> None:
        self.nodes: dict[str, tuple[int, int, str]] = {}
        self.children: dict[str, set[str]] = defaultdict(set)

    def link(self, path: str) -> None:
        while path != "/":
            parent = posixpath.dirname(path)
            if path in self.children[parent]:
                return
            self.children[parent].add(path)
            path = parent

    def subtree(self, path: str) -> list[str]:
        """Every path below ``path`` (not ``path`` itself)."""
        out, todo = [], list(self.children.get(path, ()))
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(self.children.get(p, ()))
        return out

    def drop(self, path: str) -> None:
        self.children.pop(path, None)
        self.nodes.pop(path, None)
        parent = posixpath.dirname(path)
        if parent in self.children:
            self.children[parent].discard(path)


@dataclass
class LayerAnalysis:
    """An image's layers, what each changes, and the bytes that are wasted.

    Attributes:
        image: What was analysed.
        layout: ``"legacy"`` or ``"oci"`` (the ``docker save`` layout read).
        config: The image config JSON (env, labels, history, rootfs...).
        layers: One row per filesystem layer: ``instruction``, ``size`` (file
            bytes), ``added``/``modified``/``deleted`` (files), ``kept_bytes``,
            ``wasted_bytes``, ``diff_id``.
        history: One row per history entry (the kit's own label entry left
            out): ``instruction``, ``empty_layer``, ``layer`` it made, ``size``.
        files: One row per file entry of every layer: ``layer``, ``path``,
            ``size``, ``kind``, ``change`` (added/modified/deleted/opaque),
            ``entry`` (the entry's name as the layer stores it: for a whiteout,
            ``/tmp/.wh.build``, where ``path`` is what it deletes, ``/tmp/build``)
            and ``fate`` (kept, overwritten or deleted, and in which layer).
        wasted: One row per wasted copy: ``path``, ``size``, ``added_in``,
            ``removed_in``, ``how`` (overwritten/deleted).
        mapping_ok: False if history and layers did not line up (then
            instructions are shown as "?").
    """

    image: str
    layout: str
    config: dict = field(repr=False)
    layers: pd.DataFrame = field(repr=False)
    history: pd.DataFrame = field(repr=False)
    files: pd.DataFrame = field(repr=False)
    wasted: pd.DataFrame = field(repr=False)
    mapping_ok: bool = True

    @property
    def total_bytes(self) -> int:
        """Bytes of every file in every layer."""
        return int(self.layers["size"].sum())

    @property
    def wasted_bytes(self) -> int:
        """Bytes stored in layers that never reach the final filesystem."""
        return int(self.layers["wasted_bytes"].sum())

    @property
    def kept_bytes(self) -> int:
        return self.total_bytes - self.wasted_bytes

    @property
    def efficiency(self) -> float:
        """Share of the layers' bytes that survive to the final filesystem (1.0 = none wasted)."""
        return 1.0 if self.total_bytes == 0 else self.kept_bytes / self.total_bytes

    def summary(self) -> pd.Series:
        """One line of numbers: layers, history entries, sizes, wasted bytes, efficiency."""
        return pd.Series(
            {
                "layers": len(self.layers),
                "history entries": len(self.history),
                "size_mb": round(self.total_bytes / 1e6, 2),
                "wasted_mb": round(self.wasted_bytes / 1e6, 2),
                "efficiency": round(self.efficiency, 4),
            },
            name=self.image,
            dtype=object,
        )

    def top_wasted(self, n: int = 10) -> pd.DataFrame:
        """The paths that waste the most bytes, with the layers that added and removed them."""
        if self.wasted.empty:
            return pd.DataFrame(
                columns=["path", "wasted_bytes", "copies", "added_in", "removed_in", "how"]
            )
        grouped = self.wasted.groupby("path", sort=False).agg(
            wasted_bytes=("size", "sum"),
            copies=("size", "size"),
            added_in=("added_in", lambda s: sorted(set(s))),
            removed_in=("removed_in", lambda s: sorted(set(s))),
            how=("how", lambda s: "/".join(sorted(set(s)))),
        )
        return grouped.sort_values("wasted_bytes", ascending=False).head(n).reset_index()

    def layer_of(self, instruction_part: str) -> int:
        """The index of the first layer whose instruction contains ``instruction_part``."""
        hits = self.layers.index[
            self.layers["instruction"].str.contains(instruction_part, regex=False)
        ]
        if not len(hits):
            raise KeyError(f"No layer's instruction contains {instruction_part!r}.")
        return int(hits[0])


def summarize(analyses: Mapping[str, LayerAnalysis]) -> pd.DataFrame:
    """One row per analysis (label -> :meth:`LayerAnalysis.summary`), typed columns."""
    rows = [a.summary().rename(label) for label, a in analyses.items()]
    return pd.DataFrame(rows).infer_objects()


def _analyse_save(save: _Save, image: str) -> LayerAnalysis:
    config, blob_names, layout = _layout(save)
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    missing = [n for n in blob_names if n not in save.blobs]
    if missing:
        why = "; ".join(f"{n}: {save.skipped.get(n, 'not in the stream')}" for n in missing)
        raise LayerAnalysisError(f"Some layers could not be read: {why}")
    hist_rows, mapping_ok = _history_rows(config, len(blob_names))
    by_layer = {r["layer"]: r for r in hist_rows if r["layer"] is not None}

    tree = _Tree()
    layer_rows, file_rows, wasted_rows = [], [], []
    fate: dict[tuple[int, str], str] = {}

    def waste(path: str, layer: int, how: str) -> None:
        src, size, kind = tree.nodes[path]
        if kind != "dir":
            wasted_rows.append(
                {"path": path, "size": size, "added_in": src, "removed_in": layer, "how": how}
            )
            fate[(src, path)] = f"{how} in {layer}"

    for i, name in enumerate(blob_names):
        entries = save.blobs[name].entries
        added = modified = deleted = 0
        # Whiteouts hide what lower layers hold; this layer's own entries are unaffected.
        for e in entries:
            if e.kind not in ("whiteout", "opaque"):
                continue
            doomed = tree.subtree(e.path) + ([e.path] if e.kind == "whiteout" else [])
            for p in doomed:
                if p in tree.nodes:
                    deleted += tree.nodes[p][2] != "dir"
                    waste(p, i, "deleted")
            for p in doomed:
                tree.drop(p)
            file_rows.append(
                {
                    "layer": i,
                    "path": e.path,
                    "size": 0,
                    "kind": e.kind,
                    "change": "deleted" if e.kind == "whiteout" else "opaque",
                    "entry": e.entry,
                }
            )
        for e in entries:
            if e.kind in ("whiteout", "opaque"):
                continue
            old = tree.nodes.get(e.path)
            change = "added"
            if old is not None and old[0] != i:
                if old[2] == "dir" and e.kind == "dir":
                    change = "dir"  # a directory listed again: nothing replaced
                else:
                    change = "modified"
                    if old[2] == "dir":  # a directory replaced by a file: its contents go
                        for p in tree.subtree(e.path):
                            if p in tree.nodes:
                                waste(p, i, "deleted")
                                deleted += tree.nodes[p][2] != "dir"
                            tree.drop(p)
                    waste(e.path, i, "overwritten")
            elif old is not None:
                change = "dir" if e.kind == "dir" else "added"
            elif e.kind == "dir":
                change = "dir"
            if e.kind != "dir":
                added += change == "added"
                modified += change == "modified"
            tree.nodes[e.path] = (i, e.size, e.kind)
            tree.link(e.path)
            file_rows.append(
                {
                    "layer": i,
                    "path": e.path,
                    "size": e.size,
                    "kind": e.kind,
                    "change": change,
                    "entry": e.path,
                }
            )
        h = by_layer.get(i) if mapping_ok else None
        layer_rows.append(
            {
                "layer": i,
                "instruction": h["instruction"] if h else "?",
                "size": sum(e.size for e in entries),
                "added": added,
                "modified": modified,
                "deleted": deleted,
                "blob_bytes": save.blobs[name].blob_bytes,
                "diff_id": diff_ids[i].split(":")[-1][:12] if i < len(diff_ids) else "",
                "created_by": h["created_by"] if h else "",
            }
        )

    wasted = pd.DataFrame(wasted_rows, columns=["path", "size", "added_in", "removed_in", "how"])
    layers = (
        pd.DataFrame(layer_rows).set_index("layer")
        if layer_rows
        else pd.DataFrame(columns=LAYER_COLUMNS)
    )
    per_layer = wasted.groupby("added_in")["size"].sum() if not wasted.empty else pd.Series()
    layers["wasted_bytes"] = [int(per_layer.get(i, 0)) for i in layers.index]
    layers["kept_bytes"] = layers["size"] - layers["wasted_bytes"]
    layers = layers[LAYER_COLUMNS]

    files = pd.DataFrame(file_rows, columns=["layer", "path", "size", "kind", "change", "entry"])
    files["fate"] = [
        fate.get((r.layer, r.path), "kept") if r.change not in ("deleted", "opaque") else ""
        for r in files.itertuples()
    ]
    sizes = layers["size"].to_dict()
    history = pd.DataFrame([r for r in hist_rows if not r["kit"]])
    if not history.empty:
        history["size"] = [
            sizes.get(r, 0) if r is not None and mapping_ok else 0 for r in history["layer"]
        ]
        history["layer"] = history["layer"].astype("Int64")
        history = history[["step", "instruction", "empty_layer", "layer", "size", "created_by"]]
    return LayerAnalysis(
        image,
        layout,
        config,
        layers,
        history.set_index("step") if not history.empty else history,
        files,
        wasted,
        mapping_ok,
    )


# --------------------------------------------------------------------------- sources


def _name(source: Source) -> str:
    if isinstance(source, BuiltImage):
        return source.ref
    if isinstance(source, str):
        return source
    if isinstance(source, os.PathLike):
        return os.fspath(source)
    return "docker save stream"


class _Opened:
    """A context manager giving a binary stream for any :data:`Source`."""

    def __init__(self, source: Source) -> None:
        self.source, self._close = source, None

    def __enter__(self) -> IO[bytes]:
        s = self.source
        if isinstance(s, bytes | bytearray):
            return io.BytesIO(s)
        if isinstance(s, os.PathLike):
            f = open(s, "rb")  # closed in __exit__
            self._close = f.close
            return f
        if hasattr(s, "read"):
            return s
        return self._engine(_name(s))

    def _engine(self, name: str) -> IO[bytes]:
        import docker.errors

        api = client().api
        try:
            api.inspect_image(name)
            chunks = api.get_image(name)
        except docker.errors.ImageNotFound:
            raise ImageNotFound(f"The image {name!r} is not on this engine.") from None
        if engine_info().containerd_store:  # measured: read-ahead pays where layers are
            chunks = prefetched(chunks)  # gzip (inflated without the GIL), not on overlay2
        stream = Chunks(chunks)
        self._close = stream.close
        return stream

    def __exit__(self, *exc: object) -> None:
        if self._close is not None:
            self._close()


#: The columns of :attr:`LayerAnalysis.layers`, in order.
LAYER_COLUMNS = ["instruction", "size", "kept_bytes", "wasted_bytes", "added", "modified",
                 "deleted", "blob_bytes", "diff_id", "created_by"]  # fmt: skip


def analyse(image: Source) -> LayerAnalysis:
    """Analyse an image's layers from ``docker save``, streamed in one pass.

    Args:
        image: An image reference or :class:`~dockerlab.core.building.BuiltImage`
            (read from the engine), or a ``docker save`` tar as bytes, a path
            (``pathlib.Path``) or a binary file object.

    Returns:
        A :class:`LayerAnalysis`.

    Raises:
        ImageNotFound: The image is not on this engine.
        LayerAnalysisError: The stream is not a ``docker save`` tar.

    Example:
        >>> a = analyse("alpine:3.23")  # doctest: +SKIP
        >>> a.layers[["instruction", "size", "wasted_bytes"]]  # doctest: +SKIP
    """
    with _Opened(image) as stream:
        return _analyse_save(_scan_save(stream), _name(image))


def read_file(image: Source, path: str, layer: int, max_bytes: int = MAX_READ) -> bytes:
    """The bytes of ``path`` as layer ``layer`` stored them, deleted later or not.

    Args:
        image: As for :func:`analyse`.
        path: Absolute path in the image (``/run/token.txt``).
        layer: Layer index (0 = the base image's first layer); negative
            values count from the top.
        max_bytes: Refuse larger files (they are held in memory).

    Raises:
        LayerAnalysisError: That layer holds no such file (the message says
            which layers do), or the file is larger than ``max_bytes``.
    """
    want = "/" + _norm(path)
    found: dict[str, bytes] = {}

    def hook(blob: str, p: str, stream: IO[bytes], size: int) -> None:
        if p == want:
            if size > max_bytes:
                raise LayerAnalysisError(f"{want} is {size:,} bytes, over max_bytes={max_bytes:,}.")
            found[blob] = stream.read()

    with _Opened(image) as stream:
        save = _scan_save(stream, hook)
    _, blob_names, _ = _layout(save)
    n = len(blob_names)
    if not -n <= layer < n:
        raise LayerAnalysisError(f"Layer {layer} does not exist: the image has {n} layers.")
    blob = blob_names[layer]
    if blob not in found:
        holders = [i for i, b in enumerate(blob_names) if b in found]
        raise LayerAnalysisError(
            f"Layer {layer % n} holds no file {want}."
            + (f" Layers that do: {holders}." if holders else " No layer holds it.")
        )
    return found[blob]


def search(image: Source, needle: str | bytes, chunk: int = 2**20) -> pd.DataFrame:
    """Every place an image holds ``needle``: file contents and names in every layer, and its config.

    Files deleted by a later layer are searched too: they are still in their
    layer. The config is searched as JSON text (environment, labels, history).

    Args:
        image: As for :func:`analyse`.
        needle: The text or bytes to look for.
        chunk: Read size (matches across chunk borders are found).

    Returns:
        One row per hit: ``where`` ("layer" or "config"), ``layer``,
        ``instruction``, ``path`` (the file, or the config key).
    """
    if not needle:
        raise ValueError("needle must not be empty")
    return search_many(image, [needle], chunk)[1].drop(columns=["needle", "form"])


def search_many(
    image: Source, needles: Sequence[str | bytes], chunk: int = 2**20, *, encoded: bool = False
) -> tuple[LayerAnalysis, pd.DataFrame]:
    """:func:`analyse` and :func:`search` for several needles, in one pass over the image.

    Args:
        image: As for :func:`analyse`.
        needles: What to look for (empty ones are ignored; none at all gives just
            the analysis).
        chunk: Read size (matches across chunk borders are found).
        encoded: Also look for each needle's common encodings (base64, base32, hex,
            URL-encoding, reversed) and inside gzip/zlib files:
            :mod:`dockerlab.inspect.secret_forms`.

    Returns:
        (the analysis; one row per hit as for :func:`search`, plus ``needle`` and
        ``form``: ``"plain"``, ``"base64 (offset 1)"``, ``"compressed hex"``...).
    """
    finder = SecretFinder(needles, encoded=encoded)
    hits: list[tuple[str, str, str | bytes, str]] = []

    def hook(blob: str, p: str, stream: IO[bytes], size: int) -> None:
        hits.extend((blob, p, n, form) for n, form in finder.in_stream(stream, chunk))

    with _Opened(image) as stream:
        save = _scan_save(stream, hook if finder else None)
    analysis = _analyse_save(save, _name(image))
    index = {b: i for i, b in reversed(list(enumerate(_layout(save)[1])))}
    rows = [
        {"where": "layer", "layer": index[b], "path": p, "needle": n, "form": form}
        for b, p, n, form in hits
        if b in index
    ]
    rows += [
        {"where": "layer", "layer": e.layer, "path": e.path, "needle": n, "form": form}
        for e in analysis.files.itertuples()
        for n, form in finder.in_text(e.path)
    ]
    for key, value in _json_leaves(analysis.config):
        rows += [
            {"where": "config", "layer": None, "path": key, "needle": n, "form": form}
            for n, form in finder.in_text(value)
        ]
    return analysis, _places(analysis, rows, "needle", "form")


def _places(analysis: LayerAnalysis, rows: list[dict], *what: str) -> pd.DataFrame:
    """The places found, one row each (``where``, ``layer``, ``instruction``, ``path``,
    then the ``what`` columns), each layer named by the instruction that made it."""
    df = pd.DataFrame(rows, columns=["where", "layer", "path", *what]).drop_duplicates()
    df["layer"] = df["layer"].astype("Int64")
    df.insert(
        2,
        "instruction",
        [analysis.layers["instruction"].get(i, "") if pd.notna(i) else "" for i in df["layer"]],
    )
    return df.reset_index(drop=True)


def _json_leaves(node: Any, key: str = "") -> list[tuple[str, str]]:
    """Every value of a JSON document, as (its key path, its text): ``config.Env[1]``."""
    if isinstance(node, Mapping):
        return [h for k, v in node.items() for h in _json_leaves(v, f"{key}.{k}".lstrip("."))]
    if isinstance(node, list):
        return [h for i, v in enumerate(node) for h in _json_leaves(v, f"{key}[{i}]")]
    return [(key, str(node))]


#: Environment variable names that say "secret".
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSW(OR)?D|API_?KEY|PRIVATE_?KEY|CREDENTIAL", re.I)


def analyse_and_search(image, secrets: list[str]) -> tuple[LayerAnalysis, pd.DataFrame]:
    """The layer analysis and every place the image holds a secret, in ONE ``docker save`` pass.

    One :func:`dockerlab.inspect.layers.search_many` pass for every secret (a 300 MB
    image is read once, not once per secret), each secret in its common encodings too
    (base64, base32, hex, URL-encoding, reversed, gzip/zlib-compressed:
    :mod:`dockerlab.inspect.secret_forms`): an encoded copy is a copy. Also reports
    environment variables whose *name* says secret (:data:`SECRET_NAME`) when
    their value was not found already.

    Returns:
        (the analysis; one row per place: ``where``, ``layer``, ``instruction``,
        ``path``, ``secret`` (the value's first characters, or the variable's name),
        ``form`` (how it was stored: ``"plain"``, ``"base64 (offset 2)"``, ...)).
    """
    analysis, hits = search_many(image, secrets, encoded=True)
    rows = [
        {
            "where": h.where,
            "layer": h.layer,
            "path": h.path,
            "secret": h.needle[:6] + "...",
            "form": h.form,
        }
        for h in hits.itertuples()
    ]
    found = {r["path"] for r in rows}
    env = (analysis.config.get("config") or {}).get("Env") or []
    for i, entry in enumerate(env):
        name = entry.split("=", 1)[0]
        if SECRET_NAME.search(name) and f"config.Env[{i}]" not in found:
            rows.append(
                {
                    "where": "config",
                    "layer": None,
                    "path": f"config.Env[{i}]",
                    "secret": name,
                    "form": "named",
                }
            )
    return analysis, _places(analysis, rows, "secret", "form")


__all__ = [
    "SECRET_NAME",
    "LayerAnalysis",
    "LayerAnalysisError",
    "analyse",
    "analyse_and_search",
    "instruction",
    "read_file",
    "search",
    "search_many",
    "summarize",
]
