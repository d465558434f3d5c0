"""Pulls and pushes through the engine, with one reading of what went wrong.

The engine answers ``docker pull`` and ``docker push`` with a stream of JSON
progress events. :func:`pull` and :func:`push` read that stream once, give up
when it stops moving, and turn each way a transfer can fail into one of the
kit's errors, worded the same for every caller (the base images, the local
registry, a classroom mirror):

- the registry stops answering (no progress for ``timeout`` seconds):
  :class:`~dockerlab.errors.NoRegistry`;
- the engine stopped: :class:`~dockerlab.errors.EngineStopped`;
- the image is missing: :class:`~dockerlab.errors.ManifestNotFound` for a pull
  (the registry has no such tag or digest), :class:`~dockerlab.errors.ImageNotFound`
  for a push (the engine has no such image);
- any other error the engine reports: :class:`~dockerlab.errors.RegistryError`.

Example:
    >>> from dockerlab import transfer
    >>> transfer.pull("127.0.0.1:5000/course/alpine:3.23")        # doctest: +SKIP
    'sha256:4b7ce07002c6...'
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import docker
import docker.errors
import requests
import urllib3.exceptions
from docker.utils import parse_repository_tag

from dockerlab.core.engine import client, guard, host, stopped
from dockerlab.errors import ImageNotFound, ManifestNotFound, NoRegistry, RegistryError

#: Seconds a pull or push may go without any progress before the kit gives up.
TRANSFER_TIMEOUT = 120
#: The hint of every transfer that failed because the registry did not answer.
NO_ANSWER_HINT = (
    "The registry did not answer in time. Is it running, and not paused or overloaded "
    "(a classroom mirror: ask the instructor)? Check the network and run the cell again."
)

#: What a read of :func:`transfer_api` raises once nothing has come for too long.
STALLED = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    urllib3.exceptions.HTTPError,
)

#: The last status line of a push: ``TAG: digest: sha256:... size: N``.
_PUSHED = re.compile(r"digest: (sha256:[0-9a-f]{64}) size: (\d+)")
#: How engines say a pull found no such tag or digest (Docker 20.10 and 28, both stores).
_MISSING = re.compile(r"manifest unknown|not found|does not exist", re.IGNORECASE)
#: How engines say the registry itself timed out.
_TIMED_OUT = re.compile(r"timeout|timed out|deadline exceeded", re.IGNORECASE)


@dataclass
class Pushed:
    """What :func:`push` pushed.

    Attributes:
        ref: ``registry/repository:tag``.
        digest: The manifest digest the registry stored.
        manifest_size: The manifest's own size in bytes (as the push reported it).
    """

    ref: str
    digest: str
    manifest_size: int

    @property
    def pinned(self) -> str:
        """The reference pinned by digest: ``registry/repository@sha256:...``."""
        return f"{self.ref.rsplit(':', 1)[0]}@{self.digest}"


def progressing(events: Iterable[dict], no_progress: float) -> Iterator[dict]:
    """The events of a push or pull, until they stop showing progress for ``no_progress`` s.

    A stalled transfer does not always go quiet: the containerd image store
    repeats ``Waiting`` for every layer ten times a second while the registry
    says nothing. Progress is a new status or a moved byte count, never a
    repeated line. Raises ``requests.exceptions.ReadTimeout`` (one of
    :data:`STALLED`) once there has been none for that long; the caller's
    ``transfer_api`` then hangs up, which cancels the transfer.

    Example:
        >>> events = [{"status": "Pushing", "id": "a", "progressDetail": {"current": 1}}]
        >>> list(progressing(events, 5)) == events
        True
    """
    last = time.monotonic()
    seen: set[tuple] = set()
    for event in events:
        detail = event.get("progressDetail") or {}
        mark = (
            event.get("id"),
            event.get("status"),
            detail.get("current"),
            "aux" in event,
            "error" in event,
        )
        now = time.monotonic()
        if mark not in seen:
            seen.add(mark)
            last = now
        elif now - last > no_progress:
            raise requests.exceptions.ReadTimeout(f"no progress for {no_progress:g} s")
        yield event


@contextlib.contextmanager
def transfer_api(no_progress: float) -> Iterator[docker.APIClient]:
    """An engine API client of its own for a push or pull that may stall.

    Every read gives up after ``no_progress`` seconds without a byte (raising
    one of :data:`STALLED`), pulls included (docker-py's ``pull`` asks for no
    time limit at all): a registry that stops answering halfway costs the
    learner that long, not forever. Guarded like
    :func:`~dockerlab.core.engine.client`'s (a lost engine raises ``EngineStopped``).

    Example:
        >>> with transfer_api(30) as api:                              # doctest: +SKIP
        ...     api.pull("alpine", tag="3.23")
    """
    limit = max(1, int(no_progress))
    api = guard(docker.APIClient(base_url=host(), timeout=limit, version="auto"), host())
    send = api.send

    @functools.wraps(send)
    def bounded(request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = limit
        return send(request, **kwargs)

    api.send = bounded
    try:
        yield api
    finally:
        api.close()


def pull(
    ref: str,
    *,
    platform: str | None = None,
    timeout: float | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> str:
    """Pull ``ref`` (``repo:tag`` or ``repo@sha256:...``) into the engine.

    Args:
        ref: The image reference, as ``docker pull`` takes it.
        platform: ``os/arch`` to pull (None: the engine's own).
        timeout: Seconds the pull may go without progress (None: :data:`TRANSFER_TIMEOUT`).
        on_progress: Called with one line each time a layer's status changes
            (``"3f2a: Downloading"``, ``"Status: Downloaded newer image for ..."``).

    Returns:
        The engine's image id (``sha256:...``) of what was pulled.

    Raises:
        ManifestNotFound: The registry has no such tag or digest.
        NoRegistry: The registry stopped answering (no progress for ``timeout`` s).
        EngineStopped: The engine stopped during the pull.
        RegistryError: The engine reported another error.

    Example:
        >>> pull("alpine:3.23", on_progress=print)                    # doctest: +SKIP
        3.23: Pulling from library/alpine
        ...
        'sha256:4b7ce07002c6...'
    """
    timeout = TRANSFER_TIMEOUT if timeout is None else timeout
    repo, tag = parse_repository_tag(ref)
    target = ref if "@" in ref else f"{repo}:{tag or 'latest'}"
    last: dict[str, str] = {}

    def read(events: Iterable[dict]) -> None:
        for event in events:
            layer, status = event.get("id", ""), event.get("status", "")
            if on_progress is not None and status and last.get(layer) != status:
                last[layer] = status
                on_progress(f"{layer}: {status}" if layer else status)

    with transfer_api(timeout) as api:
        _transfer(
            "Pulling",
            target,
            timeout,
            read,
            lambda: api.pull(
                repo, tag=tag or "latest", stream=True, decode=True, platform=platform
            ),
        )
    return client().api.inspect_image(target)["Id"]


def push(ref: str, *, timeout: float | None = None) -> Pushed:
    """Push the engine's image ``ref`` (``registry/repository:tag``) to its registry.

    The engine compresses each layer (gzip) on the way, as for any ``docker push``.

    Args:
        ref: A tag of an image on the engine, naming the registry to push to.
        timeout: Seconds the push may go without progress (None: :data:`TRANSFER_TIMEOUT`).

    Returns:
        :class:`Pushed`: the reference and the digest the registry stored.

    Raises:
        ImageNotFound: The engine has no image ``ref``.
        NoRegistry: The registry stopped answering (no progress for ``timeout`` s).
        EngineStopped: The engine stopped during the push.
        RegistryError: The engine reported another error, or no digest.

    Example:
        >>> push("127.0.0.1:5000/course/alpine:3.23").digest          # doctest: +SKIP
        'sha256:25109184c71b...'
    """
    timeout = TRANSFER_TIMEOUT if timeout is None else timeout
    repo, tag = parse_repository_tag(ref)
    found: list[tuple[str, int]] = []

    def read(events: Iterable[dict]) -> None:
        for event in events:
            aux = event.get("aux") or {}
            if "Digest" in aux:
                found.append((aux["Digest"], int(aux.get("Size", 0))))
            elif m := _PUSHED.search(str(event.get("status", ""))):
                # The containerd image store reports the digest only in this line.
                found.append((m[1], int(m[2])))

    with transfer_api(timeout) as api:
        _transfer(
            "Pushing",
            ref,
            timeout,
            read,
            lambda: api.push(repo, tag=tag or "latest", stream=True, decode=True),
        )
    if not found:
        raise RegistryError(f"Pushing {ref} failed: the engine reported no digest.")
    return Pushed(ref, *found[-1])


def _transfer(
    verb: str,
    ref: str,
    timeout: float,
    read: Callable[[Iterable[dict]], None],
    start: Callable[[], Iterable[dict]],
) -> None:
    """Run one pull or push (``start``), hand its events to ``read``, map its failures."""
    try:
        read(_failing(progressing(start(), timeout)))
    except docker.errors.NotFound as e:
        _fail(verb, ref, e.explanation or str(e), not_found=True)
    except docker.errors.APIError as e:
        _fail(verb, ref, e.explanation or str(e))
    except _Reported as e:
        _fail(verb, ref, e.args[0])
    except STALLED:
        if lost := stopped():
            raise lost from None
        raise NoRegistry(
            f"{verb} {ref} stopped: no progress for {timeout:g} s, the registry does not answer.",
            hint=NO_ANSWER_HINT,
        ) from None


class _Reported(Exception):
    """An error event in the engine's progress stream."""


def _failing(events: Iterable[dict]) -> Iterator[dict]:
    for event in events:
        if "error" in event:
            raise _Reported((event.get("errorDetail") or {}).get("message") or event["error"])
        yield event


def _fail(verb: str, ref: str, text: str, *, not_found: bool = False) -> None:
    """Raise the kit's error for what the engine said about a failed pull or push."""
    if verb == "Pushing" and (not_found or "does not exist locally" in text):
        raise ImageNotFound(f"The image {ref!r} is not on this engine.") from None
    if verb == "Pulling" and (not_found or _MISSING.search(text)):
        raise ManifestNotFound(f"{ref} does not exist in its registry: {text}") from None
    if _TIMED_OUT.search(text):
        raise NoRegistry(
            f"{verb} {ref} failed: the registry does not answer ({text}).", hint=NO_ANSWER_HINT
        ) from None
    raise RegistryError(f"{verb} {ref} failed: {text}") from None


__all__ = [
    "NO_ANSWER_HINT",
    "STALLED",
    "TRANSFER_TIMEOUT",
    "Pushed",
    "progressing",
    "pull",
    "push",
    "transfer_api",
]
