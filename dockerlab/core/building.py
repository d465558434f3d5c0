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
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import re
import subprocess
import tarfile
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors
import requests
import urllib3.exceptions

from dockerlab.core.build_progress import BuildProgress
from dockerlab.core.dockerfile import base_images
from dockerlab.core.engine import (
    buildkit_cli,
    client,
    engine_info,
    guard,
    host,
    registry_reachable,
    requested_platform,
    stopped,
)
from dockerlab.core.labels import BASE, SESSION, build_labels
from dockerlab.errors import (
    BaseImageMissing,
    BuildFailed,
    BuildKitUnavailable,
    BuildTimeout,
    DockerlabError,
)

#: A file of the build context: its content, or its content and a mode.
FileSpec = str | bytes | tuple[str | bytes, int]

#: The two builders: ``"buildkit"`` and ``"legacy"``.
BUILDERS = ("buildkit", "legacy")

_READ_TIMEOUTS = (TimeoutError, requests.exceptions.ConnectionError, urllib3.exceptions.HTTPError)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colours the engine puts on a step's stderr
_NOISE = re.compile(r"^( ---> |Removing intermediate container )")  # engine bookkeeping
_LEGACY_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_LEGACY_ID = re.compile(r"^ ---> ([0-9a-f]{12})$")
_LEGACY_CACHED = "---> Using cache"
_BUILDKIT_STEP = re.compile(r"^#(\d+) \[(?:([\w.-]+) )?(\d+)/(\d+)\] (.*)$")
_BUILDKIT_ERROR = re.compile(r"^#(\d+) ERROR: ")
_BUILDKIT_OUTPUT = re.compile(r"^#(\d+) \d+\.\d+ ")  # a step's output: "#5 0.231 text"
_BUILDKIT_CACHED = re.compile(r"^#(\d+) CACHED$")
#: BuildKit's report after a failure names the failing step: `` > [2/2] RUN make:``.
_BUILDKIT_FAILED_STEP = re.compile(r"^ > \[(?:([\w.-]+) )?(\d+)/(\d+)\] (.*):$")
#: An image reference as ``docker tag`` takes it: [host[:port]/]path[:tag] (no digest).
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REFERENCE = re.compile(
    rf"(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
)
_EXPORTED = re.compile(r"(?:exporting manifest|writing image) (sha256:[0-9a-f]{64})")
#: What only BuildKit understands, and how to recognise it in a Dockerfile.
_BUILDKIT_ONLY = (
    (re.compile(r"^\s*#\s*syntax\s*=", re.I | re.M), "a `# syntax=` line"),
    (re.compile(r"^\s*RUN\s+(?:--\w+=?\S*\s+)*--mount[= ]", re.I | re.M), "RUN --mount"),
    (
        re.compile(r"^\s*RUN\s+(?:--\w+=?\S*\s+)*--(?:network|security)[= ]", re.I | re.M),
        "RUN --network/--security",
    ),
    (re.compile(r"^\s*(?:RUN|COPY)\b[^\n]*<<-?\s*['\"]?\w+", re.I | re.M), "a heredoc (<<EOF)"),
    (
        re.compile(
            r"^\s*(?:COPY|ADD)\s+(?:--\w+=?\S*\s+)*--(?:link|parents|exclude)\b", re.I | re.M
        ),
        "COPY --link/--parents/--exclude",
    ),
)


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
        _discard(self.intermediates)

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


def needs_buildkit(dockerfile: str) -> str | None:
    """What in ``dockerfile`` only BuildKit understands, or None.

    Example:
        >>> needs_buildkit("FROM alpine\\nRUN --mount=type=secret,id=t cat /run/secrets/t")
        'RUN --mount'
    """
    for pattern, what in _BUILDKIT_ONLY:
        if pattern.search(dockerfile):
            return what
    return None


