"""Preparing a classroom: fetch every image once, carry them as one archive.

A class of learners pulling the same images at the same time hits Docker Hub's
pull limits and the room's network. Instead, on one machine with internet::

    python -m dockerlab prefetch            # pull every image the course uses
    python -m dockerlab bundle course.tar   # save them all into one archive

and on each learner's machine (or the shared workshop engine)::

    python -m dockerlab load course.tar

``bundle`` works just as well from offline-bootstrapped bases: the archive
carries them with their provenance labels.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from dockerlab.core import images
from dockerlab.core.engine import client, registry_reachable
from dockerlab.errors import ClassroomError, ImageNotFound, NoRegistry
from dockerlab.registry.image import KIT_REPOSITORY, OFFICIAL_IMAGE

#: Images some lessons use when present, beyond the catalog (optional extras).
EXTRAS = {"python_alpine": "python:3-alpine"}
MANIFEST = "dockerlab-bundle.json"


@dataclass(frozen=True)
class BundleEntry:
    ref: str
    member: str
    size: int
    provenance: str


def course_images(include_extras: bool = True) -> list[str]:
    """Every image reference the notebooks and exercises use."""
    refs = [entry.ref for entry in images.CATALOG.values()]
    return refs + (list(EXTRAS.values()) if include_extras else [])


def registry_images() -> list[str]:
    """The lessons' registry images on this engine (``registry:2``, the kit's own
    ``dockerlab/registry``): a learner who loads a bundle offline needs one, and on a Mac
    the kit cannot make its own."""
    found = [OFFICIAL_IMAGE] if _present(OFFICIAL_IMAGE) else []
    for image in client().images.list(name=KIT_REPOSITORY):
        found += [t for t in image.tags if t.startswith(f"{KIT_REPOSITORY}:")]
    return sorted(set(found), key=found.index)


def prefetch() -> list[str]:
    """Make sure every course image is on this engine: bases, then pulled extras.

    Returns:
        The references now present.

    Raises:
        NoRegistry: Nothing can be pulled from here (use ``bases`` or ``load``), or
            the registry stopped answering halfway.
        RegistryError: An image could not be pulled (ManifestNotFound: it does not exist).
    """
    if not registry_reachable():
        raise NoRegistry(
            "No registry is reachable from this machine, so nothing can be prefetched.",
            hint="Run `python -m dockerlab bases` (it bootstraps the bases offline), or load a "
            "bundle made elsewhere: `python -m dockerlab load FILE`.",
        )
    from dockerlab.engines.bases import ensure, pull

    ensure()
    for ref in EXTRAS.values():
        print(f"pulling {ref} ...", flush=True)
        pull(ref, lambda line, ref=ref: print(f"  {ref}: {line}", flush=True))
    return course_images()


def bundle(path: str | Path, refs: list[str] | None = None) -> list[BundleEntry]:
    """Save course images into one archive (a tar of ``docker save`` tars + a manifest).

    Args:
        path: The archive to write.
        refs: Images to include (default: every course image present here).

    Raises:
        ImageNotFound: A requested image is not on this engine.
    """
    c = client()
    wanted = refs or [r for r in course_images() if _present(r)] + registry_images()
    missing = [r for r in wanted if not _present(r)]
    if missing:
        raise ImageNotFound(f"Not on this engine: {', '.join(missing)}.")
    entries = []
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".part")
    with tarfile.open(tmp, "w") as out:
        for i, ref in enumerate(wanted):
            t0 = time.monotonic()
            data = b"".join(c.images.get(ref).save(named=True))
            member = f"images/{i:02d}-{ref.replace('/', '_').replace(':', '_')}.tar"
            _add(out, member, data)
            entries.append(BundleEntry(ref, member, len(data), images.provenance(ref)))
            print(
                f"{ref:<28} {len(data) / 1e6:7.1f} MB  {time.monotonic() - t0:4.1f} s", flush=True
            )
        manifest = json.dumps([e.__dict__ for e in entries], indent=1).encode()
        _add(out, MANIFEST, manifest)
    tmp.replace(path)  # never leave a half-written archive under the real name
    return entries


def load(path: str | Path, engine: docker.DockerClient | None = None) -> list[str]:
    """Load every image of a bundle into this engine (or ``engine``).

    Returns:
        The references loaded.

    Raises:
        DockerlabError: The file is not a dockerlab bundle.
    """
    c = engine or client()
    loaded = []
    try:
        archive = tarfile.open(path)  # noqa: SIM115 - closed by the `with` below
    except (tarfile.TarError, OSError) as e:
        raise ClassroomError(
            f"{path} is not a bundle made by `python -m dockerlab bundle`: {e}"
        ) from None
    with archive:
        try:
            entries = json.loads(archive.extractfile(MANIFEST).read())
        except KeyError:
            raise ClassroomError(f"{path} has no {MANIFEST}: not a dockerlab bundle.") from None
        for e in entries:
            t0 = time.monotonic()
            try:
                c.images.load(archive.extractfile(e["member"]).read())
            except docker.errors.APIError as err:
                raise ClassroomError(
                    f"Loading {e['ref']} failed: {err.explanation or err}"
                ) from None
            loaded.append(e["ref"])
            print(f"{e['ref']:<28} loaded  {time.monotonic() - t0:4.1f} s", flush=True)
    return loaded


def _present(ref: str) -> bool:
    try:
        client().images.get(ref)
        return True
    except docker.errors.ImageNotFound:
        return False


def _add(out: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), int(time.time())
    out.addfile(info, io.BytesIO(data))
