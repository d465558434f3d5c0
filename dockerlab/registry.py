"""Registries: a real one on this machine, and reading manifests without pulling.

Two halves:

- :class:`LocalRegistry` runs the real distribution registry (Debian's
  ``docker-registry`` package, distribution 2.8) on ``127.0.0.1`` at a free
  port, with its storage in a temporary folder. It is a context manager:
  started on demand, stopped and its folder removed afterwards. The engine
  pushes to ``127.0.0.1:PORT`` without any TLS setting, because Docker treats
  ``127.0.0.0/8`` as an insecure registry it may use over plain HTTP.
- :class:`RegistryClient` (and the shortcut :func:`read_manifest`) reads an
  image's manifest from any registry over the distribution API, without
  pulling a single layer: digest, media type, and the **compressed** size of
  the config and each layer, which is what a registry stores and what
  ``docker pull`` downloads. Docker Hub's anonymous token flow is built in, so
  ``read_manifest("postgres:13")`` works wherever Docker Hub is reachable. For a
  multi-platform image (manifest list / OCI index) one platform is picked
  (``linux/amd64`` by default).

Nothing here waits on a registry that is not there: remote hosts get short
timeouts, and an unreachable (or ``DOCKERLAB_OFFLINE``) registry raises
:class:`~dockerlab.errors.NoRegistry` at once.

Example:
    >>> from dockerlab import registry
    >>> with registry.LocalRegistry() as reg:                        # doctest: +SKIP
    ...     pushed = reg.push(dl.ref("alpine"), "course/alpine", "3.23")
    ...     reg.manifest("course/alpine:3.23").compressed_mb
    3.86
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import ipaddress
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors
import requests

from .building import BuiltImage
from .engine import STALLED, client, progressing, registry_reachable, stopped, transfer_api
from .errors import DockerlabError, ImageNotFound, ManifestNotFound, NoRegistry, RegistryError
from .private_engine import cache_dir

# --------------------------------------------------------------------------- media types

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
#: Media types that list one manifest per platform.
INDEX_TYPES = frozenset({DOCKER_MANIFEST_LIST, OCI_INDEX})
#: Media types that describe one image (config + layers).
IMAGE_TYPES = frozenset({DOCKER_MANIFEST, OCI_MANIFEST})
#: What we send as ``Accept``: without it registries may answer with the old schema 1.
ACCEPT = ", ".join([DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST])

DOCKER_HUB = "registry-1.docker.io"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
#: (connect, read) seconds for remote registries; loopback ones answer at once.
TIMEOUT = (3.0, 15.0)
#: Seconds a push through the engine may go without any progress.
TRANSFER_TIMEOUT = 120
_NO_ANSWER_HINT = (
    "The registry did not answer in time. Is it running, and not paused or overloaded? "
    "Start it again (a `with LocalRegistry() as reg:` block) and rerun the cell."
)

# --------------------------------------------------------------------------- references


@dataclass(frozen=True)
class Reference:
    """An image reference split the way Docker splits it.

    Attributes:
        registry: Host (and port) of the registry, ``registry-1.docker.io`` for Docker Hub.
        repository: The repository path, with ``library/`` for official images.
        reference: A tag (``"13"``) or a digest (``"sha256:..."``).
    """

    registry: str
    repository: str
    reference: str

    @property
    def is_digest(self) -> bool:
        return ":" in self.reference

    @property
    def is_docker_hub(self) -> bool:
        return self.registry == DOCKER_HUB

    @property
    def is_loopback(self) -> bool:
        return is_loopback(self.registry)

    @property
    def base_url(self) -> str:
        """``http://`` for a registry on this machine, ``https://`` elsewhere."""
        return f"{'http' if self.is_loopback else 'https'}://{self.registry}"

    def with_reference(self, reference: str) -> Reference:
        """The same repository at another tag or digest."""
        return Reference(self.registry, self.repository, reference)

    def __str__(self) -> str:
        sep = "@" if self.is_digest else ":"
        return f"{self.registry}/{self.repository}{sep}{self.reference}"


