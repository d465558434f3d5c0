"""The catalog of images the notebooks use.

Each entry has a key (``"debian"``), a default reference (``"debian:trixie"``)
and can be overridden by an environment variable ``DOCKERLAB_IMAGE_<KEY>``
(e.g. ``DOCKERLAB_IMAGE_ALPINE=alpine:3.22``). ``python -m dockerlab bases``
makes sure every entry exists on the engine: pulled where a registry is
reachable, bootstrapped offline where not (see :mod:`dockerlab.engines.bases`).

The course's Debian is Debian 13 "trixie" (stable since August 2025); Debian 12
"bookworm" is in the catalog as the *older* base notebook 10 compares it with.
An entry can have a different offline reference: Alpine's default is the newest
release a registry serves (``alpine:3.24``), but offline the kit can only make
the Alpine its pinned disk image holds (3.23.6), and tags it ``alpine:3.23``,
never with a newer version's name. :func:`ref` gives the one in use on the engine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import docker.errors
import docker.models.images

from dockerlab.core import labels
from dockerlab.core.engine import client, registry_reachable
from dockerlab.errors import DockerlabError, ImageNotFound


@dataclass(frozen=True)
class CatalogImage:
    """One image of the course's catalog.

    Attributes:
        key: Short name used by the notebooks (``"debian_slim"``).
        default: The reference used unless overridden.
        description: One line for tables.
        official: True if it is an official image a registry can serve.
        offline: The reference the offline recipe makes, when it cannot make
            ``default`` itself (``alpine:3.23`` for ``alpine:3.24``); None when it
            makes ``default``.
    """

    key: str
    default: str
    description: str
    official: bool = True
    offline: str | None = None

    @property
    def env_var(self) -> str:
        return f"DOCKERLAB_IMAGE_{self.key.upper()}"

    @property
    def overridden(self) -> str | None:
        """The reference ``DOCKERLAB_IMAGE_<KEY>`` sets, if any."""
        return os.environ.get(self.env_var) or None

    @property
    def ref(self) -> str:
        """The reference in use: the environment override, or the default.

        For an entry with an :attr:`offline` reference: the default if it is on the
        engine, else the offline one if that is; with neither there, the default
        where a registry answers (it can be pulled), the offline one where not.
        """
        if self.overridden:
            return self.overridden
        if self.offline is None:
            return self.default
        for candidate in (self.default, self.offline):
            if _on_engine(candidate):
                return candidate
        return self.default if registry_reachable() else self.offline


def _on_engine(name: str) -> bool:
    """True if the engine has an image of that name; False if not, or no engine answers."""
    try:
        client().images.get(name)
        return True
    except (docker.errors.APIError, DockerlabError):  # ImageNotFound is an APIError
        return False


# The older Debian comes first: a lookup by repository that keeps the last entry
# (``debian`` -> ...) then finds the course's Debian, as before it was added.
CATALOG: dict[str, CatalogImage] = {
    c.key: c
    for c in (
        CatalogImage(
            "debian_old",
            "debian:bookworm",
            "Debian 12 bookworm, oldstable: the older base notebook 10 compares with trixie",
        ),
        CatalogImage("debian", "debian:trixie", "Debian 13 trixie, the full official base"),
        CatalogImage(
            "debian_slim", "debian:trixie-slim", "Debian 13 without docs, man pages, locales"
        ),
        CatalogImage(
            "alpine",
            "alpine:3.24",
            "Alpine Linux: musl libc and busybox",
            offline="alpine:3.23",
        ),
        CatalogImage(
            "builder",
            "dockerlab/builder:trixie",
            "The kit's compiler image: gcc, libc6-dev, musl-tools",
            official=False,
        ),
    )
}


def ref(key: str) -> str:
    """The image reference for a catalog key.

    Example:
        >>> ref("alpine")  # doctest: +SKIP
        'alpine:3.23'

    ``'alpine:3.24'`` where it was pulled; ``'alpine:3.23'`` (3.23.6) where the kit
    made it offline.
    """
    try:
        return CATALOG[key].ref
    except KeyError:
        raise KeyError(f"{key!r} is not in the catalog; known: {', '.join(CATALOG)}") from None


def _plain(name: str) -> str:
    """``docker.io/library/alpine:3.23`` and ``alpine:3.23`` alike: ``alpine:3.23``."""
    name = name.removeprefix("docker.io/").removeprefix("library/")
    return name if ":" in name.rsplit("/", 1)[-1] or "@" in name else f"{name}:latest"


def is_base_name(name: str) -> bool:
    """True if ``name`` is what a catalog base is called (in use, default or offline):
    a learner's build may not take it, nor a kit removal take it away from the others."""
    names = {n for c in CATALOG.values() for n in (c.overridden, c.default, c.offline) if n}
    return _plain(name) in {_plain(n) for n in names}