def choose_builder(dockerfile: str = "", builder: str | None = None, *,
                   secrets: bool = False) -> str:  # fmt: skip
    """Which builder a build of ``dockerfile`` uses here: ``"buildkit"`` or ``"legacy"``.

    ``builder`` (or ``DOCKERLAB_BUILDER``) forces one; otherwise what ``docker
    build`` uses on this engine (BuildKit on Engine 23+ and Docker Desktop),
    and BuildKit for a Dockerfile that needs it or a build with secrets.

    Raises:
        BuildFailed: ``builder="legacy"`` for a Dockerfile only BuildKit can build.
        BuildKitUnavailable: BuildKit is needed and no BuildKit client is here.
    """
    wanted = builder or os.environ.get("DOCKERLAB_BUILDER") or None
    if wanted not in (None, *BUILDERS):
        raise ValueError(f"builder must be one of {BUILDERS}, not {wanted!r}")
    why = needs_buildkit(dockerfile) or ("secrets" if secrets else None)
    if wanted == "legacy" and why:
        raise BuildFailed(
            f"The legacy builder cannot build this Dockerfile: it uses {why}.",
            hint="Build it with BuildKit: leave out builder='legacy'.",
        )
    if wanted is None:
        default = engine_info().default_builder
        wanted = "buildkit" if why or (default == "buildkit" and buildkit_cli()) else "legacy"
    if wanted == "buildkit" and buildkit_cli() is None:
        raise BuildKitUnavailable(
            "This build needs BuildKit"
            + (f" (the Dockerfile uses {why})" if why else "")
            + ", and this machine has no BuildKit client."
        )
    return wanted


def available_builders() -> list[str]:
    """The builders that work here (``"legacy"`` always; ``"buildkit"`` with a client)."""
    return (["buildkit"] if buildkit_cli() else []) + ["legacy"]


def describe_builders() -> str:
    """One line: the builder ``docker build`` uses on this engine, and what else is here."""
    info, cli = engine_info(), buildkit_cli()
    default = "BuildKit" if info.default_builder == "buildkit" and cli else "the legacy builder"
    line = f"`docker build` on Docker {info.version} uses {default}."
    if cli is None:
        return line + " No BuildKit client here: BuildKit-only lessons are explained, not run."
    how = {"buildx": "docker buildx build", "standalone buildx": "docker-buildx build",
           "DOCKER_BUILDKIT=1": "DOCKER_BUILDKIT=1 docker build"}[cli.how]  # fmt: skip
    return line + f" BuildKit builds run with {cli.path} ({how}); the legacy builder is here too."


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
    check_bases(dockerfile, buildargs, builder=chosen)
    bar = BuildProgress(dockerfile, progress)
    image_labels = {**(labels or {}), **({} if base else build_labels())}
    if chosen == "buildkit":
        dockerfile = _offline_syntax(dockerfile, bar)
        return _build_buildkit(dockerfile, files, tag=tag, buildargs=buildargs or {},
                               secrets=secrets or {}, labels=image_labels, network=network,
                               timeout=timeout, bar=bar)  # fmt: skip
    return _build_legacy(dockerfile, files, tag=tag, buildargs=buildargs or {},
                         labels=image_labels, network=network, timeout=timeout, bar=bar)  # fmt: skip


# --- before building: are the base images here? --------------------------------------


def check_bases(dockerfile: str, buildargs: Mapping[str, str] | None = None, *,
                builder: str = "legacy") -> None:  # fmt: skip
    """Fail before building if a base image is missing and cannot be pulled.

    Raises:
        BaseImageMissing: Naming the image, with what to use instead.
        BuildFailed: BuildKit was asked to build FROM an image id, which it reads
            as a name on Docker Hub.
    """
    missing = []
    api = client().api
    for ref in base_images(dockerfile, buildargs):
        if builder == "buildkit" and re.fullmatch(r"(sha256:)?[0-9a-f]{12,64}", ref):
            raise BuildFailed(
                f"BuildKit builds FROM an image name, not an image id ({ref[:19]}...).",
                hint="Tag the image (build it with tag=..., or `docker tag`) and use the tag.",
            )
        try:
            api.inspect_image(ref)
        except docker.errors.NotFound:
            missing.append(ref)
        except docker.errors.APIError:
            continue  # an odd reference: the builder will say what is wrong
    if missing and not registry_reachable():
        from dockerlab.core.images import CATALOG

        have = ", ".join(f"{c.ref}" for c in CATALOG.values())
        raise BaseImageMissing(
            f"The base image {' and '.join(repr(m) for m in missing)} is not on this engine, "
            "and no registry is reachable from here to pull it.",
            hint=f"Use an image the course has ({have}: dl.ref('alpine'), ...), "
            "or run `make bases`; on a machine with internet, `docker pull` it first.",
        )


