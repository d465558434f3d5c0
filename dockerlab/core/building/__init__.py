"""Building images from Dockerfile text and an in-memory build context.

One entry point, :func:`build`, with two back-ends:

- **BuildKit** (``docker buildx build``), what ``docker build`` is on Docker
  Desktop and Engine 23+; the docker SDK cannot drive it, so the kit runs the
  BuildKit client (:func:`dockerlab.core.engine.buildkit_cli`) with the context tar on
  its standard input;
- the **legacy builder** (the engine's build API through the docker SDK), what
  ``docker build`` is on older engines such as Debian 12's 20.10.

By default a build uses the builder ``docker build`` would use on the engine in
front of the learner (:attr:`~dockerlab.core.engine.EngineInfo.default_builder`),
and BuildKit whenever the Dockerfile needs it (``RUN --mount``, heredocs, a
``# syntax`` line) or secrets are given. Both back-ends share the progress
display, the labels, the time limit, one reader of either builder's log
(:class:`BuildLog`) and one explanation of failures (:func:`build_failed`: a
:class:`~dockerlab.errors.BuildFailed` with the failing step, the log's tail and
a hint from :func:`explain_failure`), and both return a :class:`BuiltImage`: a
context manager that removes the image on exit. A base image that is missing
while no registry answers is reported before anything runs
(:class:`~dockerlab.errors.BaseImageMissing`). The course's own base images that
are built (the kit's builder, :mod:`dockerlab.engines.bases`) go through :func:`build` too.

Its modules, each one job of it:

- :mod:`~dockerlab.core.building.context`: the build context as an in-memory tar;
- :mod:`~dockerlab.core.building.builders`: which builder a build uses, which are here;
- :mod:`~dockerlab.core.building.preflight`: before a build, are its base images here;
- :mod:`~dockerlab.core.building.progress_bar`: a long build's progress, shown;
- :mod:`~dockerlab.core.building.log`: reading either builder's log;
- :mod:`~dockerlab.core.building.failures`: a failed build explained in plain words;
- :mod:`~dockerlab.core.building.legacy` and :mod:`~dockerlab.core.building.buildkit`:
  the two back-ends;
- :mod:`~dockerlab.core.building.naming`: tagging the built image (retries, the lock);
- :mod:`~dockerlab.core.building.image` (:class:`BuiltImage`) and
  :mod:`~dockerlab.core.building.intermediates` (the legacy builder's leftovers).

Here: :func:`build`, and every public name of the modules above.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from dockerlab.core.building.builders import (
    BUILDERS,
    available_builders,
    choose_builder,
    describe_builders,
    needs_buildkit,
)
from dockerlab.core.building.buildkit import build_buildkit, offline_syntax
from dockerlab.core.building.context import FileSpec, context_tar
from dockerlab.core.building.failures import (
    DISK_FULL_HINT,
    build_failed,
    disk_full,
    explain_failure,
)
from dockerlab.core.building.image import BuiltImage, cached_steps, remove_keeping_bases
from dockerlab.core.building.intermediates import discard_intermediates
from dockerlab.core.building.legacy import build_legacy
from dockerlab.core.building.log import BuildLog
from dockerlab.core.building.preflight import require_bases
from dockerlab.core.building.progress_bar import BuildProgress
from dockerlab.core.labels import BASE, build_labels
from dockerlab.errors import BuildFailed

#: An image reference as ``docker tag`` takes it: [host[:port]/]path[:tag] (no digest).
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REFERENCE = re.compile(
    rf"(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
)


def build(
    dockerfile: str,
    files: Mapping[str, FileSpec] | None = None,
    *,
    tag: str | None = None,
    buildargs: Mapping[str, str] | None = None,
    secrets: Mapping[str, str | bytes] | None = None,
    builder: str | None = None,
    network: bool = False,
    timeout: float = 600,
    progress: bool | Callable[[str], None] = True,
    labels: Mapping[str, str] | None = None,
) -> BuiltImage:
    """Build an image from Dockerfile text and in-memory files.

    Args:
        dockerfile: The Dockerfile's text.
        files: Extra files of the build context (see :func:`context_tar`).
        tag: A tag for the image (kit tags live under ``dockerlab/...``).
        buildargs: ``--build-arg`` values (they show in the image's history!).
        secrets: Secret id -> value, for ``RUN --mount=type=secret,id=...``
            (BuildKit). Kept in a private temporary file outside the build
            context, deleted after the build.
        builder: ``"buildkit"`` or ``"legacy"``; default: what ``docker build``
            uses on this engine (see :func:`choose_builder`).
        network: Give RUN steps a network. Off by default: lessons need none.
        timeout: Seconds after which the build is stopped (:class:`BuildTimeout`).
        progress: True shows a progress bar (a line per step outside Jupyter);
            a callable receives each log line; False is silent.
        labels: More labels for the image. The image carries the kit's session
            label too, unless these make it one of the course's base images
            (:data:`dockerlab.core.labels.BASE`, what :mod:`dockerlab.engines.bases` builds): a
            base outlives sessions, and only a base may take a base's name.

    Returns:
        The :class:`BuiltImage`, labelled with the kit's session (a base: with its labels).

    Raises:
        BuildFailed: The Dockerfile is invalid, a step failed, or a base
            image is missing; the message names the step and shows the log's end.
        BaseImageMissing: A base image is not on the engine and no registry answers.
        BuildTimeout: The build took longer than ``timeout``.
        BuildKitUnavailable: The build needs BuildKit and no client is here.

    Example:
        >>> with dl.build("FROM alpine:3.23\\nRUN echo hi > /hi") as img:  # doctest: +SKIP
        ...     dl.measure(img).size_mb
    """
    if tag is not None and not _REFERENCE.fullmatch(tag):
        raise BuildFailed(
            f"The build failed: invalid reference format: {tag!r} is not an image name",
            hint="A tag is lowercase letters, digits and . _ - separators, with an optional "
            "':version' (e.g. dockerlab/app:1.0).",
        )
    from dockerlab.core.images import is_base_name

    base = BASE in (labels or {})
    if tag is not None and not base and is_base_name(tag):
        raise BuildFailed(
            f"The build was not started: {tag!r} is the name of one of the course's base "
            "images; an image built under it would take that name from everyone using "
            "this engine.",
            hint="Name your image under your own repository, e.g. tag='my/app:1.0'.",
        )
    chosen = choose_builder(dockerfile, builder, secrets=bool(secrets))
    bar = BuildProgress(dockerfile, progress)
    image_labels = {**(labels or {}), **({} if base else build_labels())}
    if chosen == "buildkit":
        dockerfile = offline_syntax(dockerfile, bar)
        return build_buildkit(
            dockerfile,
            files,
            tag=tag,
            buildargs=buildargs or {},
            secrets=secrets or {},
            labels=image_labels,
            network=network,
            timeout=timeout,
            bar=bar,
            # checked while BuildKit's client starts: a missing base stops it at once
            preflight=lambda: require_bases(dockerfile, buildargs, builder=chosen),
        )
    require_bases(dockerfile, buildargs, builder=chosen)
    return build_legacy(
        dockerfile,
        files,
        tag=tag,
        buildargs=buildargs or {},
        labels=image_labels,
        network=network,
        timeout=timeout,
        bar=bar,
    )


__all__ = [
    "BUILDERS",
    "DISK_FULL_HINT",
    "BuildLog",
    "BuildProgress",
    "BuiltImage",
    "FileSpec",
    "available_builders",
    "build",
    "build_failed",
    "cached_steps",
    "choose_builder",
    "context_tar",
    "describe_builders",
    "discard_intermediates",
    "disk_full",
    "explain_failure",
    "needs_buildkit",
    "remove_keeping_bases",
    "require_bases",
]
