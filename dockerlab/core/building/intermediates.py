"""The legacy builder's intermediate images: removed after a build, or by ``dl.cleanup()``."""

from __future__ import annotations

import docker.errors

from dockerlab.core.engine import client

#: Intermediate images of this process's builds. The legacy builder labels only a
#: build's final image, so the images of a multi-stage build's earlier stages carry
#: no session label: :func:`discard_intermediates` (called by ``dl.cleanup()``) removes them.
MADE: list[str] = []


def discard_intermediates() -> None:
    """Remove the unlabelled intermediate images this process's builds left (if unused)."""
    made, MADE[:] = list(MADE), []
    discard(made)


def discard(image_ids: list[str]) -> None:
    """Remove intermediate images a build made, newest first.

    Only untagged images go, and never by force: an image that is tagged or
    that another image builds on is kept.
    """
    if not image_ids:
        return
    api = client().api
    for image_id in reversed(image_ids):
        try:
            if api.inspect_image(image_id).get("RepoTags"):
                continue
            api.remove_image(image_id, force=False)
        except docker.errors.APIError:  # gone already, or in use: keep it
            continue


__all__ = ["MADE", "discard", "discard_intermediates"]