_SYNTAX = re.compile(r"\A((?:\s*#[^\n]*\n)*?)\s*#\s*syntax\s*=\s*(\S+)[^\n]*\n", re.I)


def _offline_syntax(dockerfile: str, bar: BuildProgress) -> str:
    """Leave out a ``# syntax=IMAGE`` line when IMAGE can be neither found nor pulled.

    BuildKit pulls that frontend image before anything else; offline, the build
    would fail on it. The engine's built-in Dockerfile frontend reads the stable
    syntax (secret and cache mounts; heredocs from Docker 23), so the build
    goes on with it, and says so.
    """
    m = _SYNTAX.match(dockerfile)
    if not m or registry_reachable():
        return dockerfile
    with contextlib.suppress(docker.errors.APIError):
        client().api.inspect_image(m[2])
        return dockerfile
    bar.note(f"`# syntax={m[2]}` left out: that frontend image cannot be pulled offline; "
             "building with the engine's built-in Dockerfile frontend.")  # fmt: skip
    return dockerfile[: m.start(0)] + m[1] + dockerfile[m.end(0) :]


# --- one reader of build logs, one explanation of failures -----------------------------


@dataclass
class BuildLog:
    """The one reader of a build's log, either builder's: what it has told us so far.

    Feed it the log as it comes (:meth:`feed`), whole lines or pieces of them, and
    :meth:`flush` at the end. It shows each step on the progress display, keeps
    every line, the tail a failure shows (colours and the engine's bookkeeping left
    out) and the failing step, in the learner's numbering.

    Attributes:
        bar: Where steps and output lines are shown.
        label_steps: The legacy builder's last steps are the build's labels, one
            each: they are the kit's, not counted in the learner's steps.
        network: The build's steps have a network (for the failure's hint).
        step: The step running (or that failed): ``"Step 3/5 : RUN make"``.
        lines: Every line read.
        tail: The last lines worth showing.
        made: Legacy builder: the images this build created.
        image_id: Legacy builder: the image it made.
        failing: BuildKit: the failing step's last output lines and its ERROR line.
    """

    bar: BuildProgress
    label_steps: int = 1
    network: bool = False
    step: str | None = None
    lines: list[str] = field(default_factory=list)
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=12))
    made: list[str] = field(default_factory=list)  # legacy: images this build created
    image_id: str | None = None
    _skip_next_id: bool = False  # legacy: the id after FROM or "Using cache" is not ours
    #: BuildKit: each vertex's step (``#5`` -> its ``[1/3] FROM ...``). BuildKit prints a
    #: vertex's header again when its output resumes after another's, so the last header
    #: is not always the running step; the failing one is the vertex of the ERROR line.
    _vertices: dict[str, tuple[int, int, str, str | None]] = field(default_factory=dict)
    _output: dict[str, deque[str]] = field(default_factory=dict)  # BuildKit: each vertex's
    #: BuildKit: the failing step's last output lines and its ERROR line, once it failed.
    failing: list[str] = field(default_factory=list)
    _reported: bool = False  # BuildKit: its summary named the failing step
    _pending: str = ""  # the start of a line whose end has not come yet

    def feed(self, text: str) -> None:
        """Read more of the log: whole lines, or a piece of one (the legacy builder's
        stream cuts a step's output wherever the step's writes ended)."""
        *whole, self._pending = (self._pending + text).split("\n")
        for piece in whole:
            for line in _ANSI.sub("", piece).splitlines() or [""]:
                self._read(line)

    def flush(self) -> None:
        """Read what is left of an unfinished last line (at the log's end)."""
        piece, self._pending = self._pending, ""
        for line in _ANSI.sub("", piece).splitlines():
            self._read(line)

    def _read(self, line: str) -> None:
        self.lines.append(line)
        if line.strip() and not _NOISE.match(line):
            self.tail.append(line)
        if m := _LEGACY_STEP.match(line):
            # The legacy builder's last steps are the build's labels: count only the learner's.
            n, total, instruction = int(m[1]), int(m[2]) - self.label_steps, m[3]
            if n <= total:
                self._step(n, total, instruction, None)
                self._skip_next_id = instruction.upper().startswith("FROM ")
        elif m := _BUILDKIT_STEP.match(line):
            stage = m[2] if m[2] and not m[2].startswith("stage-") else None
            if m[1] not in self._vertices:  # a header printed again is not a new step
                self._vertices[m[1]] = (int(m[3]), int(m[4]), m[5], stage)
                self._step(int(m[3]), int(m[4]), m[5], stage)
        elif (m := _BUILDKIT_ERROR.match(line)) and m[1] in self._vertices:
            self._step(*self._vertices[m[1]], header=False)
            # What the failing step printed, then its error: BuildKit's summary after it
            # (the step again, the Dockerfile's lines) would push that out of the tail.
            self.failing = [*self._output.get(m[1], ()), line]
        elif (m := _BUILDKIT_FAILED_STEP.match(line)) and not self._reported:
            # BuildKit's own summary: the failing step whatever order its vertices
            # were printed in (the ERROR line's vertex can lack a header seen here).
            self._reported = True
            stage = m[1] if m[1] and not m[1].startswith("stage-") else None
            self._step(int(m[2]), int(m[3]), m[4], stage, header=False)
        elif (m := _BUILDKIT_OUTPUT.match(line)) and m[1] in self._vertices:
            self._output.setdefault(m[1], deque(maxlen=10)).append(line)
            self.bar.line(_BUILDKIT_OUTPUT.sub("", line))
        elif line.strip() == _LEGACY_CACHED:
            self._skip_next_id = True
        elif m := _LEGACY_ID.match(line):
            if not self._skip_next_id:
                self.made.append(m[1])
            self._skip_next_id = False
        else:
            self.bar.line(_BUILDKIT_OUTPUT.sub("", line))

    def _step(self, n: int, total: int, instruction: str, stage: str | None,
              header: bool = True) -> None:  # fmt: skip
        where = f" ({stage})" if stage and stage != "internal" else ""
        self.step = f"Step {n}/{total}{where} : {instruction}"
        if self.tail and header:  # the header line just read, in the kit's words
            self.tail[-1] = self.step
        self.bar.step(n, total, instruction)


