"""An image the kit built (:class:`BuiltImage`): its id, its log, and removing it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import docker.errors

from dockerlab.core.building.intermediates import discard
from dockerlab.core.building.log import BUILDKIT_CACHED, BUILDKIT_STEP, LEGACY_CACHED
from dockerlab.core.engine import client
from dockerlab.core.labels import SESSION


@dataclass
class BuiltImage:
    """An image the kit built. Use it as a context manager to remove it afterwards.

    Attributes:
        id: The image id (``sha256:...``) as the engine names it.
        tag: The tag given to the build, if any.
        seconds: Wall-clock build time.
        log: Every line the build printed.
        intermediates: Ids of intermediate images this build created (the legacy
            builder's; removed with the image). BuildKit makes none.
        builder: ``"buildkit"`` or ``"legacy"``: which builder made it.
    """

    id: str
    tag: str | None
    seconds: float
    log: list[str] = field(repr=False, default_factory=list)
    intermediates: list[str] = field(repr=False, default_factory=list)
    builder: str = "legacy"

    @property
    def ref(self) -> str:
        """What to pass to ``docker run``: the id, never the tag.

        A tag can be moved by anyone sharing the engine (another learner
        building the same lesson); the id always names this very image.
        """
        return self.id

    @property
    def short_id(self) -> str:
        return self.id.split(":")[-1][:12]

    @property
    def cached_steps(self) -> int:
        """How many of the build's steps came from the build cache (see :func:`cached_steps`)."""
        return cached_steps(self)

    def remove(self) -> None:
        """Remove the image and its build's intermediates; tolerates 'already gone'.

        An image that also carries a base image's name (someone tagged it so) keeps that
        name and stays: the course's bases are never taken from the other learners.
        """
        with contextlib.suppress(docker.errors.NotFound):
            remove_keeping_bases(self.id)
        discard(self.intermediates)

    def __enter__(self) -> BuiltImage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def remove_keeping_bases(image_id: str) -> None:
    """``docker rmi --force`` of an image, unless a catalog base's name is on it: then only
    its other names go (:func:`dockerlab.core.images.is_base_name`)."""
    from dockerlab.core.images import is_base_name

    api = client().api
    names = api.inspect_image(image_id).get("RepoTags") or []
    if not any(is_base_name(n) for n in names):
        api.remove_image(image_id, force=True)
        return
    for name in names:
        if not is_base_name(name):
            with contextlib.suppress(docker.errors.NotFound):
                api.remove_image(name)


def cached_steps(image: BuiltImage) -> int:
    """How many build steps (FROM not counted) came from the build cache.

    Reads the build's log: the legacy builder prints ``---> Using cache``,
    BuildKit ``#N CACHED`` (which it also prints for FROM: not counted). The
    legacy build's last step, the kit's own session label, is not counted either.
    """
    steps: dict[str, str] = {}
    hits, kit_step = 0, False
    for raw in image.log:
        line = raw.strip()
        if line.startswith("Step "):  # legacy: the kit's own label step is not the learner's
            kit_step = f"LABEL {SESSION}=" in line
        elif line == LEGACY_CACHED:
            hits += not kit_step
        elif m := BUILDKIT_STEP.match(line):
            steps[m[1]] = m[5]
        elif (m := BUILDKIT_CACHED.match(line)) and m[1] in steps:  # a step, not [internal]
            hits += not steps[m[1]].upper().startswith("FROM ")
    return hits


__all__ = ["BuiltImage", "cached_steps", "remove_keeping_bases"]
