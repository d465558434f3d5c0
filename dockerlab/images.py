"""The catalog of images the notebooks use.

Each entry has a key (``"debian"``), a default reference (``"debian:bookworm"``)
and can be overridden by an environment variable ``DOCKERLAB_IMAGE_<KEY>``
(e.g. ``DOCKERLAB_IMAGE_ALPINE=alpine:3.22``). ``python -m dockerlab bases``
makes sure every entry exists on the engine: pulled where a registry is
reachable, bootstrapped offline where not (see :mod:`dockerlab.bases`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import docker.errors

from . import labels
from .engine import client
from .errors import ImageNotFound


@dataclass(frozen=True)
class CatalogImage:
    """One image of the course's catalog.

    Attributes:
        key: Short name used by the notebooks (``"debian_slim"``).
        default: The reference used unless overridden.
        description: One line for tables.
        official: True if it is an official image a registry can serve.
    """

    key: str
    default: str
    description: str
    official: bool = True

    @property
    def env_var(self) -> str:
        return f"DOCKERLAB_IMAGE_{self.key.upper()}"

    @property
    def ref(self) -> str:
        """The reference in use: the environment override, or the default."""
        return os.environ.get(self.env_var) or self.default


CATALOG: dict[str, CatalogImage] = {
    c.key: c
    for c in (
        CatalogImage("debian", "debian:bookworm", "Debian 12, the full official base"),
        CatalogImage(
            "debian_slim", "debian:bookworm-slim", "Debian 12 without docs, man pages, locales"
        ),
        CatalogImage("alpine", "alpine:3.23", "Alpine Linux: musl libc and busybox"),
        CatalogImage(
            "builder",
            "dockerlab/builder:bookworm",
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
    """
    try:
        return CATALOG[key].ref
    except KeyError:
        raise KeyError(f"{key!r} is not in the catalog; known: {', '.join(CATALOG)}") from None


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
    pulled = f"pulled: {digests[0]}" if digests else ""
    if made and pulled:  # made by the kit, then served by a registry (a classroom mirror)
        return f"{made}; {pulled}"
    return made or pulled or "local image (no provenance recorded)"


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
