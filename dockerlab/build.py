"""Building images from Dockerfile text and an in-memory build context.

:func:`build` sends a tar made in memory (no scratch folders) to the engine,
streams the build's progress into the notebook, and returns a
:class:`BuiltImage`: a context manager that removes the image (and the
intermediate images of its build) on exit. A failed build raises
:class:`~dockerlab.errors.BuildFailed` naming the failing step and the tail of
its log, and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import io
import re
import tarfile
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import docker
import docker.errors
import requests
import urllib3.exceptions

from . import labels
from .engine import client, guard, host, registry_reachable, stopped
from .errors import BuildFailed, BuildTimeout, DockerlabError
from .progress import BuildProgress

#: A file of the build context: its content, or its content and a mode.
FileSpec = str | bytes | tuple[str | bytes, int]

_READ_TIMEOUTS = (TimeoutError, requests.exceptions.ConnectionError, urllib3.exceptions.HTTPError)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colours the engine puts on a step's stderr
_NOISE = re.compile(r"^( ---> |Removing intermediate container )")  # engine bookkeeping
_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_ID = re.compile(r"^ ---> ([0-9a-f]{12})$")


def context_tar(dockerfile: str, files: Mapping[str, FileSpec] | None = None) -> io.BytesIO:
    """A build context as an in-memory tar: ``Dockerfile`` plus ``files``.

    Args:
        dockerfile: The Dockerfile's text.
        files: Path inside the context -> content (str or bytes), or
            (content, mode) to set permissions, e.g. ``("#!/bin/sh\\n...", 0o755)``.

    Returns:
        A rewound ``BytesIO`` ready for ``docker build``.
    """
    buf = io.BytesIO()
    entries: dict[str, FileSpec] = {"Dockerfile": dockerfile, **dict(files or {})}
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, spec in entries.items():
            content, mode = spec if isinstance(spec, tuple) else (spec, 0o644)
            data = content.encode() if isinstance(content, str) else bytes(content)
            info = tarfile.TarInfo(name.lstrip("/"))
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


@dataclass
class BuiltImage:
    """An image the kit built. Use it as a context manager to remove it afterwards.

    Attributes:
        id: The image id (``sha256:...``).
        tag: The tag given to the build, if any.
        seconds: Wall-clock build time.
        log: Every line the build printed.
        intermediates: Ids of intermediate images this build created (removed
            with the image).
    """

    id: str
    tag: str | None
    seconds: float
    log: list[str] = field(repr=False, default_factory=list)
    intermediates: list[str] = field(repr=False, default_factory=list)

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

    def remove(self) -> None:
        """Remove the image and its build's intermediates; tolerates 'already gone'."""
        with contextlib.suppress(docker.errors.NotFound):
            client().api.remove_image(self.id, force=True)
        _discard(self.intermediates)

    def __enter__(self) -> BuiltImage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def build(
    dockerfile: str,
    files: Mapping[str, FileSpec] | None = None,
    *,
    tag: str | None = None,
    buildargs: Mapping[str, str] | None = None,
    network: bool = False,
    timeout: float = 600,
    progress: bool | Callable[[str], None] = True,
) -> BuiltImage:
    """Build an image from Dockerfile text with the docker SDK (legacy builder).

    Args:
        dockerfile: The Dockerfile's text.
        files: Extra files of the build context (see :func:`context_tar`).
        tag: A tag for the image (kit tags live under ``dockerlab/...``).
        buildargs: ``--build-arg`` values.
        network: Give RUN steps a network. Off by default: lessons need none.
        timeout: Seconds after which the build is stopped (:class:`BuildTimeout`).
        progress: True shows a progress bar (a line per step outside Jupyter);
            a callable receives each log line; False is silent.

    Returns:
        The :class:`BuiltImage`, labelled with the kit's session.

    Raises:
        BuildFailed: The Dockerfile is invalid, a step failed, or a base
            image is missing; the message names the step and shows the log's end.
        BuildTimeout: The build took longer than ``timeout``.

    Example:
        >>> with dl.build("FROM alpine:3.23\\nRUN echo hi > /hi") as img:  # doctest: +SKIP
        ...     dl.measure(img).size_mb
    """
    start = time.monotonic()
    # A client of its own whose socket reads time out: a step that prints nothing
    # for `timeout` seconds ends the build; total time is checked on every line.
    api = guard(
        docker.APIClient(base_url=host(), timeout=max(1, int(timeout)), version="auto"), host()
    )
    bar = BuildProgress(dockerfile, progress)
    state = _StreamState()
    try:
        stream = api.build(
            fileobj=context_tar(dockerfile, files),
            custom_context=True,
            tag=tag,
            buildargs=dict(buildargs or {}),
            labels=labels.build_labels(),
            network_mode=None if network else "none",
            rm=True,
            forcerm=True,
            decode=True,
            timeout=max(1, int(timeout)),
        )
        for chunk in stream:
            if "error" in chunk or "errorDetail" in chunk:
                detail = chunk.get("errorDetail") or {}
                raise _failure(detail.get("message") or chunk["error"], state.step, [*state.tail])
            state.feed(str(chunk.get("stream", "")), bar)
            if "aux" in chunk and "ID" in chunk["aux"]:
                state.image_id = chunk["aux"]["ID"]
            if time.monotonic() - start > timeout:
                raise TimeoutError
    except BuildFailed:
        if lost := stopped():  # a shutting-down engine kills the step first (code 137)
            raise lost from None
        _discard(state.made)
        raise
    except docker.errors.APIError as e:
        _discard(state.made)
        raise _failure(e.explanation or str(e), state.step, [*state.tail]) from None
    except docker.errors.DockerException as e:  # refused before sending, e.g. an invalid tag
        raise _failure(str(e), state.step, [*state.tail]) from None
    except _READ_TIMEOUTS:
        api.close()  # hanging up makes the engine cancel the build
        lost = stopped()  # a broken stream: the engine went away, or the time is up
        if lost is not None:
            raise lost from None
        _discard(state.made)
        raise BuildTimeout(
            f"The build took longer than {timeout:g} s and was stopped.",
            step=state.step,
            log_tail=[*state.tail],
            hint="Look for a step that waits forever (a prompt, a network call, a loop).",
        ) from None
    finally:
        api.close()
    if state.image_id is None:
        _discard(state.made)
        raise BuildFailed("The build ended without producing an image.", state.step, [*state.tail])
    seconds = time.monotonic() - start
    bar.done(seconds)
    final = state.image_id.split(":")[-1]
    inter = [m for m in state.made if not final.startswith(m)]
    _MADE.extend(inter)
    return BuiltImage(state.image_id, tag, seconds, state.log, inter)