#: What to do when a disk fills up: the engine's during a build, or the engine's or the
#: kit's cache while making a base image (:mod:`dockerlab.engines.bases` says the same).
DISK_FULL_HINT = (
    "The disk is full: free some space, then try again (nothing half-made is kept). "
    "`dl.cleanup()` removes what this notebook made, `python -m dockerlab cleanup` what all "
    "your sessions made; on an engine of your own, `docker builder prune` removes the build "
    "cache (on an engine you share, `docker system prune` would remove the other learners' "
    "images too)."
)


def disk_full(*texts: str) -> bool:
    """True if an error's text says the disk (the host's or the engine's) is full."""
    return any("no space left on device" in t.lower() for t in texts)


def explain_failure(message: str, tail: list[str], *, network: bool = False) -> str | None:
    """What a learner should do about a failed build, from its message and log's tail.

    One explanation for both builders: each pattern covers the legacy builder's
    wording and BuildKit's. ``network``: the build's steps had a network (``build(...,
    network=True)``, the kit's builder image), so a failed download is not for want of one.
    """
    if disk_full(message, *tail):
        return DISK_FULL_HINT
    text = "\n".join([message, *tail])
    low = text.lower()
    if "dockerfile parse error" in low or "unknown instruction" in low:
        return "Fix the Dockerfile's syntax at the line the message names."
    if "requires buildkit" in low or "--mount option requires" in low:
        return "This Dockerfile needs BuildKit: build it with builder='buildkit'."
    if "secret" in low and "not found" in low:
        return "A RUN --mount=type=secret names an id not given in secrets=."
    if (
        "copy failed" in low
        or "add failed" in low
        or ("not found" in low and ("checksum" in low or "failed to compute cache key" in low))
    ):
        return "A COPY/ADD source is not in the build context: add it to `files=`."
    # What downloads say when there is no network (apt-get, apk, dnf/yum, pip, npm, curl,
    # wget, git), seen in real builds and runs offline. Package lists that were never
    # fetched count too: apt-get's "Unable to locate package", apk's "unable to select".
    network_words = ("dns", "could not resolve", "couldn't resolve", "temporary failure",
                     "fetching http", "network is unreachable", "no address associated",
                     "failed to connect", "unable to connect", "connection refused",
                     "name resolution", "unable to access 'http", "could not connect",
                     "bad address", "eai_again", "getaddrinfo", "unable to resolve host",
                     "no route to host", "name or service not known",
                     "unable to locate package", "unable to select packages",
                     "failed to download metadata", "cannot download repomd",
                     "no matching distribution found")  # fmt: skip
    failed_step = any(s in low for s in ("returned a non-zero code", "did not complete successfully",
                                         "executor failed running"))  # fmt: skip
    if failed_step and any(w in line.lower() for line in tail for w in network_words):
        if network:
            return "The step could not download what it needed: check this machine's network."
        return (
            "The step tried to download something, but builds here have no network: "
            "use what the base image has, or COPY the files in."
        )
    if failed_step:
        return "The command in the failing step exited with an error: read the log's last lines."
    if any(s in low for s in ("pull access denied", "no such host", "manifest unknown",
                              "repository does not exist", "failed to resolve source metadata",
                              "not found")):  # fmt: skip
        return (
            "A base image is missing and cannot be pulled"
            + ("" if registry_reachable() else " (no registry is reachable from here)")
            + ". Use a catalog image (dl.ref('alpine'), ...) or run `make bases`."
        )
    return None


