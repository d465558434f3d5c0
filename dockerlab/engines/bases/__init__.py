"""The course's base images: pulled where a registry answers, made offline where not.

:func:`ensure` makes sure every image of :data:`dockerlab.core.images.CATALOG` is on
the engine. An image already there is kept (unless an older offline recipe made
it). Otherwise, with a registry in reach, official images are pulled and the
kit's builder is built from ``assets/builder.Dockerfile``; without one, the
recipes of :mod:`.debian` and :mod:`.alpine` make them from genuine Debian
packages and a genuine Alpine disk image, and label them with their provenance.

Command line: ``python -m dockerlab bases [KEY ...] [--force]``.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import json
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

import docker.errors
from docker.models.images import Image
from docker.utils import parse_repository_tag

from dockerlab import assets
from dockerlab.core import labels, transfer
from dockerlab.core.building import DISK_FULL_HINT, build, disk_full
from dockerlab.core.config import cache_dir
from dockerlab.core.engine import (
    client,
    import_image,
    registry_answers,
    registry_reachable,
    requested_platform,
)
from dockerlab.core.images import CATALOG, CatalogImage, provenance
from dockerlab.engines.bases.rootfs import Rootfs, Say
from dockerlab.errors import BootstrapFailed, BuildFailed, ImageNotFound, NoRegistry, RegistryError
from dockerlab.inspect.measuring import size_on_disk

#: The module (of this package) whose ``make()`` bootstraps each catalog key offline.
_RECIPE_MODULES = {
    "debian_old": "debian",
    "debian": "debian",
    "debian_slim": "debian",
    "builder": "debian",
    "alpine": "alpine",
}
BUILDER_DOCKERFILE = "builder.Dockerfile"
#: Seconds the builder's build may take (it downloads and installs compilers).
BUILDER_TIMEOUT = 1800


@dataclass(frozen=True)
class BaseResult:
    """What :func:`ensure` did for one catalog image.

    Attributes:
        key: The catalog key (``"alpine"``).
        ref: The image reference (``"alpine:3.23"``).
        action: ``"cached"``, ``"pulled"``, ``"built"`` or ``"bootstrapped"``.
        seconds: How long it took.
        size_bytes: The image's size on the engine.
        provenance: Where the image came from, in one line.
    """

    key: str
    ref: str
    action: str
    seconds: float
    size_bytes: int
    provenance: str

    def __str__(self) -> str:
        what = f"cached: {self.provenance}" if self.action == "cached" else self.provenance
        size = self.size_bytes / 1e6
        size_text = f"{size:.1f} MB" if size < 10 else f"{size:.0f} MB"
        return f"{self.ref:<28} {what}  {size_text}  {self.seconds:.0f} s"


def ensure(
    keys: list[str] | None = None, *, force: bool = False, progress: bool = True
) -> list[BaseResult]:
    """Make sure the catalog's base images exist on the engine; print a line per image.

    Args:
        keys: Catalog keys to ensure (all of them by default), in this order.
        force: Pull, build or bootstrap again even if an image is present.
        progress: Print what happens while an image is being made or pulled.

    Returns:
        One result per key.

    Raises:
        KeyError: A key is not in the catalog.
        ImageNotFound: An overridden reference (``DOCKERLAB_IMAGE_<KEY>``) is
            neither on the engine nor pullable, and no recipe makes it.
        BootstrapFailed: Making an image offline failed (a host tool missing,
            not root, no Debian package index).
        BuildFailed: Building the builder image online failed.

    Example:
        >>> from dockerlab import bases
        >>> [r.action for r in bases.ensure(progress=False)]  # doctest: +SKIP
        ['cached', 'cached', 'cached', 'cached', 'cached']
    """
    wanted = list(keys) if keys else list(CATALOG)
    unknown = [k for k in wanted if k not in CATALOG]
    if unknown:
        raise KeyError(f"not in the catalog: {', '.join(unknown)}; known: {', '.join(CATALOG)}")
    results = []
    work_root = cache_dir() / "bases"
    work_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="work-", dir=work_root) as work:
        for key in wanted:
            try:
                result = _ensure_one(
                    CATALOG[key], Path(work), force=force, say=_sayer(key, progress)
                )
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                raise BootstrapFailed(
                    f"The disk filled up while making {CATALOG[key].ref} in {cache_dir()} "
                    f"({e.filename or e}).",
                    hint=DISK_FULL_HINT,
                ) from None
            print(result, flush=True)
            results.append(result)
    return results


def _sayer(key: str, progress: bool) -> Say:
    def say(message: str) -> None:
        print(f"  [{key}] {message}", flush=True)

    return say if progress else lambda message: None


def _recipe(key: str) -> ModuleType:
    """The offline recipe module for a catalog key (imported on first use)."""
    return importlib.import_module(f"{__name__}.{_RECIPE_MODULES[key]}")


def _ensure_one(entry: CatalogImage, work: Path, *, force: bool, say: Say) -> BaseResult:
    start = time.monotonic()
    name = _target(entry)
    old = _present(name)
    if old is not None and not force and _current(entry, old):
        action, image = "cached", old
    else:
        action, name = _obtain(entry, name, work, say, force=force)
        image = client().images.get(name)
        if old is not None and old.id != image.id:
            _drop_replaced(old.id)
    return BaseResult(
        key=entry.key,
        ref=name,
        action=action,
        seconds=time.monotonic() - start,
        size_bytes=_size(image.id),
        provenance=provenance(name),
    )


def _target(entry: CatalogImage) -> str:
    """The reference :func:`ensure` makes sure of: the override, or the default, or,
    for an entry with an offline reference whose default is neither on the engine
    nor pullable, the offline one (``alpine:3.23``, made from the pinned disk image)."""
    if entry.overridden or entry.offline is None:
        return entry.ref
    if _present(entry.default) is not None or _pullable(entry.default):
        return entry.default
    return entry.offline


def _present(ref: str) -> Image | None:
    """The image ``ref`` names on the engine, or None."""
    try:
        return client().images.get(ref)
    except docker.errors.ImageNotFound:
        return None


def _current(entry: CatalogImage, image: Image) -> bool:
    """False if the kit made ``image`` with an older version of its recipe."""
    made_by = (image.labels or {}).get(labels.RECIPE)
    return made_by is None or made_by == _recipe(entry.key).RECIPE


def _drop_replaced(image_id: str) -> None:
    """Remove the image a rebuild replaced, unless something still uses it."""
    # Still tagged elsewhere or used by a container: then it stays, for the user to judge.
    with contextlib.suppress(docker.errors.APIError):
        client().images.remove(image_id)


def _obtain(
    entry: CatalogImage, name: str, work: Path, say: Say, *, force: bool = False
) -> tuple[str, str]:
    """Pull, build or bootstrap the entry's image ``name``.

    A default image whose pull fails (a registry that answers but refuses, say:
    a :class:`~dockerlab.errors.RegistryError`) is made offline instead, under the entry's offline reference if it has one;
    an overridden one cannot be.

    Returns:
        Which one happened (``"pulled"``, ``"built"``, ``"bootstrapped"``) and the
        reference of the image made.
    """
    overridden = entry.overridden is not None
    offline = entry.offline or entry.default
    if not _pullable(name):
        if overridden:
            raise ImageNotFound(
                f"{name!r} (set by {entry.env_var}) cannot be pulled: its registry is "
                f"not reachable, and offline the kit can only make {offline!r}.",
                hint=f"Unset {entry.env_var}, or put that image on the engine (`docker load`).",
            )
    elif not (entry.official or overridden):
        _build_builder(entry, say)
        return "built", name
    else:
        try:
            pull(name, say, override=entry.env_var)
            return "pulled", name
        except RegistryError as e:
            if overridden:
                raise
            say(f"{e.args[0]}; making {offline} offline instead")
    kept = None if force else _kept_rootfs(entry)
    if kept is not None:
        say(f"importing the tree this machine made before ({kept[0].name}), no bootstrap")
        _import_archive(entry, offline, *kept)
        return "bootstrapped", offline
    rootfs = _recipe(entry.key).make(entry.key, work, say)
    say("importing into the engine")
    _import(entry, offline, rootfs, work)
    return "bootstrapped", offline


# --- online: pull, build ------------------------------------------------------------


def _pullable(ref: str) -> bool:
    """Does the registry serving ``ref`` answer? Docker Hub for plain names like
    ``alpine:3.23``; the named one for ``host:port/repo:tag`` (a classroom mirror)."""
    from dockerlab.registry.api import parse_reference

    r = parse_reference(ref)
    return registry_reachable() if r.is_docker_hub else registry_answers(r.registry)


def pull(ref: str, say: Say, *, override: str = "") -> None:
    """Pull ``ref`` from the registry it names, saying each layer's status as it changes.

    Through :func:`dockerlab.core.transfer.pull`: it gives up after
    :data:`~dockerlab.core.transfer.TRANSFER_TIMEOUT` seconds without progress (a registry
    or classroom mirror that froze halfway), for the course's platform.

    Args:
        ref: The image reference.
        say: Called with one line per change (``"3f2a: Downloading"``).
        override: The ``DOCKERLAB_IMAGE_<KEY>`` variable that named ``ref``, if any
            (the hints then mention it).

    Raises:
        ManifestNotFound: The registry has no such image.
        RegistryError: The pull failed for another reason.
        NoRegistry: The registry stopped answering.
    """
    try:
        transfer.pull(
            ref, platform=requested_platform(), timeout=transfer.TRANSFER_TIMEOUT, on_progress=say
        )
    except (RegistryError, NoRegistry) as e:
        if override:
            e.hint = f"{e.hint} Or unset {override} to use the course's default image.".lstrip()
        raise


def _build_builder(entry: CatalogImage, say: Say) -> None:
    """Build the kit's builder image from ``assets/builder.Dockerfile``, through the kit's
    build (:func:`dockerlab.core.building.build`): a base image (its labels, no session), with
    the network its ``apt-get`` needs, by the engine's own builder as always.

    Raises:
        BuildFailed: The build failed (the message names the image).
    """
    recipe = _recipe(entry.key)
    image_labels = _labels(
        entry,
        provenance=f"built from the kit's {BUILDER_DOCKERFILE} (FROM debian:{recipe.SUITE}-slim)",
        recipe=recipe.RECIPE,
        version=recipe.SUITE,
        source=recipe.SOURCE,
    )

    def show(line: str) -> None:
        if line.strip():
            say(line)

    dockerfile = assets.text(BUILDER_DOCKERFILE)
    try:
        build(
            dockerfile,
            tag=entry.ref,
            labels=image_labels,
            builder="legacy",
            network=True,
            timeout=BUILDER_TIMEOUT,
            progress=show,
        )
    except BuildFailed as e:
        raise type(e)(f"Building {entry.ref}: {e.args[0]}", e.step, e.log_tail, e.hint) from None


def _size(image_id: str) -> int:
    """The image's unpacked size on this engine's store (see :func:`dockerlab.inspect.measuring.sizes`)."""
    return size_on_disk(image_id)


# --- offline: archive the tree and import it ----------------------------------------


def _labels(
    entry: CatalogImage, *, provenance: str, recipe: str, version: str, source: str
) -> dict[str, str]:
    """The kit's base labels plus the OCI annotations for a base image the kit made."""
    return {
        **labels.base_labels(entry.key, provenance, recipe),
        "org.opencontainers.image.source": source,
        "org.opencontainers.image.description": entry.description,
        "org.opencontainers.image.created": datetime.now(timezone.utc).isoformat(
            timespec="seconds"
        ),
        "org.opencontainers.image.version": version,
    }


