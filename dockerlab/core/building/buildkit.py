"""BuildKit: the BuildKit client (``docker buildx build``), the context on its standard input.

What ``docker build`` is on Docker Desktop and Engine 23+; the docker SDK cannot drive it,
so the kit runs the client :func:`dockerlab.core.engine.buildkit_cli` found.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import docker.errors

from dockerlab.core.building.context import FileSpec, context_tar
from dockerlab.core.building.failures import build_failed, timed_out
from dockerlab.core.building.image import BuiltImage
from dockerlab.core.building.log import BuildLog
from dockerlab.core.building.naming import apply_tag, tag_target
from dockerlab.core.building.progress_bar import BuildProgress
from dockerlab.core.engine import (
    buildkit_cli,
    client,
    engine_info,
    host,
    registry_reachable,
    requested_platform,
    stopped,
)
from dockerlab.errors import BuildFailed, BuildKitUnavailable

_EXPORTED = re.compile(r"(?:exporting manifest|writing image) (sha256:[0-9a-f]{64})")
_SYNTAX = re.compile(r"\A((?:\s*#[^\n]*\n)*?)\s*#\s*syntax\s*=\s*(\S+)[^\n]*\n", re.I)


def offline_syntax(dockerfile: str, bar: BuildProgress) -> str:
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
    bar.note(
        f"`# syntax={m[2]}` left out: that frontend image cannot be pulled offline; "
        "building with the engine's built-in Dockerfile frontend."
    )
    return dockerfile[: m.start(0)] + m[1] + dockerfile[m.end(0) :]


def _buildkit_command(
    tag: str | None,
    buildargs: Mapping[str, str],
    secrets: Mapping[str, Path],
    labels: Mapping[str, str],
    network: bool,
    work: Path,
) -> list[str]:
    cli = buildkit_cli()
    assert cli is not None  # choose_builder made sure
    cmd = [
        *cli.command(),
        "--progress",
        "plain",
        "--iidfile",
        str(work / "iid"),
        "--network",
        "default" if network else "none",
    ]
    for k, v in labels.items():
        cmd += ["--label", f"{k}={v}"]
    if cli.buildx:  # into the engine's image store, without attestation manifests
        cmd += [
            "--load",
            "--provenance=false",
            "--sbom=false",
            "--metadata-file",
            str(work / "metadata.json"),
        ]
    if tag:
        cmd += ["-t", tag]
    if platform := requested_platform():
        cmd += ["--platform", platform]
    for k, v in buildargs.items():
        cmd += ["--build-arg", f"{k}={v}"]
    for name, path in secrets.items():
        cmd += ["--secret", f"id={name},src={path}"]
    return [*cmd, "-"]  # the context: a tar on standard input


def build_buildkit(
    dockerfile: str,
    files: Mapping[str, FileSpec] | None,
    *,
    tag: str | None,
    buildargs: Mapping[str, str],
    secrets: Mapping[str, str | bytes],
    labels: Mapping[str, str],
    network: bool,
    timeout: float,
    bar: BuildProgress,
    preflight: Callable[[], None] | None = None,
) -> BuiltImage:
    """Build with BuildKit (the arguments: :func:`dockerlab.core.building.build`'s).

    ``preflight`` (the base images' check) runs while the client starts; if it raises,
    the client is stopped before it reaches a registry, and its error stands.

    Raises:
        BuildFailed: A step failed, or no image came of it.
        BuildTimeout: The build took longer than ``timeout``.
        BuildKitUnavailable: The BuildKit client could not be run.
    """
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
        # Untagged: apply_tag names it afterwards, through the engine.
        cmd = _buildkit_command(None, buildargs, secret_paths, labels, network, work)
        env = {
            **os.environ,
            **cli.env(),
            "DOCKER_HOST": host(),
            "BUILDX_NO_DEFAULT_ATTESTATIONS": "1",
        }
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
            )
        except OSError as e:
            raise BuildKitUnavailable(
                f"The BuildKit client {cli.path} could not be run: {e}"
            ) from None
        feeder = threading.Thread(target=_feed, args=(proc, context), daemon=True)
        feeder.start()
        timer = threading.Timer(timeout, proc.kill)  # the client's end cancels the build
        timer.start()
        try:
            if preflight is not None:
                try:
                    preflight()
                except BaseException:
                    bar.discard()
                    raise
            named = tag_target(tag)  # asked while the build runs: it costs the build no time
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
                raise timed_out(timeout, log)
            raise build_failed(log)
        image_id = _built_image_id(work, log.lines)
    if not image_id:
        raise BuildFailed("The build ended without producing an image.", log.step, [*log.tail])
    apply_tag(image_id, tag, log, named=named)
    bar.done(seconds)
    return BuiltImage(image_id, tag, seconds, log.lines, [], "buildkit")


def _feed(proc: subprocess.Popen, data: bytes) -> None:
    """Write the context to the client's standard input (in a thread: it reads as it goes)."""
    assert proc.stdin is not None
    with contextlib.suppress(BrokenPipeError, OSError):
        proc.stdin.write(data)
    with contextlib.suppress(BrokenPipeError, OSError):
        proc.stdin.close()


#: Engines (by address) whose first BuildKit build showed the image's id to be the digest
#: buildx's metadata names for that store (the manifest's on the containerd store, the
#: config's on the classic one): later builds take it from there, with no inspect.
_NAMING_CONFIRMED: dict[str, bool] = {}


def _built_image_id(work: Path, lines: list[str]) -> str | None:
    """The engine's id of what BuildKit made.

    The classic store names an image by its config digest (the ``--iidfile``);
    the containerd image store by its manifest digest (buildx's metadata file's
    ``containerimage.digest``, or the log's ``exporting manifest`` line for a
    client without metadata files). Ask the engine which it knows; once an engine's
    answer was the digest its store's naming predicts, later builds take that digest
    without asking (an inspect costs about as much as a tenth of a cached build).
    """
    candidates = []
    for line in reversed(lines):
        if m := _EXPORTED.search(line):
            candidates.append(m[1])
    if (work / "iid").exists():
        candidates.append((work / "iid").read_text().strip())
    meta: dict = {}
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads((work / "metadata.json").read_text())
        candidates += [meta.get("containerimage.digest"), meta.get("containerimage.config.digest")]
    containerd = engine_info().containerd_store
    expected = meta.get("containerimage.digest" if containerd else "containerimage.config.digest")
    if expected and _NAMING_CONFIRMED.get(host()) == containerd:
        return expected  # this engine names a build so, as its first build showed
    api = client().api
    for candidate in filter(None, candidates):
        with contextlib.suppress(docker.errors.APIError):
            found = api.inspect_image(candidate)["Id"]
            if expected and found == expected:
                _NAMING_CONFIRMED[host()] = containerd
            return found
    return None


__all__ = ["build_buildkit", "offline_syntax"]
