"""A real distribution registry on the engine's loopback, and the engine pushing to it.

:class:`LocalRegistry` runs the real distribution registry (2.x) as a container on
the learner's engine, on the engine's own network (``network_mode="host"`` of the
engine: inside its VM with Docker Desktop or Colima), listening on ``127.0.0.1`` at
a free port only, with its storage inside the container. Its image is the official
``registry:2`` where a registry answers, else one the kit builds offline from
Debian's ``docker-registry`` package (:mod:`dockerlab.registry.image`). It is a
context manager: started on demand, removed with its storage afterwards. The
engine pushes to ``127.0.0.1:PORT`` of its own network without any TLS setting,
because Docker treats ``127.0.0.0/8`` as an insecure registry it may use over
plain HTTP. Pushes and pulls go through :mod:`dockerlab.core.transfer`; manifests
are read with :class:`~dockerlab.registry.api.RegistryClient` through the
engine's API (:mod:`dockerlab.registry.route`), which the notebook always
reaches, wherever the engine runs.

Example:
    >>> from dockerlab import registry_server
    >>> with registry_server.LocalRegistry() as reg:                 # doctest: +SKIP
    ...     pushed = reg.push(dl.ref("alpine"), "course/alpine", "3.23")
    ...     reg.manifest("course/alpine:3.23").compressed_mb
    3.86
"""

from __future__ import annotations

import atexit
import contextlib
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import docker.errors
import requests

from dockerlab.core import containers, transfer
from dockerlab.core.building import BuiltImage
from dockerlab.core.containers import DemoContainer
from dockerlab.core.engine import client
from dockerlab.core.images import ref as catalog_ref
from dockerlab.core.transfer import Pushed
from dockerlab.errors import DockerlabError, ImageNotFound, ManifestNotFound, RegistryError
from dockerlab.registry.api import (
    ROUTES,
    ImageManifest,
    Reference,
    RegistryClient,
    error_text,
    parse_reference,
)
from dockerlab.registry.image import (
    CONFIG,
    CONFIG_PATH,
    REGISTRY_PACKAGE,
    STORAGE,
    registry_binary,
    registry_image,
)
from dockerlab.registry.route import EngineRoute

#: The role label of the helper container the registry is read through.
READER_ROLE = "registry-reader"
_RUNNING: set[LocalRegistry] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (on this machine: where
    the engine runs elsewhere, a likely free one there too; the registry retries if not)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(eq=False)