def write_tar(rootfs: Rootfs, dest: Path) -> None:
    """Archive ``rootfs.path`` into ``dest`` (modes, links and numeric owners kept)."""

    def owned(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uname = info.gname = ""
        if rootfs.owners is not None:
            info.uid, info.gid = rootfs.owners.get(info.name.removeprefix("./"), (0, 0))
        return info

    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(rootfs.path, arcname=".", filter=owned)


def _import_tar(archive: Path, repo: str, tag: str | None, changes: list[str]) -> str:
    """``docker import [--platform P]`` of a tar file, for the course's platform
    (:func:`~dockerlab.core.engine.import_image`); returns the engine's answer."""
    with open(archive, "rb") as data:
        return import_image(data, repo, tag, changes, platform=requested_platform())


def _kept(entry: CatalogImage) -> tuple[Path, Path]:
    """Where a tree the offline recipe made is kept (its archive, what it says of itself):
    one per catalog key and platform, so that each engine profile imports it, not
    bootstrapping again (``make test`` runs three engines; the arm64 trees take minutes)."""
    from dockerlab.engines.bases.debian import target_arch

    folder = cache_dir() / "bases" / "trees"
    stem = f"{entry.key}-{target_arch()}"
    return folder / f"{stem}.tar", folder / f"{stem}.json"


def _kept_rootfs(entry: CatalogImage) -> tuple[Path, dict] | None:
    """The kept tree of ``entry``, if the current version of its recipe made it."""
    archive, about = _kept(entry)
    try:
        meta = json.loads(about.read_text())
    except (OSError, ValueError):
        return None
    if meta.get("recipe") != _recipe(entry.key).RECIPE or not archive.is_file():
        return None
    if archive.stat().st_size != meta.get("bytes"):
        return None  # half-written (a full disk, a killed run): make it again
    return archive, meta


def _import(entry: CatalogImage, name: str, rootfs: Rootfs, work: Path) -> None:
    """``docker import`` the tree as the entry's image ``name``, with its command and labels;
    keep its archive for the other engines of this machine (:func:`_kept`)."""
    archive, about = _kept(entry)
    archive.parent.mkdir(parents=True, exist_ok=True)
    about.unlink(missing_ok=True)
    meta = {
        "provenance": rootfs.provenance,
        "recipe": rootfs.recipe,
        "version": rootfs.version,
        "source": rootfs.source,
        "cmd": rootfs.cmd,
    }
    try:
        write_tar(rootfs, archive)
    except BaseException:
        archive.unlink(missing_ok=True)
        raise
    _import_archive(entry, name, archive, meta)
    about.write_text(json.dumps({**meta, "bytes": archive.stat().st_size}, indent=1) + "\n")


def _import_archive(entry: CatalogImage, name: str, archive: Path, meta: dict) -> None:
    """``docker import`` an archived tree as ``name``, with its command and labels."""
    image_labels = _labels(
        entry,
        provenance=meta["provenance"],
        recipe=meta["recipe"],
        version=meta["version"],
        source=meta["source"],
    )
    changes = [f"CMD {json.dumps(meta['cmd'])}"]
    changes += [f"LABEL {k}={json.dumps(v)}" for k, v in image_labels.items()]
    repo, tag = parse_repository_tag(name)
    try:
        answer = _import_tar(archive, repo, tag, changes)
    except docker.errors.APIError as e:
        text = str(e.explanation or e)
        raise BootstrapFailed(
            f"The engine refused to import {name}: {text}",
            hint=DISK_FULL_HINT if disk_full(text) else None,
        ) from e
    for line in str(answer).splitlines():
        if line.strip().startswith("{") and "error" in json.loads(line):
            raise BootstrapFailed(f"The engine refused to import {name}: {line}")
