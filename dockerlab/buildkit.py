"""Building with BuildKit through the docker CLI (the docker SDK has no BuildKit).

Some lessons need BuildKit: ``RUN --mount=type=secret`` (a secret available to
one build step and stored in no layer), and BuildKit's own layer rules (its
WORKDIR always makes a layer). :func:`build` writes the Dockerfile and files
into a temporary build context, runs the docker CLI that
:func:`dockerlab.engine.buildkit_cli` found (``DOCKER_BUILDKIT=1 docker build``
on CLIs 18.09-22, ``docker buildx build --load`` on 23+) against the kit's
engine, with no network, the kit's session label and a time limit, and returns
a :class:`~dockerlab.build.BuiltImage` (remove it, or use it as a context
manager). :func:`cached_steps` counts the cache hits of a build of either kind.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path

from . import labels
from .build import BuiltImage, FileSpec
from .engine import BuildKitCLI, buildkit_cli, host
from .errors import BuildFailed, BuildTimeout, DockerlabError
from .progress import BuildProgress

_STEP = re.compile(r"^#\d+ \[(?:[\w.-]+ )?(\d+)/(\d+)\] (.*)$")
_LEGACY_CACHED = "---> Using cache"
_BUILDKIT_CACHED = re.compile(r"^#(\d+) CACHED$")
_BUILDKIT_STEP = re.compile(r"^#(\d+) \[(?:[\w.-]+ )?\d+/\d+\] (.*)$")


class BuildKitUnavailable(DockerlabError):
    """No docker CLI on this machine can run BuildKit builds."""

    hint = (
        "BuildKit needs a docker CLI that has it: Docker 23+ with the buildx plugin "
        "(Docker Desktop has it), or a 18.09-22 CLI such as Debian 12's docker.io, which "
        "has BuildKit built in. The docker SDK (Python) cannot run BuildKit builds."
    )


def available() -> bool:
    """True if a BuildKit-capable docker CLI exists on this machine."""
    return buildkit_cli() is not None


def describe() -> str:
    """One line saying which CLI runs BuildKit builds here, or that none can."""
    cli = buildkit_cli()
    if cli is None:
        return "No BuildKit-capable docker CLI here: BuildKit lessons are explained, not run."
    how = "DOCKER_BUILDKIT=1 docker build" if cli.how != "buildx" else "docker buildx build"
    return f"BuildKit builds run with {cli.path} ({how})."


def _write_context(root: Path, dockerfile: str, files: Mapping[str, FileSpec]) -> Path:
    entries: dict[str, FileSpec] = {"Dockerfile": dockerfile, **dict(files)}
    for name, spec in entries.items():
        content, mode = spec if isinstance(spec, tuple) else (spec, 0o644)
        path = root / name.lstrip("/")
        if root.resolve() not in path.resolve().parents:
            raise DockerlabError(f"File {name!r} would land outside the build context.")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else bytes(content))
        path.chmod(mode)
    return root / "Dockerfile"


def _command(cli: BuildKitCLI, dockerfile: Path, context: Path, iidfile: Path, *,
             tag: str | None, buildargs: Mapping[str, str], secrets: Mapping[str, Path],
             ) -> list[str]:  # fmt: skip
    cmd = [cli.path, "buildx", "build", "--load"] if cli.how == "buildx" else [cli.path, "build"]
    cmd += ["--network", "none", "--progress", "plain", "--iidfile", str(iidfile),
            "--label", f"{labels.SESSION}={labels.SESSION_ID}", "-f", str(dockerfile)]  # fmt: skip
    if tag:
        cmd += ["-t", tag]
    for k, v in buildargs.items():
        cmd += ["--build-arg", f"{k}={v}"]
    for name, path in secrets.items():
        cmd += ["--secret", f"id={name},src={path}"]
    return [*cmd, str(context)]


def build(
    dockerfile: str,
    files: Mapping[str, FileSpec] | None = None,
    *,
    tag: str | None = None,
    buildargs: Mapping[str, str] | None = None,
    secrets: Mapping[str, str | bytes] | None = None,
    timeout: float = 300,
    progress: bool | Callable[[str], None] = True,
) -> BuiltImage:
    """Build an image with BuildKit, from Dockerfile text and in-memory files.

    Args:
        dockerfile: The Dockerfile's text (``RUN --mount=...`` works).
        files: Files of the build context, as for :func:`dockerlab.build`.
        tag: A tag for the image.
        buildargs: ``--build-arg`` values (they show in the image's history!).
        secrets: Secret id -> value, for ``RUN --mount=type=secret,id=...``.
            Written to a private temporary file outside the build context and
            deleted after the build.
        timeout: Seconds after which the build is stopped (:class:`BuildTimeout`).
        progress: True shows progress; a callable receives every log line;
            False is silent.

    Returns:
        The :class:`~dockerlab.build.BuiltImage` (its ``log`` holds BuildKit's
        plain progress output; it has no intermediate images to remove).

    Raises:
        BuildKitUnavailable: No BuildKit-capable docker CLI on this machine.
        BuildFailed: The Dockerfile is invalid or a step failed (the message
            names the step and shows the log's end).
        BuildTimeout: The build took longer than ``timeout``.

    Example:
        >>> from dockerlab import buildkit
        >>> img = buildkit.build(  # doctest: +SKIP
        ...     "FROM alpine:3.23\\nRUN --mount=type=secret,id=t test -s /run/secrets/t",
        ...     secrets={"t": "FAKE-TOKEN-for-lesson-only"})
    """
    cli = buildkit_cli()
    if cli is None:
        raise BuildKitUnavailable("This machine has no docker CLI that can build with BuildKit.")
    start = time.monotonic()
    bar = BuildProgress(dockerfile, progress)
    log: list[str] = []
    tail: deque[str] = deque(maxlen=12)
    step: str | None = None
    with tempfile.TemporaryDirectory(prefix="dockerlab-bk-") as tmp:
        root = Path(tmp)
        (root / "context").mkdir()
        (root / "secrets").mkdir(mode=0o700)
        df = _write_context(root / "context", dockerfile, files or {})
        secret_paths = {}
        for name, value in (secrets or {}).items():
            p = root / "secrets" / name
            p.write_bytes(value.encode() if isinstance(value, str) else bytes(value))
            p.chmod(0o600)
            secret_paths[name] = p
        iid = root / "iid"
        cmd = _command(cli, df, root / "context", iid, tag=tag, buildargs=buildargs or {},
                       secrets=secret_paths)  # fmt: skip
        env = {**os.environ, **cli.env(), "DOCKER_HOST": host()}
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, errors="replace", env=env)  # fmt: skip
        except OSError as e:
            raise BuildKitUnavailable(f"The docker CLI {cli.path} could not be run: {e}") from None
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.rstrip("\n")
                log.append(line)
                if line.strip():
                    tail.append(line)
                if m := _STEP.match(line):
                    step = f"[{m[1]}/{m[2]}] {m[3]}"
                    bar.step(int(m[1]), int(m[2]), m[3])
                else:
                    bar.line(line)
            code = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        seconds = time.monotonic() - start
        if seconds >= timeout and code != 0:
            raise BuildTimeout(
                f"The BuildKit build took longer than {timeout:g} s and was stopped.",
                step=step,
                log_tail=[*tail],
                hint="Look for a step that waits forever (a prompt, a network call, a loop).",
            )
        if code != 0:
            raise _failure(step, [*tail])
        image_id = iid.read_text().strip() if iid.exists() else ""
    if not image_id:
        raise BuildFailed("The BuildKit build ended without producing an image.", step, [*tail])
    bar.done(seconds)
    return BuiltImage(image_id, tag, seconds, log, [])


def _failure(step: str | None, tail: list[str]) -> BuildFailed:
    text = "\n".join(tail)
    errors = [ln for ln in tail if "error" in ln.lower()] or tail[-1:]
    message = errors[-1].strip() if errors else "unknown error"
    hint = None
    if "dockerfile parse error" in text or "unknown instruction" in text.lower():
        hint = "Fix the Dockerfile's syntax at the line the message names."
    elif "did not complete successfully" in text or "executor failed running" in text:
        hint = "The command in the failing step exited with an error: read the log's last lines."
    elif "secret" in text and "not found" in text:
        hint = "A RUN --mount=type=secret names an id not given in secrets=."
    elif "not found" in text and ("checksum" in text or "failed to compute cache key" in text):
        hint = "A COPY/ADD source is not in the build context: add it to `files=`."
    elif "pull access denied" in text or "no such host" in text or "failed to resolve" in text:
        hint = "A base image is missing and cannot be pulled here: use a catalog image (dl.ref)."
    return BuildFailed(f"The BuildKit build failed: {message}", step=step, log_tail=tail, hint=hint)


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
            kit_step = f"LABEL {labels.SESSION}=" in line
        elif line == _LEGACY_CACHED:
            hits += not kit_step
        elif m := _BUILDKIT_STEP.match(line):
            steps[m[1]] = m[2]
        elif m := _BUILDKIT_CACHED.match(line):
            hits += not steps.get(m[1], "").upper().startswith("FROM ")
    return hits


__all__ = ["BuildKitUnavailable", "available", "build", "cached_steps", "describe"]
