"""Sessions and cleanup: remove exactly what the kit made, nothing else.

Everything the kit creates carries the labels of :mod:`dockerlab.core.labels`.
:func:`cleanup` removes the current session's containers, images and volumes
(or every session's); catalog base images are kept. :func:`leftovers` lists what
is still there, which the test suite asserts is nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import docker.errors

from dockerlab.core import labels
from dockerlab.core.engine import client


def leftovers(session: str | None = None) -> dict[str, list[str]]:
    """Kit-made containers, images and volumes still on the engine.

    Only resources with a session label count. Catalog bases have none, so they
    are never listed; an image BUILT from a base inherits the base's labels but
    also gets the build's session label, so it is listed.

    Args:
        session: One session's id, or None for every session.

    Returns:
        ``{"containers": [...], "images": [...], "volumes": [...], "networks": [...]}``
        of names or short ids.
    """
    c = client()
    flt = labels.filter_for(session)
    images = c.images.list(filters=flt)
    return {
        "containers": [
            x.name for x in c.containers.list(all=True, filters=flt, ignore_removed=True)
        ],
        "images": [i.short_id for i in images],
        "volumes": [v.name for v in c.volumes.list(filters=flt)],
        "networks": [n.name for n in c.networks.list(filters=flt)],
    }


def cleanup(
    session: str | None = labels.SESSION_ID, *, all_sessions: bool = False
) -> dict[str, int]:
    """Remove the kit's containers, images and volumes; keep the catalog bases.

    Bases carry no session label, so the session filter never matches them. The
    unlabelled intermediate images of this process's builds (a multi-stage build's
    earlier stages) go too, when nothing else uses them.

    Args:
        session: The session to clean (this process's by default).
        all_sessions: Clean every session of the kit (e.g. after a workshop).

    Returns:
        How many of each kind were removed.

    Example:
        >>> dl.cleanup()  # doctest: +SKIP
        {'containers': 0, 'images': 2, 'volumes': 0, 'networks': 0}
    """
    c = client()
    flt = labels.filter_for(None if all_sessions else session)
    removed = {"containers": 0, "images": 0, "volumes": 0, "networks": 0}
    for ctr in c.containers.list(all=True, filters=flt, ignore_removed=True):
        with contextlib.suppress(docker.errors.NotFound):
            ctr.remove(force=True, v=True)
            removed["containers"] += 1
    for img in c.images.list(filters=flt):
        with contextlib.suppress(docker.errors.NotFound):
            _remove_image(c, img.id)
            removed["images"] += 1
    for vol in c.volumes.list(filters=flt):
        with contextlib.suppress(docker.errors.NotFound):
            vol.remove(force=True)
            removed["volumes"] += 1
    for net in c.networks.list(filters=flt):
        with contextlib.suppress(docker.errors.NotFound):
            net.remove()
            removed["networks"] += 1
    if all_sessions or session == labels.SESSION_ID:
        from dockerlab.core.building import discard_intermediates

        discard_intermediates()  # earlier stages of multi-stage builds carry no label
    return removed


def sessions() -> set[str]:
    """Every session id that labels a container, image, volume or network on the engine."""
    c = client()
    flt = labels.filter_for(None)
    found = {
        (x.labels or {}).get(labels.SESSION, "")
        for kind in (
            c.containers.list(all=True, filters=flt, ignore_removed=True),
            c.images.list(filters=flt),
        )
        for x in kind
    } | {(v.attrs.get("Labels") or {}).get(labels.SESSION, "") for v in c.volumes.list(filters=flt)}
    found |= {
        (n.attrs.get("Labels") or {}).get(labels.SESSION, "") for n in c.networks.list(filters=flt)
    }
    return found - {""}


def _cleanup_each(chosen) -> dict[str, int]:
    removed = {"containers": 0, "images": 0, "volumes": 0, "networks": 0}
    for one in sorted(chosen):
        for kind, n in cleanup(one).items():
            removed[kind] += n
    return removed


def cleanup_own() -> tuple[dict[str, int], list[str]]:
    """Remove what the current learner's sessions made (:func:`dockerlab.core.labels.own_session`):
    every kernel of theirs, running or ended. What ``python -m dockerlab cleanup`` does.

    Returns:
        How many of each kind were removed, and the other sessions left untouched.
    """
    found = sessions()
    mine = {s for s in found if labels.own_session(s)}
    return _cleanup_each(mine), sorted(found - mine)


def cleanup_stale() -> dict[str, int]:
    """Remove what sessions of ended processes on this machine left (a restarted kernel).

    A kernel that is restarted, or dies with the engine, never runs its
    notebook's last cell: its containers, images and volumes would stay. Only
    sessions whose owning process is known to be gone are touched
    (:func:`dockerlab.core.labels.owner_gone`); live ones and shared named sessions never.

    Returns:
        How many of each kind were removed.
    """
    return _cleanup_each(s for s in sessions() if s != labels.SESSION_ID and labels.owner_gone(s))


@contextlib.contextmanager
def session() -> Iterator[str]:
    """A block after which everything this session made is removed.

    Example:
        >>> with dl.session():  # doctest: +SKIP
        ...     img = dl.build("FROM alpine:3.23\\nRUN touch /x")
    """
    try:
        yield labels.SESSION_ID
    finally:
        cleanup(labels.SESSION_ID)


def _remove_image(c, image_id: str) -> None:
    """Remove an image; once more if another session removed a layer they shared meanwhile.

    Learners on one engine build from the same cached steps: when two clean up at
    the same moment, the engine may find a shared parent gone halfway through and
    answer "unrecognized image ID"; the second try sees the store as it now is.
    """
    from dockerlab.core.building import remove_keeping_bases

    try:
        remove_keeping_bases(image_id)
    except docker.errors.APIError as e:
        if isinstance(e, docker.errors.NotFound) or "unrecognized image" not in str(e):
            raise
        remove_keeping_bases(image_id)