class LocalRegistry:
    """A real distribution registry on the engine's ``127.0.0.1``, for as long as you need it.

    It runs in a container on the engine's own network (the kit's one container there:
    :func:`dockerlab.core.containers.registry_container`) and keeps its storage inside
    that container, which :meth:`stop` removes; the port is a free one (or ``port``).
    Nothing listens beyond loopback. :attr:`folder` holds the config it runs with (as
    written here, then copied in). It is read through the engine's API: a helper
    container on the registry's network (:mod:`dockerlab.registry.route`). As a context
    manager it starts on entry and stops on exit; a registry left running when Python
    exits is stopped then.

    Args:
        port: A port to use instead of a free one.
        wait: Seconds to wait for ``GET /v2/`` to answer after start.

    Example:
        >>> with LocalRegistry() as reg:                                # doctest: +SKIP
        ...     p = reg.push("alpine:3.23", "course/alpine", "3.23")
        ...     reg.manifest(p.ref).layer_sizes
        [3862211]
    """

    port: int | None = None
    wait: float = 15.0
    folder: Path | None = field(default=None, init=False)
    container: DemoContainer | None = field(default=None, init=False, repr=False)
    _reader: DemoContainer | None = field(default=None, init=False, repr=False)
    _client: RegistryClient | None = field(default=None, init=False, repr=False)
    _tags: list[str] = field(default_factory=list, init=False, repr=False)

    # -- lifecycle

    @property
    def running(self) -> bool:
        """True while its container runs (a paused one too: it is there, not answering)."""
        if self.container is None:
            return False
        try:
            return bool(self.container.inspect()["State"]["Running"])
        except DockerlabError:
            return False

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``: the registry part of references to this registry."""
        if self.port is None:
            raise RegistryError("The local registry has not been started.")
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def start(self) -> LocalRegistry:
        """Start the registry's container and wait until ``GET /v2/`` answers.

        Raises:
            DockerlabError: No registry image can be had here, or the registry did not
                come up (its log's end is in the message).
        """
        if self.running:
            return self
        image = registry_image()
        fixed = self.port
        last = ""
        for _attempt in range(3):  # a free port can be taken between our check and its bind
            self.folder = Path(tempfile.mkdtemp(prefix="dockerlab-registry-"))
            self.port = fixed or free_port()
            config = CONFIG.format(root=STORAGE, port=self.port, secret=secrets.token_hex(16))
            (self.folder / "config.yml").write_text(config)
            _RUNNING.add(self)
            try:
                self._run_containers(image, config)
            except DockerlabError:
                self.stop()
                raise
            if self._wait_ready():
                return self
            with contextlib.suppress(DockerlabError):
                last = self.container.logs()[-2000:]
            self.stop()
            if fixed:
                break
            self.port = None
        raise RegistryError(
            "The local registry did not start.\n" + last,
            hint="Is another program using the port on the engine's machine?",
        )

    def _run_containers(self, image: str, config: str) -> None:
        """Start the registry with ``config``, and the helper it is read through."""
        assert self.port is not None
        self.container = containers.registry_container(image, self.port)
        self.container.copy_in(str(Path(CONFIG_PATH).parent), {"config.yml": config})
        self.container.start()
        self._reader = containers.start(
            catalog_ref("alpine"),
            ["sleep", "2147483647"],
            network=f"container:{self.container.id}",
            role=READER_ROLE,
        )
        ROUTES[self.host] = EngineRoute(self._reader, self.port)
        self._client = RegistryClient()

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.wait
        assert self._client is not None
        while time.monotonic() < deadline:
            if not self.running:
                return False
            with contextlib.suppress(DockerlabError, requests.RequestException):
                r = self._client.request("GET", Reference(self.host, "x", "latest"), "")
                if r.status_code == 200:
                    return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        """Untag what we pushed, remove the registry (its storage with it). Safe to repeat."""
        self._untag_all()
        if self.port is not None and ROUTES.get(self.host) is not None:
            del ROUTES[self.host]
        for box in (self._reader, self.container):
            if box is not None:
                with contextlib.suppress(DockerlabError, docker.errors.APIError):
                    box.remove()
        self._reader = self.container = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
        _RUNNING.discard(self)

    def __enter__(self) -> LocalRegistry:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- using it

    def ref(self, repository: str, tag: str = "latest") -> str:
        """``127.0.0.1:PORT/repository:tag``."""
        return f"{self.host}/{repository}:{tag}"

    @property
    def client(self) -> RegistryClient:
        if not self.running or self._client is None:
            raise RegistryError("The local registry is not running: use it in a `with` block.")
        return self._client

    def _qualify(self, ref: str) -> str:
        return ref if ref.startswith(f"{self.host}/") else f"{self.host}/{ref}"

    def push(
        self, image, repository: str, tag: str = "latest", *, timeout: float | None = None
    ) -> Pushed:
        """Tag an image of the engine as ``127.0.0.1:PORT/repository:tag`` and push it.

        The engine compresses each layer (gzip) on the way, exactly as for a
        push to Docker Hub. The local tag is removed afterwards when the image
        has another name (an untagged built image keeps it: removing an
        image's only tag would delete the image); :meth:`stop` tries again.

        Args:
            image: A reference on the engine or a :class:`~dockerlab.BuiltImage`.
            repository: Repository name in the registry (``course/alpine``).
            tag: The tag.
            timeout: Seconds the push may go without progress before the kit gives up
                (None: :data:`dockerlab.core.transfer.TRANSFER_TIMEOUT`).

        Returns:
            :class:`~dockerlab.core.transfer.Pushed` with the reference and the stored digest.

        Raises:
            ImageNotFound: ``image`` is not on the engine.
            NoRegistry: The registry stopped answering.
            RegistryError: The engine's push failed for another reason.
        """
        api = client().api
        source = image.id if isinstance(image, BuiltImage) else str(image)
        try:
            image_id = api.inspect_image(source)["Id"]
        except docker.errors.ImageNotFound:
            raise ImageNotFound(f"The image {source!r} is not on this engine.") from None
        target = f"{self.host}/{repository}"
        api.tag(image_id, target, tag)
        full = f"{target}:{tag}"
        self._tags.append(full)
        try:
            return transfer.push(full, timeout=timeout)
        finally:
            self._untag(full)

    def push_many(self, images: Mapping[str, object], tag: str = "latest") -> dict[str, Pushed]:
        """Push several images at once (repository name -> image), in parallel.

        The engine compresses each image's layers on a core of its own, so on a
        multi-core machine this takes about as long as the biggest push alone.

        Returns:
            Repository name -> :class:`~dockerlab.core.transfer.Pushed`, in the order given.
        """
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=max(1, min(4, len(images)))) as pool:
            futures = {repo: pool.submit(self.push, img, repo, tag) for repo, img in images.items()}
            return {repo: f.result() for repo, f in futures.items()}

    def pull(self, ref: str, *, timeout: float | None = None) -> str:
        """Pull ``repository:tag`` or ``repository@sha256:...`` from this registry into the engine.

        A pulled tag is untagged again by :meth:`stop` when the image keeps
        another name (as for :meth:`push`); a pull by digest adds no tag.

        Args:
            ref: ``repository:tag``, ``repository@digest`` or a full reference to this registry.
            timeout: Seconds the pull may go without progress before the kit gives up
                (None: :data:`dockerlab.core.transfer.TRANSFER_TIMEOUT`).

        Returns:
            The engine's image id (``sha256:...``) of what was pulled.

        Raises:
            ManifestNotFound: No such tag or digest in this registry.
            NoRegistry: The registry stopped answering.
            RegistryError: The engine's pull failed for another reason.
        """
        r = parse_reference(self._qualify(ref))
        name = f"{self.host}/{r.repository}"
        target = f"{name}@{r.reference}" if r.is_digest else f"{name}:{r.reference}"
        image_id = transfer.pull(target, timeout=timeout)
        if not r.is_digest and target not in self._tags:
            self._tags.append(target)
        return image_id

    def _untag(self, full: str) -> None:
        """Remove our tag if the image keeps another name; forget it once gone."""
        api = client().api
        try:
            tags = api.inspect_image(full).get("RepoTags") or []
        except docker.errors.NotFound:
            with contextlib.suppress(ValueError):
                self._tags.remove(full)
            return
        if len([t for t in tags if t != full]) > 0:
            with contextlib.suppress(docker.errors.NotFound):
                api.remove_image(full, noprune=True)
            with contextlib.suppress(ValueError):
                self._tags.remove(full)

    def _untag_all(self) -> None:
        for full in list(self._tags):
            with contextlib.suppress(DockerlabError, docker.errors.APIError):
                self._untag(full)

    def manifest(self, ref: str, platform: str | None = None) -> ImageManifest:
        """The manifest of ``repository:tag`` (or a full reference) in this registry."""
        return self.client.manifest(self._qualify(ref), platform)

    def digest(self, ref: str) -> str:
        """The digest ``repository:tag`` points at now."""
        return self.client.digest(self._qualify(ref))

    def tags(self, repository: str) -> list[str]:
        """The tags of ``repository`` in this registry."""
        return self.client.tags(Reference(self.host, repository, "latest"))

    def blob_size(self, repository: str, digest: str) -> int:
        """The stored (compressed) size of one blob of ``repository``."""
        return self.client.blob_size(Reference(self.host, repository, "latest"), digest)

    def delete(self, ref: str) -> None:
        """Delete a manifest by digest (``repository@sha256:...``): its tags go with it."""
        r = parse_reference(self._qualify(ref))
        if not r.is_digest:
            r = r.with_reference(self.digest(str(r)))
        resp = self.client.request("DELETE", r, f"{r.repository}/manifests/{r.reference}")
        if resp.status_code == 404:
            raise ManifestNotFound(f"{r} does not exist.")
        if resp.status_code != 202:
            raise RegistryError(f"Deleting {r} failed: HTTP {resp.status_code} {error_text(resp)}")


@atexit.register
def _stop_all() -> None:
    """Stop registries a notebook forgot to stop (kernel shutdown)."""
    for reg in list(_RUNNING):
        with contextlib.suppress(Exception):
            reg.stop()


__all__ = [
    "READER_ROLE",
    "REGISTRY_PACKAGE",
    "LocalRegistry",
    "Pushed",
    "free_port",
    "registry_binary",
]
