"""Building images from Dockerfile text and an in-memory build context.

:func:`build` sends a tar made in memory (no scratch folders) to the engine,
streams the build's progress into the notebook, and returns a
:class:`BuiltImage`: a context manager that removes the image (and the
intermediate images of its build) on exit. A failed build raises
:class:`~dockerlab.errors.BuildFailed` naming the failing step and the tail of
its log, and leaves nothing behind.
"""

from __future__ import annotations

import io
import re
import tarfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import docker.errors

from . import labels
from .engine import client, registry_reachable
from .errors import BuildFailed, BuildTimeout, DockerlabError
from .progress import BuildProgress

#: A file of the build context: its content, or its content and a mode.
FileSpec = str | bytes | tuple[str | bytes, int]

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
        """What to pass to ``docker run``: the tag if any, else the id."""
        return self.tag or self.id

    @property
    def short_id(self) -> str:
        return self.id.split(":")[-1][:12]

    def remove(self) -> None:
        """Remove the image and its build's intermediates; tolerates 'already gone'."""
        api = client().api
        for ref in [self.ref, *reversed(self.intermediates)]:
            try:
                api.remove_image(ref, force=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as e:  # still used by another image: keep it
                if e.status_code != 409:
                    raise

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
    role: str = "demo",
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
        role: Value of the kit's role label.

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
    api = client(timeout=int(timeout) + 30).api
    bar = BuildProgress(dockerfile, progress)
    log: list[str] = []
    tail: deque[str] = deque(maxlen=12)
    made: list[str] = []
    step: str | None = None
    image_id: str | None = None
    cached_next = False
    timer = _Watchdog(timeout)
    try:
        stream = api.build(
            fileobj=context_tar(dockerfile, files),
            custom_context=True,
            tag=tag,
            buildargs=dict(buildargs or {}),
            labels=labels.session_labels(role),
            network_mode=None if network else "none",
            rm=True,
            forcerm=True,
            decode=True,
        )
        for chunk in timer.watch(stream):
            if "error" in chunk or "errorDetail" in chunk:
                message = (chunk.get("errorDetail") or {}).get("message") or chunk.get("error", "")
                raise _failure(message, step, [*tail], dockerfile)
            for line in str(chunk.get("stream", "")).splitlines():
                log.append(line)
                if line.strip():
                    tail.append(line)
                if m := _STEP.match(line):
                    step = line
                    bar.step(int(m[1]), int(m[2]), m[3])
                elif line.strip() == "---> Using cache":
                    cached_next = True
                elif m := _ID.match(line):
                    if not cached_next:
                        made.append(m[1])
                    cached_next = False
                else:
                    bar.line(line)
            if "aux" in chunk and "ID" in chunk["aux"]:
                image_id = chunk["aux"]["ID"]
    except docker.errors.BuildError as e:  # pragma: no cover - api.build does not raise it
        raise _failure(str(e), step, [*tail], dockerfile) from None
    except docker.errors.APIError as e:
        _discard(made)
        raise _failure(e.explanation or str(e), step, [*tail], dockerfile) from None
    except BuildTimeout:
        _discard(made)
        raise
    except BuildFailed:
        _discard(made)
        raise
    finally:
        timer.cancel()
    if timer.fired:
        _discard(made)
        raise BuildTimeout(
            f"The build took longer than {timeout:.0f} s and was stopped.",
            step=step,
            log_tail=[*tail],
            hint="Look for a step that waits forever (a prompt, a network call, a loop).",
        )
    if image_id is None:
        _discard(made)
        raise BuildFailed("The build ended without producing an image.", step, [*tail])
    bar.done(time.monotonic() - start)
    inter = [m for m in made if not image_id.split(":")[-1].startswith(m)]
    return BuiltImage(image_id, tag, time.monotonic() - start, log, inter)


class _Watchdog:
    """Stops reading a build stream after ``timeout`` seconds by closing it."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.fired = False
        self._timer: threading.Timer | None = None

    def watch(self, stream):
        def fire() -> None:
            self.fired = True
            try:
                stream.close()
            except Exception:
                pass

        self._timer = threading.Timer(self.timeout, fire)
        self._timer.daemon = True
        self._timer.start()
        try:
            yield from stream
        except Exception:
            if not self.fired:
                raise

    def cancel(self) -> None:
        if self._timer:
            self._timer.cancel()


def _discard(image_ids: list[str]) -> None:
    """Remove the intermediate images a failed build made (its containers are gone: forcerm)."""
    api = client().api
    for image_id in reversed(image_ids):
        try:
            api.remove_image(image_id, force=True)
        except docker.errors.APIError:
            pass


def _failure(message: str, step: str | None, tail: list[str], dockerfile: str) -> BuildFailed:
    """Turn the engine's build error into a BuildFailed a learner can act on."""
    message = message.strip()
    hint = None
    if "dockerfile parse error" in message or "unknown instruction" in message.lower():
        hint = "Fix the Dockerfile's syntax at the line the message names."
    elif "COPY failed" in message or "ADD failed" in message:
        hint = "A COPY/ADD source is not in the build context: add it to `files=`."
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
