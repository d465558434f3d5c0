"""Naming a built image: the engine's tag after the build, tried again when another
learner tags the same name, under a lock on the containerd image store."""

from __future__ import annotations

import contextlib
import hashlib
import random
import time

import docker.errors

from dockerlab.core.building.failures import build_failed
from dockerlab.core.building.log import BuildLog
from dockerlab.core.containers import create, find
from dockerlab.core.engine import client, engine_info
from dockerlab.errors import DockerlabError


def tag_target(tag: str | None) -> str | None:
    """The id of the image ``tag`` names now, or None (no tag, or nothing has that name)."""
    if not tag:
        return None
    repository, name = _split(tag)
    try:
        return client().api.inspect_image(f"{repository}:{name}")["Id"]
    except docker.errors.APIError:
        return None


def _split(tag: str) -> tuple[str, str]:
    repository, _, name = tag.rpartition(":") if ":" in tag.rsplit("/", 1)[-1] else (tag, "", "")
    return repository, name or "latest"


def apply_tag(
    image_id: str, tag: str | None, log: BuildLog, *, named: str | bool | None = False
) -> None:
    """Give the built image its name, through the engine, after the build (both builders).

    Not by the builder: BuildKit's exporter takes a name from any image that had it, and
    on the containerd store that image is then gone (two learners building one lesson's
    tag at once lost their images); the engine's own tag keeps the other image, untagged.

    Args:
        named: What :func:`tag_target` said of ``tag`` while the build ran (the BuildKit
            back-end asks then, at no cost); by default it is asked now.
    """
    if not tag:
        return
    repository, name = _split(tag)
    if (tag_target(tag) if named is False else named) == image_id:
        return  # a cached rebuild: the name already names this very image, nothing moves
    try:
        with _naming(image_id, f"{repository}:{name}"):
            _tag(image_id, repository, name)
    except docker.errors.APIError as e:
        with contextlib.suppress(docker.errors.APIError):
            client().api.remove_image(image_id, force=True)
        raise build_failed(log, str(e.explanation or e)) from None


@contextlib.contextmanager
def _naming(image_id: str, name: str, patience: float = 10):
    """One kit session at a time gives ``name`` to an image, on the containerd store.

    There, the engine's tag is several steps (moby's ``createOrReplaceImage``): name the
    new image, then delete its "dangling" record; moving a name off an image first asks
    which other records that image has, and keeps it as dangling only if none. When
    another learner moves the name off our image between our two steps, each step sees
    the other's record: the image ends with no record at all and is gone from the engine
    (four learners building one lesson's tag at once lost an image now and then). The
    lock is a container named after the name (the engine refuses a second of one name):
    created before the tag, removed after it. A holder that died is overruled after
    ``patience`` seconds. The classic store's tag is one step: no lock.
    """
    if not engine_info().containerd_store:
        yield
        return
    lock = "dockerlab-naming-" + hashlib.sha256(name.encode()).hexdigest()[:16]
    deadline = time.monotonic() + patience
    while True:
        try:
            box = create(image_id, ["true"], name=lock, role="naming lock")
            break
        except DockerlabError as e:
            if "already in use" not in str(e) and "Conflict" not in str(e):
                raise
            if time.monotonic() > deadline:  # its holder is gone: take the name over
                if holder := find(lock):
                    holder.remove()
                deadline = time.monotonic() + patience
            time.sleep(0.02 + random.random() * 0.03)
    try:
        yield
    finally:
        box.remove()


def _tag(image_id: str, repository: str, name: str, attempts: int = 6) -> None:
    """Tag an image through the engine, riding out another learner tagging the same name.

    On the containerd image store the engine moves a name by deleting it and creating it
    anew; two learners tagging one lesson's name at once can meet between the two steps
    ("failed to create an image ... after deleting the existing one: AlreadyExists").
    The name is free again a moment later: try again, a few times.
    """
    for attempt in range(attempts):
        try:
            client().api.tag(image_id, repository, name)
            return
        except docker.errors.APIError as e:
            if "already exists" not in str(e.explanation or e) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1) + random.random() * 0.05)


__all__ = ["apply_tag", "tag_target"]