def get(key_or_ref: str):
    """The ``docker.models.images.Image`` for a catalog key or any reference.

    Raises:
        ImageNotFound: It is not on this engine.
    """
    name = ref(key_or_ref) if key_or_ref in CATALOG else key_or_ref
    try:
        return client().images.get(name)
    except docker.errors.ImageNotFound:
        raise ImageNotFound(f"The image {name!r} is not on this engine.") from None


def provenance(key_or_ref: str) -> str:
    """Where an image came from, in one line, for tables and plot captions.

    Offline-made bases say how they were made; pulled images give their
    registry digest; a kit-made base pulled from a mirror gives both.
    """
    img = get(key_or_ref)
    made = (img.labels or {}).get(labels.PROVENANCE)
    digests = img.attrs.get("RepoDigests") or []
    if made:
        # A base the kit made was pulled only if it is named after a registry's repository
        # (a classroom mirror's) and holds that repository's digest: a push leaves a digest
        # but no tag, and the containerd store gives every image a digest under its bare name.
        tagged = {t.rpartition(":")[0] for t in img.attrs.get("RepoTags") or []}
        digests = [
            d
            for d in digests
            if d.partition("@")[0] in tagged and _names_registry(d.partition("@")[0])
        ]
    pulled = f"pulled: {digests[0]}" if digests else ""
    if made and pulled:  # made by the kit, then served by a registry (a classroom mirror)
        return f"{made}; {pulled}"
    return made or pulled or "local image (no provenance recorded)"


def _names_registry(repository: str) -> bool:
    """True if a repository name starts with a registry host (``127.0.0.1:5000/x``, ``ghcr.io/x``)."""
    first, slash, _ = repository.partition("/")
    return bool(slash) and ("." in first or ":" in first or first == "localhost")


def present() -> dict[str, bool]:
    """For each catalog key: is its image on the engine?"""
    out = {}
    for key in CATALOG:
        try:
            get(key)
            out[key] = True
        except ImageNotFound:
            out[key] = False
    return out


def name_of(image) -> str:
    """The name the engine knows ``image`` by: a built image's reference, or the string given.

    Args:
        image: A :class:`~dockerlab.core.building.BuiltImage`, an image from the engine, or a
            reference or id (``"alpine:3.23"``, ``"sha256:..."``).

    Example:
        >>> name_of("alpine:3.23")
        'alpine:3.23'
    """
    if isinstance(image, str):
        return image
    ref = getattr(image, "ref", None)  # a BuiltImage
    if isinstance(ref, str):
        return ref
    if isinstance(image, docker.models.images.Image):
        return image.id
    return str(image)


def resolve(image) -> docker.models.images.Image:
    """The engine's image for a built image, an engine image or a reference.

    Raises:
        ImageNotFound: The engine has no such image (said plainly, with its name).

    Example:
        >>> resolve(ref("alpine")).id  # doctest: +SKIP
        'sha256:...'
    """
    if isinstance(image, docker.models.images.Image):
        return image
    name = name_of(image)
    try:
        return client().images.get(name)
    except docker.errors.ImageNotFound:
        raise ImageNotFound(f"The image {name!r} is not on this engine.") from None


def config(image) -> dict:
    """An image's configuration: what its containers run and how (``docker inspect``'s
    ``Config``: ``User``, ``Entrypoint``, ``Cmd``, ``Env``, ``Labels``...).

    Raises:
        ImageNotFound: The engine has no such image.
    """
    return dict(resolve(image).attrs.get("Config") or {})


def layer_count(image) -> int:
    """How many filesystem layers an image has (``docker inspect``'s ``RootFS.Layers``).

    Raises:
        ImageNotFound: The engine has no such image.
    """
    return len((resolve(image).attrs.get("RootFS") or {}).get("Layers") or [])