def parse_reference(ref: str, default_registry: str = DOCKER_HUB) -> Reference:
    """Split an image reference the way ``docker pull`` reads it.

    The first path component is a registry host if it contains a dot or a
    colon, or is ``localhost``; otherwise the image is on Docker Hub, where
    one-component names are official images under ``library/``. No tag means
    ``latest``.

    Args:
        ref: ``postgres:13``, ``ruby``, ``bitnami/redis:7``, ``127.0.0.1:5000/x/y:t``,
            ``alpine@sha256:...``.
        default_registry: Where names without a registry live.

    Returns:
        The :class:`Reference`.

    Raises:
        ValueError: ``ref`` is empty or not a valid reference.

    Example:
        >>> parse_reference("postgres:13")
        Reference(registry='registry-1.docker.io', repository='library/postgres', reference='13')
    """
    text = ref.strip()
    if not text or " " in text:
        raise ValueError(f"{ref!r} is not an image reference")
    name, digest = text, None
    if "@" in text:
        name, digest = text.split("@", 1)
        if not re.fullmatch(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Fa-f0-9]{32,}", digest):
            raise ValueError(f"{ref!r}: {digest!r} is not a digest (like sha256:<64 hex digits>)")
    tag = None
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = default_registry, name
    if registry in _HUB_ALIASES:
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    if not path or not re.fullmatch(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*", path):  # fmt: skip
        raise ValueError(f"{ref!r}: {path!r} is not a valid repository name (lowercase, / . _ -)")
    if tag is not None and not re.fullmatch(r"[\w][\w.-]{0,127}", tag):
        raise ValueError(f"{ref!r}: {tag!r} is not a valid tag")
    return Reference(registry, path, digest or tag or "latest")


def is_loopback(registry: str) -> bool:
    """True if ``registry`` (``host`` or ``host:port``) is on this machine."""
    if registry.startswith("["):  # [::1]:5000
        host = registry[1:].split("]", 1)[0]
    else:
        host = registry.rsplit(":", 1)[0] if registry.count(":") == 1 else registry
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --------------------------------------------------------------------------- auth


def parse_www_authenticate(header: str) -> tuple[str, dict[str, str]]:
    """Parse a ``WWW-Authenticate`` challenge.

    Args:
        header: e.g. ``Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/postgres:pull"``.

    Returns:
        (scheme in lower case, parameters). Quoted values may hold commas
        (``scope="repository:x:pull,push"``).

    Example:
        >>> parse_www_authenticate('Bearer realm="https://a/token",service="reg"')
        ('bearer', {'realm': 'https://a/token', 'service': 'reg'})
    """
    scheme, _, rest = header.strip().partition(" ")
    params = {}
    for m in re.finditer(r'([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))', rest):
        value = m[2] if m[2] is not None else m[3]
        params[m[1].lower()] = re.sub(r"\\(.)", r"\1", value)
    return scheme.lower(), params


# --------------------------------------------------------------------------- manifests


@dataclass(frozen=True)
class Blob:
    """One blob a manifest points at (the config, or a layer).

    Attributes:
        digest: ``sha256:...``.
        size: Bytes as stored in the registry (layers are compressed).
        media_type: What the blob is (``...tar.gzip`` for a gzip layer).
    """

    digest: str
    size: int
    media_type: str = ""

    @classmethod
    def from_descriptor(cls, d: Mapping) -> Blob:
        return cls(str(d["digest"]), int(d["size"]), str(d.get("mediaType", "")))


@dataclass(frozen=True)
class ImageManifest:
    """One image's manifest, as a registry serves it.

    Attributes:
        reference: What was asked for (``registry/repository:tag``).
        digest: The manifest's digest: what ``image@sha256:...`` pins.
        media_type: Docker v2 schema 2 or OCI image manifest.
        config: The image config blob.
        layers: The layer blobs, bottom first, with their compressed sizes.
        platform: ``os/arch[/variant]`` when it was picked from an index, else None.
        index_digest: The digest of the index (manifest list) the tag points
            at, when it points at one; that is what the tag resolves to.
        index_media_type: The index's media type, if any.
    """

    reference: str
    digest: str
    media_type: str
    config: Blob
    layers: tuple[Blob, ...]
    platform: str | None = None
    index_digest: str | None = None
    index_media_type: str | None = None

    @property
    def layer_sizes(self) -> list[int]:
        """Compressed bytes of each layer, bottom first."""
        return [b.size for b in self.layers]

    @property
    def compressed_bytes(self) -> int:
        """Config plus every layer, as stored: what a pull downloads."""
        return self.config.size + sum(self.layer_sizes)

    @property
    def compressed_mb(self) -> float:
        """:attr:`compressed_bytes` in MB (10^6 bytes), rounded to 0.01."""
        return round(self.compressed_bytes / 1e6, 2)

    @property
    def tag_digest(self) -> str:
        """The digest the tag points at (the index's, for a multi-platform image)."""
        return self.index_digest or self.digest


def total_size(manifest: Mapping) -> int:
    """Config plus layer sizes of an image manifest (a parsed JSON document).

    Raises:
        RegistryError: The document is an index or has no config/layers.
    """
    if manifest.get("mediaType") in INDEX_TYPES or "manifests" in manifest:
        raise RegistryError("This is an index (one manifest per platform): pick a platform first.")
    try:
        return int(manifest["config"]["size"]) + sum(int(x["size"]) for x in manifest["layers"])
    except (KeyError, TypeError, ValueError) as e:
        raise RegistryError(f"Not an image manifest (missing {e}).") from None


def platform_string(p: Mapping) -> str:
    """``os/architecture[/variant]`` of an index entry's ``platform``."""
    parts = [p.get("os", "?"), p.get("architecture", "?")]
    if p.get("variant"):
        parts.append(p["variant"])
    return "/".join(parts)


def course_platform() -> str:
    """The platform manifests are read for by default: the course's (``$DOCKERLAB_PLATFORM``),
    else the connected engine's, else this machine's (``linux/arm64`` on an Apple Silicon Mac)."""
    from .engine import current_info, requested_platform
    from .private_engine import machine_arch

    info = current_info()
    return requested_platform() or f"linux/{info.arch if info else machine_arch()}"


def pick_platform(index: Mapping, platform: str | None = None) -> Mapping:
    """The entry of an index (manifest list) for one platform.

    Args:
        index: A parsed manifest list or OCI index.
        platform: ``os/arch`` or ``os/arch/variant`` (``linux/arm64/v8``). Without a
            variant, an entry with any variant matches (the first one listed).

    Returns:
        The entry (``digest``, ``size``, ``mediaType``, ``platform``).

    Raises:
        RegistryError: No entry for that platform; the message lists those there are.
            Attestation entries (``unknown/unknown``) are never picked.
    """
    platform = platform or course_platform()
    want = platform.split("/")
    if len(want) < 2:
        raise ValueError(f"platform {platform!r}: use os/arch, e.g. linux/amd64")
    entries = [m for m in index.get("manifests", []) if m.get("platform")]
    real = [m for m in entries if m["platform"].get("os") != "unknown"]
    for m in real:
        p = m["platform"]
        if [p.get("os"), p.get("architecture")] != want[:2]:
            continue
        if len(want) == 2 or p.get("variant") == want[2]:
            return m
    there = ", ".join(sorted({platform_string(m["platform"]) for m in real})) or "none"
    raise RegistryError(f"No {platform} image in this index; it has: {there}.")


# --------------------------------------------------------------------------- the client


class RegistryClient:
    """Talks the distribution API (``/v2/``) to one or more registries.

    Anonymous bearer tokens (Docker Hub) are fetched on a 401 and cached per
    scope. Keep one client for several calls: it reuses connections and tokens.

    Args:
        timeout: (connect, read) seconds for registries that are not on this machine.
    """

    def __init__(self, timeout: tuple[float, float] = TIMEOUT) -> None:
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "dockerlab (docker course kit)"
        self._tokens: dict[tuple[str, str, str], str] = {}

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- HTTP with the token dance

    def _check_reachable(self, ref: Reference) -> None:
        if ref.is_loopback:
            return
        offline = os.environ.get("DOCKERLAB_OFFLINE", "") not in ("", "0")
        host = ref.registry.rsplit(":", 1)[0]
        if offline or (ref.is_docker_hub and not registry_reachable(host)):
            raise NoRegistry(
                f"The registry {ref.registry} is not reachable from this machine, so the "
                f"manifest of {ref} cannot be read.",
                hint="Offline: use the figures recorded with their sources (docs/facts.md).",
            )

    def _send(self, method: str, ref: Reference, path: str, headers: dict[str, str]):
        url = f"{ref.base_url}/v2/{path}"
        timeout = (1.0, 10.0) if ref.is_loopback else self.timeout
        try:
            return self.session.request(method, url, headers=headers, timeout=timeout)
        except (requests.ConnectionError, requests.Timeout) as e:
            raise NoRegistry(
                f"No answer from the registry at {ref.base_url} ({type(e).__name__}).",
                hint=_NO_ANSWER_HINT if ref.is_loopback else None,
            ) from None

    def request(
        self, method: str, ref: Reference, path: str, headers: Mapping[str, str] | None = None
    ) -> requests.Response:
        """One request to ``/v2/<path>`` of ``ref``'s registry, with a token if it asks for one.

        Raises:
            NoRegistry: The registry (or its token service) does not answer.
            RegistryError: It refused access even with a token.
        """
        self._check_reachable(ref)
        hdrs = dict(headers or {})
        resp = self._send(method, ref, path, hdrs)
        if resp.status_code != 401:
            return resp
        scheme, params = parse_www_authenticate(resp.headers.get("WWW-Authenticate", ""))
        if scheme != "bearer" or "realm" not in params:
            raise RegistryError(
                f"{ref.registry} wants credentials ({scheme or 'no scheme'}); "
                "the kit only reads public images anonymously."
            )
        scope = params.get("scope") or f"repository:{ref.repository}:pull"
        hdrs["Authorization"] = f"Bearer {self._token(params['realm'], params.get('service', ''), scope)}"  # fmt: skip
        resp = self._send(method, ref, path, hdrs)
        if resp.status_code == 401:
            raise RegistryError(
                f"{ref.registry} refused an anonymous token for {ref.repository}: the "
                "repository is private or does not exist.",
                hint="Check the name; official images are under library/ on Docker Hub.",
            )
        return resp

    def _token(self, realm: str, service: str, scope: str) -> str:
        key = (realm, service, scope)
        if key in self._tokens:
            return self._tokens[key]
        params = {"scope": scope, **({"service": service} if service else {})}
        try:
            r = self.session.get(realm, params=params, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as e:
            raise NoRegistry(f"The token service {realm} does not answer ({type(e).__name__}).") from None  # fmt: skip
        if r.status_code != 200:
            raise RegistryError(
                f"The token service {realm} answered {r.status_code}: {r.text[:200]}"
            )
        body = r.json()
        token = body.get("token") or body.get("access_token")
        if not token:
            raise RegistryError(f"The token service {realm} gave no token.")
        self._tokens[key] = token
        return token

    # -- the API calls lessons use

    def fetch_manifest(self, ref: Reference | str) -> tuple[dict, str, str]:
        """The raw manifest document a reference points at (index or image).

        Returns:
            (parsed JSON, its media type, its digest).

        Raises:
            ManifestNotFound: No such repository or tag on the registry.
        """
        ref = parse_reference(ref) if isinstance(ref, str) else ref
        resp = self.request("GET", ref, f"{ref.repository}/manifests/{ref.reference}",
                            {"Accept": ACCEPT})  # fmt: skip
        if resp.status_code == 404:
            raise ManifestNotFound(f"{ref} does not exist: {_error_text(resp)}")
        if resp.status_code != 200:
            raise RegistryError(
                f"Reading {ref} failed: HTTP {resp.status_code} {_error_text(resp)}"
            )
        body = resp.content
        try:
            doc = json.loads(body)
        except ValueError:
            raise RegistryError(f"{ref}: the registry's answer is not JSON.") from None
        media_type = (resp.headers.get("Content-Type", "").split(";")[0].strip()
                      or doc.get("mediaType", ""))  # fmt: skip
        if media_type not in INDEX_TYPES | IMAGE_TYPES:
            media_type = doc.get("mediaType") or media_type
        digest = resp.headers.get("Docker-Content-Digest") or "sha256:" + hashlib.sha256(body).hexdigest()  # fmt: skip
        return doc, media_type, digest

    def manifest(self, ref: Reference | str, platform: str | None = None) -> ImageManifest:
        """Read an image's manifest and compressed sizes, without pulling anything.

        Args:
            ref: ``postgres:13``, ``127.0.0.1:5000/course/alpine:3.23``, ``x@sha256:...``.
            platform: Which image of a multi-platform index to read.

        Returns:
            The :class:`ImageManifest` (digest, media type, per-layer compressed sizes).

        Raises:
            NoRegistry: The registry is not reachable (fast when offline).
            ManifestNotFound: The repository or tag does not exist.
            RegistryError: Anything else the registry refused or sent that we cannot read.
        """
        ref = parse_reference(ref) if isinstance(ref, str) else ref
        doc, media_type, digest = self.fetch_manifest(ref)
        index_digest = index_type = picked = None
        if media_type in INDEX_TYPES or "manifests" in doc:
            entry = pick_platform(doc, platform)
            index_digest, index_type = digest, media_type
            picked = platform_string(entry["platform"])
            doc, media_type, digest = self.fetch_manifest(ref.with_reference(entry["digest"]))
        if media_type not in IMAGE_TYPES:
            raise RegistryError(
                f"{ref}: manifest type {media_type or 'unknown'!r} is not one the kit reads "
                "(Docker v2 schema 2 or OCI)."
            )
        total_size(doc)  # validates the document
        return ImageManifest(
            reference=str(ref),
            digest=digest,
            media_type=media_type,
            config=Blob.from_descriptor(doc["config"]),
            layers=tuple(Blob.from_descriptor(d) for d in doc["layers"]),
            platform=picked,
            index_digest=index_digest,
            index_media_type=index_type,
        )

    def digest(self, ref: Reference | str) -> str:
        """The digest a tag points at now (a ``HEAD``; for an index, the index's digest)."""
        ref = parse_reference(ref) if isinstance(ref, str) else ref
        resp = self.request("HEAD", ref, f"{ref.repository}/manifests/{ref.reference}",
                            {"Accept": ACCEPT})  # fmt: skip
        if resp.status_code == 404:
            raise ManifestNotFound(f"{ref} does not exist.")
        if resp.status_code != 200 or "Docker-Content-Digest" not in resp.headers:
            return self.fetch_manifest(ref)[2]
        return resp.headers["Docker-Content-Digest"]

    def tags(self, repository: Reference | str) -> list[str]:
        """The tags of a repository (``GET /v2/<name>/tags/list``), sorted."""
        ref = parse_reference(repository) if isinstance(repository, str) else repository
        resp = self.request("GET", ref, f"{ref.repository}/tags/list")
        if resp.status_code == 404:
            raise ManifestNotFound(f"The repository {ref.registry}/{ref.repository} does not exist.")  # fmt: skip
        if resp.status_code != 200:
            raise RegistryError(f"Listing tags of {ref.repository} failed: HTTP {resp.status_code}")
        return sorted(resp.json().get("tags") or [])

    def blob_size(self, ref: Reference | str, digest: str) -> int:
        """The stored size of one blob (a ``HEAD`` on ``/v2/<name>/blobs/<digest>``)."""
        ref = parse_reference(ref) if isinstance(ref, str) else ref
        resp = self.request("HEAD", ref, f"{ref.repository}/blobs/{digest}")
        if resp.status_code == 404:
            raise ManifestNotFound(f"The blob {digest} is not in {ref.repository}.")
        if resp.status_code not in (200, 307):
            raise RegistryError(f"HEAD on blob {digest} failed: HTTP {resp.status_code}")
        return int(resp.headers["Content-Length"])


def _error_text(resp: requests.Response) -> str:
    """The registry's own error message (``{"errors": [{"message": ...}]}``) if any."""
    try:
        errs = resp.json().get("errors") or []
        return "; ".join(f"{e.get('code', '')} {e.get('message', '')}".strip() for e in errs)
    except ValueError:
        return resp.reason or ""


def read_manifest(ref: str, platform: str | None = None) -> ImageManifest:
    """Shortcut: the manifest (and compressed size) of ``ref`` from its registry.

    Example:
        >>> read_manifest("postgres:13-alpine").compressed_mb  # doctest: +SKIP
        104.3
    """
    with RegistryClient() as rc:
        return rc.manifest(ref, platform)


def compressed_sizes(refs: Iterable[str], platform: str | None = None) -> dict[str, ImageManifest]:  # fmt: skip
    """Read several references' manifests with one client (shared tokens and connections)."""
    with RegistryClient() as rc:
        return {r: rc.manifest(r, platform) for r in refs}


# --------------------------------------------------------------------------- local registry

REGISTRY_PACKAGE = "docker-registry"
_CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: {secret}
"""
_RUNNING: set[LocalRegistry] = set()


def registry_binary() -> str:
    """Path of the ``docker-registry`` program, fetching it if we may.

    Looks at ``$DOCKERLAB_REGISTRY_BIN``, then ``PATH``, then the kit's cache. If
    it is nowhere and this is Debian/Ubuntu as root, Debian's ``docker-registry``
    package (distribution 2.8) is downloaded with ``apt-get download`` and
    unpacked into the kit's cache: its binary only, so no system service is
    installed or started (the package's own service would listen on every
    interface).

    Raises:
        DockerlabError: It is missing and cannot be fetched here.
    """
    env = os.environ.get("DOCKERLAB_REGISTRY_BIN")
    if env:
        if not os.access(env, os.X_OK):
            raise DockerlabError(f"DOCKERLAB_REGISTRY_BIN={env} is not an executable file.")
        return env
    cached = cache_dir() / "registry" / "usr" / "bin" / "docker-registry"
    for candidate in (shutil.which("docker-registry"), "/usr/bin/docker-registry", str(cached)):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if not (sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("apt-get")):
        raise DockerlabError(
            "The registry program (docker-registry, distribution 2.8) is not installed.",
            hint="Install it (Debian/Ubuntu: `sudo apt-get install docker-registry`) or set "
            "DOCKERLAB_REGISTRY_BIN to a `registry` binary of distribution 2.x.",
        )
    _fetch_registry_package(cached.parents[2])
    return str(cached)


def _fetch_registry_package(target: Path) -> None:
    """``apt-get download docker-registry`` (this machine's apt sources) and unpack its
    files into ``target``."""
    from dataclasses import replace

    from .downloads import HOST_APT, debian_packages, unpack_deb

    print("Fetching Debian's docker-registry package (the distribution registry) ...", flush=True)
    hint = f"Install it by hand: `apt-get install {REGISTRY_PACKAGE}`."
    with tempfile.TemporaryDirectory(prefix="dockerlab-registry-deb-") as tmp:
        (deb,) = debian_packages([REGISTRY_PACKAGE], Path(tmp), apt=replace(HOST_APT, hint=hint))
        unpack_deb(deb, target, hint=hint)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Pushed:
    """What :meth:`LocalRegistry.push` pushed.

    Attributes:
        ref: ``127.0.0.1:PORT/repository:tag``.
        digest: The manifest digest the registry stored.
        manifest_size: The manifest's own size in bytes (as the push reported it).
    """

    ref: str
    digest: str
    manifest_size: int

    @property
    def pinned(self) -> str:
        """The reference pinned by digest: ``127.0.0.1:PORT/repository@sha256:...``."""
        return f"{self.ref.rsplit(':', 1)[0]}@{self.digest}"


@dataclass(eq=False)
class LocalRegistry:
    """A real distribution registry on ``127.0.0.1``, for as long as you need it.

    Storage lives in a temporary folder that :meth:`stop` deletes; the port is a
    free one (or ``port``). Nothing listens beyond loopback. As a context
    manager it starts on entry and stops on exit; a registry left running when
    Python exits is stopped then.

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
    _proc: subprocess.Popen | None = field(default=None, init=False, repr=False)
    _client: RegistryClient | None = field(default=None, init=False, repr=False)
    _tags: list[str] = field(default_factory=list, init=False, repr=False)

    # -- lifecycle

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``: the registry part of references to this registry."""
        if self.port is None:
            raise DockerlabError("The local registry has not been started.")
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def start(self) -> LocalRegistry:
        """Start the registry and wait until ``GET /v2/`` answers.

        Raises:
            DockerlabError: The program is missing or did not come up (its log's
                end is in the message).
        """
        if self.running:
            return self
        binary = registry_binary()
        fixed = self.port
        last = ""
        for _attempt in range(3):  # a free port can be taken between our check and its bind
            self.folder = Path(tempfile.mkdtemp(prefix="dockerlab-registry-"))
            self.port = fixed or free_port()
            (self.folder / "data").mkdir()
            cfg = self.folder / "config.yml"
            cfg.write_text(_CONFIG.format(root=self.folder / "data", port=self.port,
                                          secret=secrets.token_hex(16)))  # fmt: skip
            log = open(self.folder / "registry.log", "wb")  # noqa: SIM115 - the child holds it
            try:
                self._proc = subprocess.Popen(
                    [binary, "serve", str(cfg)], stdout=log, stderr=log,
                    stdin=subprocess.DEVNULL, start_new_session=True,
                )  # fmt: skip
            finally:
                log.close()
            if self._wait_ready():
                _RUNNING.add(self)
                self._client = RegistryClient()
                return self
            last = (self.folder / "registry.log").read_text(errors="replace")[-2000:]
            self.stop()
            if fixed:
                break
            self.port = None
        raise DockerlabError(
            "The local registry did not start.\n" + last,
            hint="Is another program using the port? Is /tmp writable?",
        )

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.wait
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False
            with contextlib.suppress(requests.RequestException):
                r = requests.get(f"{self.url}/v2/", timeout=1)
                if r.status_code == 200:
                    return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        """Untag what we pushed, stop the registry and delete its storage. Safe to repeat."""
        self._untag_all()
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
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
            raise DockerlabError("The local registry is not running: use it in a `with` block.")
        return self._client

    def _qualify(self, ref: str) -> str:
        return ref if ref.startswith(f"{self.host}/") else f"{self.host}/{ref}"

    def push(
        self, image, repository: str, tag: str = "latest", *, timeout: float = TRANSFER_TIMEOUT
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
            timeout: Seconds the push may go without progress before the kit gives up.

        Returns:
            :class:`Pushed` with the reference and the stored digest.

        Raises:
            ImageNotFound: ``image`` is not on the engine.
            RegistryError: The engine's push failed, or the registry stopped answering.
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
        digest, size, error = None, 0, None
        with transfer_api(timeout) as transfer:
            try:
                events = transfer.push(target, tag=tag, stream=True, decode=True)
                for chunk in progressing(events, timeout):
                    if "error" in chunk:
                        error = _chunk_error(chunk)
                    aux = chunk.get("aux") or {}
                    if "Digest" in aux:
                        digest, size = aux["Digest"], int(aux.get("Size", 0))
                    elif m := _PUSHED.search(str(chunk.get("status", ""))):
                        # The containerd image store reports the digest only in this line.
                        digest, size = m[1], int(m[2])
            except docker.errors.APIError as e:
                error = e.explanation or str(e)
            except STALLED as e:
                error = _stalled(e, timeout)
        self._untag(full)
        if error or not digest:
            raise RegistryError(
                f"Pushing {full} failed: {error or 'the engine reported no digest'}",
                hint=_NO_ANSWER_HINT if _timed_out(error) else None,
            )
        return Pushed(full, digest, size)

    def push_many(self, images: Mapping[str, object], tag: str = "latest") -> dict[str, Pushed]:
        """Push several images at once (repository name -> image), in parallel.

        The engine compresses each image's layers on a core of its own, so on a
        multi-core machine this takes about as long as the biggest push alone.

        Returns:
            Repository name -> :class:`Pushed`, in the order given.
        """
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=max(1, min(4, len(images)))) as pool:
            futures = {repo: pool.submit(self.push, img, repo, tag) for repo, img in images.items()}
            return {repo: f.result() for repo, f in futures.items()}

    def pull(self, ref: str, *, timeout: float = TRANSFER_TIMEOUT) -> str:
        """Pull ``repository:tag`` or ``repository@sha256:...`` from this registry into the engine.

        A pulled tag is untagged again by :meth:`stop` when the image keeps
        another name (as for :meth:`push`); a pull by digest adds no tag.

        Args:
            ref: ``repository:tag``, ``repository@digest`` or a full reference to this registry.
            timeout: Seconds the pull may go without progress before the kit gives up.

        Returns:
            The engine's image id (``sha256:...``) of what was pulled.

        Raises:
            ManifestNotFound: No such tag or digest in this registry.
            RegistryError: The engine's pull failed for another reason.
        """
        full = self._qualify(ref)
        r = parse_reference(full)
        name = f"{self.host}/{r.repository}"
        target = f"{name}@{r.reference}" if r.is_digest else f"{name}:{r.reference}"
        error = None
        with transfer_api(timeout) as transfer:
            try:
                repo, tag = (target, None) if r.is_digest else (name, r.reference)
                events = transfer.pull(repo, tag=tag, stream=True, decode=True)
                for chunk in progressing(events, timeout):
                    if "error" in chunk:
                        error = _chunk_error(chunk)
            except docker.errors.NotFound as e:
                raise ManifestNotFound(f"{full} does not exist: {e.explanation or e}") from None
            except docker.errors.APIError as e:
                error = e.explanation or str(e)
            except STALLED as e:
                error = _stalled(e, timeout)
        if error:
            raise RegistryError(f"Pulling {full} failed: {error}",
                                hint=_NO_ANSWER_HINT if _timed_out(error) else None)  # fmt: skip
        api = client().api
        if not r.is_digest and target not in self._tags:
            self._tags.append(target)
        return api.inspect_image(target)["Id"]

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
            raise RegistryError(f"Deleting {r} failed: HTTP {resp.status_code} {_error_text(resp)}")


#: The last status line of a push: ``TAG: digest: sha256:... size: N``.
_PUSHED = re.compile(r"digest: (sha256:[0-9a-f]{64}) size: (\d+)")


def _chunk_error(chunk: dict) -> str:
    """The message of an error in a push's or pull's progress stream."""
    return (chunk.get("errorDetail") or {}).get("message") or chunk["error"]


def _stalled(error: Exception, timeout: float) -> str:
    """The message for a transfer that stopped moving; raises EngineStopped if the engine left."""
    if lost := stopped():
        raise lost from None
    return f"no progress for {timeout:g} s: the registry does not answer ({type(error).__name__})"


def _timed_out(error: str | None) -> bool:
    return bool(error) and any(
        s in error for s in ("Timeout", "timeout", "no progress", "deadline")
    )


@atexit.register
def _stop_all() -> None:
    """Stop registries a notebook forgot to stop (kernel shutdown)."""
    for reg in list(_RUNNING):
        with contextlib.suppress(Exception):
            reg.stop()


__all__ = [
    "ACCEPT",
    "DOCKER_HUB",
    "Blob",
    "ImageManifest",
    "LocalRegistry",
    "ManifestNotFound",
    "Pushed",
    "Reference",
    "RegistryClient",
    "RegistryError",
    "compressed_sizes",
    "is_loopback",
    "parse_reference",
    "parse_www_authenticate",
    "pick_platform",
    "read_manifest",
    "registry_binary",
    "total_size",
]
