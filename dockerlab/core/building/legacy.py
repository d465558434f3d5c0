"""The legacy builder: the engine's build API through the docker SDK.

What ``docker build`` is on older engines such as Debian 12's 20.10. It makes an
intermediate image per step (:mod:`~dockerlab.core.building.intermediates`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import docker
import docker.errors
import requests
import urllib3.exceptions

from dockerlab.core.building.context import FileSpec, context_tar
from dockerlab.core.building.failures import build_failed, timed_out
from dockerlab.core.building.image import BuiltImage
from dockerlab.core.building.intermediates import MADE, discard
from dockerlab.core.building.log import BuildLog
from dockerlab.core.building.naming import apply_tag
from dockerlab.core.building.progress_bar import BuildProgress
from dockerlab.core.engine import guard, host, requested_platform, stopped
from dockerlab.errors import BuildFailed

_READ_TIMEOUTS = (TimeoutError, requests.exceptions.ConnectionError, urllib3.exceptions.HTTPError)


def build_legacy(
    dockerfile: str,
    files: Mapping[str, FileSpec] | None,
    *,
    tag: str | None,
    buildargs: Mapping[str, str],
    labels: Mapping[str, str],
    network: bool,
    timeout: float,
    bar: BuildProgress,
) -> BuiltImage:
    """Build with the legacy builder (the arguments: :func:`dockerlab.core.building.build`'s).

    Raises:
        BuildFailed: A step failed, the engine refused the build, or no image came of it.
        BuildTimeout: The build took longer than ``timeout``.
    """
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
        discard(log.made)
        raise
    except docker.errors.APIError as e:
        discard(log.made)
        raise build_failed(log, e.explanation or str(e)) from None
    except docker.errors.DockerException as e:  # refused before sending, e.g. an invalid tag
        raise build_failed(log, str(e)) from None
    except _READ_TIMEOUTS:
        api.close()  # hanging up makes the engine cancel the build
        lost = stopped()  # a broken stream: the engine went away, or the time is up
        if lost is not None:
            raise lost from None
        discard(log.made)
        raise timed_out(timeout, log) from None
    finally:
        api.close()
    log.flush()
    if log.image_id is None:
        discard(log.made)
        raise BuildFailed("The build ended without producing an image.", log.step, [*log.tail])
    seconds = time.monotonic() - start
    apply_tag(log.image_id, tag, log)
    bar.done(seconds)
    final = log.image_id.split(":")[-1]
    inter = [m for m in log.made if not final.startswith(m)]
    MADE.extend(inter)
    return BuiltImage(log.image_id, tag, seconds, log.lines, inter, "legacy")


__all__ = ["build_legacy"]