def build_failed(log: BuildLog, message: str | None = None) -> BuildFailed:
    """The one explanation of a failed build, either builder's: a BuildFailed a learner can
    act on, with the failing step, the log's tail and a hint (:func:`explain_failure`).

    Args:
        log: The build's log, as read so far.
        message: The builder's error (the legacy builder's comes apart from its log, in
            the stream's ``errorDetail``); by default the error line the log ends with
            (BuildKit's ``ERROR: failed to solve: ...``).
    """
    log.flush()
    message = (message if message is not None else _logged_error(log)).strip()
    tail = log.failing or [*log.tail]
    return BuildFailed(f"The build failed: {message}", step=log.step, log_tail=tail,
                       hint=explain_failure(message, tail, network=log.network))  # fmt: skip


def _logged_error(log: BuildLog) -> str:
    """BuildKit's own error line: ``ERROR: failed to build: ...``, or the last line."""
    for line in reversed(log.lines):
        text = _BUILDKIT_OUTPUT.sub("", line).strip()
        if text.startswith(("ERROR:", "error:")) or re.match(r"^#\d+ ERROR: ", text):
            text = re.sub(r"^(#\d+ )?(ERROR|error): ", "", text)
            return re.sub(r"^(failed to build: )?(failed to solve: )?", "", text)
    return next((ln for ln in reversed(log.lines) if ln.strip()), "unknown error")


def _timed_out(timeout: float, log: BuildLog) -> BuildTimeout:
    log.flush()
    return BuildTimeout(
        f"The build took longer than {timeout:g} s and was stopped.",
        step=log.step,
        log_tail=[*log.tail],
        hint="Look for a step that waits forever (a prompt, a network call, a loop).",
    )


# --- the legacy builder: the engine's build API through the docker SDK ------------------