#: Intermediate images of this process's builds. The legacy builder labels only a
#: build's final image, so the images of a multi-stage build's earlier stages carry
#: no session label: :func:`discard_intermediates` (called by ``dl.cleanup()``) removes them.
_MADE: list[str] = []


def discard_intermediates() -> None:
    """Remove the unlabelled intermediate images this process's builds left (if unused)."""
    made, _MADE[:] = list(_MADE), []
    _discard(made)


@dataclass
class _StreamState:
    """What a build's output stream has told us so far."""

    step: str | None = None
    image_id: str | None = None
    log: list[str] = field(default_factory=list)
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=12))
    made: list[str] = field(default_factory=list)  # images this build created (not cache hits)
    _skip_next_id: bool = False  # the id after FROM or "Using cache" is not ours

    def feed(self, text: str, bar: BuildProgress) -> None:
        for line in _ANSI.sub("", text).splitlines():
            self.log.append(line)
            if line.strip() and not _NOISE.match(line):
                self.tail.append(line)
            if m := _STEP.match(line):
                # The kit's label is the build's last step: count only the learner's.
                n, total, instruction = int(m[1]), int(m[2]) - 1, m[3]
                if n > total:
                    continue
                self.step = f"Step {n}/{total} : {instruction}"
                self.tail[-1] = self.step
                self._skip_next_id = instruction.upper().startswith("FROM ")
                bar.step(n, total, instruction)
            elif line.strip() == "---> Using cache":
                self._skip_next_id = True
            elif m := _ID.match(line):
                if not self._skip_next_id:
                    self.made.append(m[1])
                self._skip_next_id = False
            else:
                bar.line(line)


def _discard(image_ids: list[str]) -> None:
    """Remove intermediate images a build made, newest first.

    Only untagged images go, and never by force: an image that is tagged or
    that another image builds on is kept.
    """
    api = client().api
    for image_id in reversed(image_ids):
        try:
            if api.inspect_image(image_id).get("RepoTags"):
                continue
            api.remove_image(image_id, force=False)
        except docker.errors.APIError:  # gone already, or in use: keep it
            continue


def _failure(message: str, step: str | None, tail: list[str]) -> BuildFailed:
    """Turn the engine's build error into a BuildFailed a learner can act on."""
    message = message.strip()
    hint = None
    if any("no space left on device" in text.lower() for text in (message, *tail)):
        hint = (
            "The engine's disk is full. Free space: `python -m dockerlab cleanup` removes "
            "what the kit made; `docker system prune` removes unused images and build cache."
        )
    elif "dockerfile parse error" in message or "unknown instruction" in message.lower():
        hint = "Fix the Dockerfile's syntax at the line the message names."
    elif "COPY failed" in message or "ADD failed" in message:
        hint = "A COPY/ADD source is not in the build context: add it to `files=`."
    elif "returned a non-zero code" in message and any(
        s in line for line in tail for s in ("DNS", "resolve", "Temporary failure", "fetching http")
    ):
        hint = (
            "The step tried to download something, but builds here have no network: "
            "use what the base image has, or COPY the files in."
        )
    elif "returned a non-zero code" in message:
        hint = "The command in the failing step exited with an error: read the log's last lines."
    elif any(s in message for s in ("pull access denied", "no such host", "manifest unknown",
                                    "repository does not exist", "not found")):  # fmt: skip
        hint = (
            "A base image is missing and cannot be pulled"
            + ("" if registry_reachable() else " (no registry is reachable from here)")
            + ". Use a catalog image (dl.images.CATALOG) or run `make bases`."
        )
    return BuildFailed(f"The build failed: {message}", step=step, log_tail=tail, hint=hint)


__all__ = ["BuiltImage", "DockerlabError", "build", "context_tar"]
