"""A failed build explained in plain words: the failing step, the log's tail and a hint.

One explanation for both builders (:func:`build_failed`, :func:`explain_failure`), and
the disk-full hint the course's base images share (:data:`DISK_FULL_HINT`, :func:`disk_full`).
"""

from __future__ import annotations

import re

from dockerlab.core.building.log import BUILDKIT_OUTPUT, BuildLog
from dockerlab.core.engine import registry_reachable
from dockerlab.errors import BuildFailed, BuildTimeout

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
    failed_step = any(
        s in low
        for s in (
            "returned a non-zero code",
            "did not complete successfully",
            "executor failed running",
        )
    )
    if failed_step and any(w in line.lower() for line in tail for w in network_words):
        if network:
            return "The step could not download what it needed: check this machine's network."
        return (
            "The step tried to download something, but builds here have no network: "
            "use what the base image has, or COPY the files in."
        )
    if failed_step:
        return "The command in the failing step exited with an error: read the log's last lines."
    if any(
        s in low
        for s in (
            "pull access denied",
            "no such host",
            "manifest unknown",
            "repository does not exist",
            "failed to resolve source metadata",
            "not found",
        )
    ):
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
    return BuildFailed(
        f"The build failed: {message}",
        step=log.step,
        log_tail=tail,
        hint=explain_failure(message, tail, network=log.network),
    )


def _logged_error(log: BuildLog) -> str:
    """BuildKit's own error line: ``ERROR: failed to build: ...``, or the last line."""
    for line in reversed(log.lines):
        text = BUILDKIT_OUTPUT.sub("", line).strip()
        if text.startswith(("ERROR:", "error:")) or re.match(r"^#\d+ ERROR: ", text):
            text = re.sub(r"^(#\d+ )?(ERROR|error): ", "", text)
            return re.sub(r"^(failed to build: )?(failed to solve: )?", "", text)
    return next((ln for ln in reversed(log.lines) if ln.strip()), "unknown error")


def timed_out(timeout: float, log: BuildLog) -> BuildTimeout:
    """The error of a build stopped after ``timeout`` seconds, either builder's: the step
    it was on and the log's tail."""
    log.flush()
    return BuildTimeout(
        f"The build took longer than {timeout:g} s and was stopped.",
        step=log.step,
        log_tail=[*log.tail],
        hint="Look for a step that waits forever (a prompt, a network call, a loop).",
    )


__all__ = ["DISK_FULL_HINT", "build_failed", "disk_full", "explain_failure", "timed_out"]