def _build_legacy(dockerfile: str, files: Mapping[str, FileSpec] | None, *, tag: str | None,
                  buildargs: Mapping[str, str], labels: Mapping[str, str], network: bool,
                  timeout: float, bar: BuildProgress) -> BuiltImage:  # fmt: skip
    start = time.monotonic()
    # A client of its own whose socket reads time out: a step that prints nothing
    # for `timeout` seconds ends the build; total time is checked on every line.
    api = guard(
        docker.APIClient(base_url=host(), timeout=max(1, int(timeout)), version="auto"), host()
    )
    # The legacy builder adds a LABEL step per label, after the learner's steps.
    log = BuildLog(bar, label_steps=len(labels), network=network)
    try:
        stream = api.build(
            fileobj=context_tar(dockerfile, files),
            custom_context=True,
            buildargs=dict(buildargs),
            labels=dict(labels),
            network_mode=None if network else "none",
            platform=requested_platform(),
            rm=True,
            forcerm=True,
            decode=True,
            timeout=max(1, int(timeout)),
        )
        for chunk in stream:
            if "error" in chunk or "errorDetail" in chunk:
                detail = chunk.get("errorDetail") or {}
                raise build_failed(log, detail.get("message") or chunk["error"])
            log.feed(str(chunk.get("stream", "")))
            if "aux" in chunk and "ID" in chunk["aux"]:
                log.image_id = chunk["aux"]["ID"]
            if time.monotonic() - start > timeout:
                raise TimeoutError
    except BuildFailed:
        if lost := stopped():  # a shutting-down engine kills the step first (code 137)
            raise lost from None
        _discard(log.made)
        raise
    except docker.errors.APIError as e:
        _discard(log.made)
        raise build_failed(log, e.explanation or str(e)) from None
    except docker.errors.DockerException as e:  # refused before sending, e.g. an invalid tag
        raise build_failed(log, str(e)) from None
    except _READ_TIMEOUTS:
        api.close()  # hanging up makes the engine cancel the build
        lost = stopped()  # a broken stream: the engine went away, or the time is up
        if lost is not None:
            raise lost from None
        _discard(log.made)
        raise _timed_out(timeout, log) from None
    finally:
        api.close()
    log.flush()
    if log.image_id is None:
        _discard(log.made)
        raise BuildFailed("The build ended without producing an image.", log.step, [*log.tail])
    seconds = time.monotonic() - start
    _apply_tag(log.image_id, tag, log)
    bar.done(seconds)
    final = log.image_id.split(":")[-1]
    inter = [m for m in log.made if not final.startswith(m)]
    _MADE.extend(inter)
    return BuiltImage(log.image_id, tag, seconds, log.lines, inter, "legacy")


#: Intermediate images of this process's builds. The legacy builder labels only a
#: build's final image, so the images of a multi-stage build's earlier stages carry
#: no session label: :func:`discard_intermediates` (called by ``dl.cleanup()``) removes them.
_MADE: list[str] = []


def discard_intermediates() -> None:
    """Remove the unlabelled intermediate images this process's builds left (if unused)."""
    made, _MADE[:] = list(_MADE), []
    _discard(made)


def _discard(image_ids: list[str]) -> None:
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


# --- BuildKit: the BuildKit client, the context on its standard input -------------------


def _buildkit_command(tag: str | None, buildargs: Mapping[str, str], secrets: Mapping[str, Path],
                      labels: Mapping[str, str], network: bool, work: Path) -> list[str]:  # fmt: skip
    cli = buildkit_cli()
    assert cli is not None  # choose_builder made sure
    cmd = [*cli.command(), "--progress", "plain", "--iidfile", str(work / "iid"),
           "--network", "default" if network else "none"]  # fmt: skip
    for k, v in labels.items():
        cmd += ["--label", f"{k}={v}"]
    if cli.buildx:  # into the engine's image store, without attestation manifests
        cmd += ["--load", "--provenance=false", "--sbom=false",
                "--metadata-file", str(work / "metadata.json")]  # fmt: skip
    if tag:
        cmd += ["-t", tag]
    if platform := requested_platform():
        cmd += ["--platform", platform]
    for k, v in buildargs.items():
        cmd += ["--build-arg", f"{k}={v}"]
    for name, path in secrets.items():
        cmd += ["--secret", f"id={name},src={path}"]
    return [*cmd, "-"]  # the context: a tar on standard input


def _build_buildkit(dockerfile: str, files: Mapping[str, FileSpec] | None, *, tag: str | None,
                    buildargs: Mapping[str, str], secrets: Mapping[str, str | bytes],
                    labels: Mapping[str, str], network: bool, timeout: float,
                    bar: BuildProgress) -> BuiltImage:  # fmt: skip
    cli = buildkit_cli()
    assert cli is not None
    start = time.monotonic()
    log = BuildLog(bar, network=network)
    context = context_tar(dockerfile, files).getvalue()
    with tempfile.TemporaryDirectory(prefix="dockerlab-bk-") as tmp:
        work = Path(tmp)
        secret_paths = {}
        for name, value in secrets.items():
            p = work / f"secret-{len(secret_paths)}"
            p.touch(mode=0o600)
            p.write_bytes(value.encode() if isinstance(value, str) else bytes(value))
            secret_paths[name] = p
        # Untagged: _apply_tag names it afterwards, through the engine.
        cmd = _buildkit_command(None, buildargs, secret_paths, labels, network, work)
        env = {**os.environ, **cli.env(), "DOCKER_HOST": host(),
               "BUILDX_NO_DEFAULT_ATTESTATIONS": "1"}  # fmt: skip
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, env=env)  # fmt: skip
        except OSError as e:
            raise BuildKitUnavailable(
                f"The BuildKit client {cli.path} could not be run: {e}"
            ) from None
        feeder = threading.Thread(target=_feed, args=(proc, context), daemon=True)
        feeder.start()
        timer = threading.Timer(timeout, proc.kill)  # the client's end cancels the build
        timer.start()
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                log.feed(raw.decode(errors="replace"))
            code = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            feeder.join(timeout=5)
        log.flush()
        seconds = time.monotonic() - start
        if code != 0:
            if lost := stopped():
                raise lost from None
            if seconds >= timeout:
                raise _timed_out(timeout, log)
            raise build_failed(log)
        image_id = _built_image_id(work, log.lines)
    if not image_id:
        raise BuildFailed("The build ended without producing an image.", log.step, [*log.tail])
    _apply_tag(image_id, tag, log)
    bar.done(seconds)
    return BuiltImage(image_id, tag, seconds, log.lines, [], "buildkit")


def _apply_tag(image_id: str, tag: str | None, log: BuildLog) -> None:
    """Give the built image its name, through the engine, after the build (both builders).

    Not by the builder: BuildKit's exporter takes a name from any image that had it, and
    on the containerd store that image is then gone (two learners building one lesson's
    tag at once lost their images); the engine's own tag keeps the other image, untagged.
    """
    if not tag:
        return
    repository, _, name = tag.rpartition(":") if ":" in tag.rsplit("/", 1)[-1] else (tag, "", "")
    try:
        with _naming(image_id, f"{repository}:{name or 'latest'}"):
            _tag(image_id, repository, name or "latest")
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
    from dockerlab.core.containers import create, find  # containers imports this module

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


def _feed(proc: subprocess.Popen, data: bytes) -> None:
    """Write the context to the client's standard input (in a thread: it reads as it goes)."""
    assert proc.stdin is not None
    with contextlib.suppress(BrokenPipeError, OSError):
        proc.stdin.write(data)
    with contextlib.suppress(BrokenPipeError, OSError):
        proc.stdin.close()


def _built_image_id(work: Path, lines: list[str]) -> str | None:
    """The engine's id of what BuildKit made.

    The classic store names an image by its config digest (the ``--iidfile``);
    the containerd image store by its manifest digest (buildx's metadata file's
    ``containerimage.digest``, or the log's ``exporting manifest`` line for a
    client without metadata files). Ask the engine which it knows.
    """
    candidates = []
    for line in reversed(lines):
        if m := _EXPORTED.search(line):
            candidates.append(m[1])
    if (work / "iid").exists():
        candidates.append((work / "iid").read_text().strip())
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads((work / "metadata.json").read_text())
        candidates += [meta.get("containerimage.digest"), meta.get("containerimage.config.digest")]
    api = client().api
    for candidate in filter(None, candidates):
        with contextlib.suppress(docker.errors.APIError):
            return api.inspect_image(candidate)["Id"]
    return None


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
        elif line == _LEGACY_CACHED:
            hits += not kit_step
        elif m := _BUILDKIT_STEP.match(line):
            steps[m[1]] = m[5]
        elif (m := _BUILDKIT_CACHED.match(line)) and m[1] in steps:  # a step, not [internal]
            hits += not steps[m[1]].upper().startswith("FROM ")
    return hits


__all__ = [
    "BUILDERS",
    "DISK_FULL_HINT",
    "BuildLog",
    "BuiltImage",
    "available_builders",
    "build",
    "build_failed",
    "cached_steps",
    "check_bases",
    "choose_builder",
    "context_tar",
    "describe_builders",
    "disk_full",
    "explain_failure",
    "needs_buildkit",
]
