"""Reading a registry's manifests over its HTTP API, without pulling.

:class:`RegistryClient` (and the shortcut :func:`read_manifest`) reads an
image's manifest from any registry over the distribution API, without pulling a
single layer: digest, media type, and the **compressed** size of the config and
each layer, which is what a registry stores and what ``docker pull`` downloads.
Docker Hub's anonymous token flow is built in, so ``read_manifest("postgres:13")``
works wherever Docker Hub is reachable. For a multi-platform image (manifest list
/ OCI index) one platform is picked (the course's, :func:`dockerlab.core.engine.platform`).

Nothing here waits on a registry that is not there: remote hosts get short
timeouts, and an unreachable (or ``DOCKERLAB_OFFLINE``) registry raises
:class:`~dockerlab.errors.NoRegistry` at once. The kit's own registry,
:class:`dockerlab.registry.server.LocalRegistry`, runs on the engine's loopback and
is read through the engine's API (:data:`ROUTES`).

Example:
    >>> from dockerlab import registry_client
    >>> registry_client.read_manifest("postgres:13-alpine").compressed_mb  # doctest: +SKIP
    104.3
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
import requests

from dockerlab.core import engine
from dockerlab.core.engine import registry_reachable
from dockerlab.core.transfer import NO_ANSWER_HINT
from dockerlab.errors import ManifestNotFound, NoRegistry, RegistryError

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

#: Registry (``127.0.0.1:PORT``) -> the ``requests`` adapter that reaches it, for a registry
#: on the engine's loopback rather than this machine's (the kit's own registry, through the
#: engine's API: :mod:`dockerlab.registry.route`). Set and removed by
#: :class:`dockerlab.registry.server.LocalRegistry`; every client uses it.
ROUTES: dict[str, requests.adapters.BaseAdapter] = {}

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
    if not path or not re.fullmatch(
        r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*", path
    ):
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


def pick_platform(index: Mapping, platform: str | None = None) -> Mapping:
    """The entry of an index (manifest list) for one platform.

    Args:
        index: A parsed manifest list or OCI index.
        platform: ``os/arch`` or ``os/arch/variant`` (``linux/arm64/v8``). Without a
            variant, an entry with any variant matches (the first one listed).
            None: the course's (:func:`dockerlab.core.engine.platform`, never connecting).

    Returns:
        The entry (``digest``, ``size``, ``mediaType``, ``platform``).

    Raises:
        RegistryError: No entry for that platform; the message lists those there are.
            Attestation entries (``unknown/unknown``) are never picked.
    """
    platform = platform or engine.platform(connect=False)
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
        prefix = f"{ref.base_url}/"
        if (route := ROUTES.get(ref.registry)) is not None:
            self.session.mount(prefix, route)
        else:
            self.session.adapters.pop(prefix, None)
        timeout = (1.0, 10.0) if ref.is_loopback else self.timeout
        try:
            return self.session.request(method, url, headers=headers, timeout=timeout)
        except (requests.ConnectionError, requests.Timeout) as e:
            raise NoRegistry(
                f"No answer from the registry at {ref.base_url} ({type(e).__name__}).",
                hint=NO_ANSWER_HINT if ref.is_loopback else None,
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
        hdrs["Authorization"] = (
            f"Bearer {self._token(params['realm'], params.get('service', ''), scope)}"
        )
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
            raise NoRegistry(
                f"The token service {realm} does not answer ({type(e).__name__})."
            ) from None
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
        resp = self.request(
            "GET", ref, f"{ref.repository}/manifests/{ref.reference}", {"Accept": ACCEPT}
        )
        if resp.status_code == 404:
            raise ManifestNotFound(f"{ref} does not exist: {error_text(resp)}")
        if resp.status_code != 200:
            raise RegistryError(f"Reading {ref} failed: HTTP {resp.status_code} {error_text(resp)}")
        body = resp.content
        try:
            doc = json.loads(body)
        except ValueError:
            raise RegistryError(f"{ref}: the registry's answer is not JSON.") from None
        media_type = resp.headers.get("Content-Type", "").split(";")[0].strip() or doc.get(
            "mediaType", ""
        )
        if media_type not in INDEX_TYPES | IMAGE_TYPES:
            media_type = doc.get("mediaType") or media_type
        digest = (
            resp.headers.get("Docker-Content-Digest")
            or "sha256:" + hashlib.sha256(body).hexdigest()
        )
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
        resp = self.request(
            "HEAD", ref, f"{ref.repository}/manifests/{ref.reference}", {"Accept": ACCEPT}
        )
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
            raise ManifestNotFound(
                f"The repository {ref.registry}/{ref.repository} does not exist."
            )
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


def error_text(resp: requests.Response) -> str:
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


def compressed_sizes(refs: Iterable[str], platform: str | None = None) -> dict[str, ImageManifest]:
    """Read several references' manifests with one client (shared tokens and connections)."""
    with RegistryClient() as rc:
        return {r: rc.manifest(r, platform) for r in refs}


# --------------------------------------------------------------------------- sizes on record


@dataclass(frozen=True)
class SizeOnRecord:
    """An official image's size as Docker's official-images team recorded it.

    Attributes:
        image: The reference the article names (``postgres:13``).
        article: What the article (2021) said of its size, in its words.
        recorded: The size on record, compressed and/or unpacked, with the tag and date
            it was recorded for where that is not ``image``.
        source: Where in docker-library/repo-info the figure is (``remote/``: compressed,
            ``local/``: unpacked).
    """

    image: str
    article: str
    recorded: str
    source: str


#: The article's image sizes beside the figures on record, which the course cannot measure
#: offline. Source: docker-library/repo-info, ``repos/<image>/remote/`` and
#: ``repos/<image>/local/``; the course's words on them: docs/sources.md, section
#: "Image sizes on record" (keep the two the same).
SIZES_ON_RECORD = (
    SizeOnRecord("alpine", "under 6 MB",
                 "alpine:3.23.6: 3.8 MB compressed, 8.42 MB on disk; "
                 "alpine:3.14.8 (built 2022-08-09): 2.8 / 5.60 MB",
                 "repo-info repos/alpine/{remote,local}/"),
    SizeOnRecord("postgres:13", "314 MB",
                 "136.7 MB compressed; 13.9: 373.36 MB on disk (Jan 2023)",
                 "repo-info repos/postgres/{remote,local}/"),
    SizeOnRecord("postgres:13-alpine", "about half (~157 MB)",
                 "92.0 MB compressed; 13.9-alpine: 237.99 MB on disk (Jan 2023)",
                 "repo-info repos/postgres/{remote,local}/"),
    SizeOnRecord("ruby:2.7.2", "842 MB", "2.7.2 not on record; ruby:2.7.7: 337.1 MB compressed",
                 "repo-info repos/ruby/remote/"),
    SizeOnRecord("ruby:2.7.2-slim", "(not given)", "ruby:2.7.7-slim: 56.0 MB compressed",
                 "repo-info repos/ruby/remote/"),
    SizeOnRecord("ruby:2.7.2-alpine", "about 52 MB", "ruby:2.7.7-alpine: 20.9 MB compressed",
                 "repo-info repos/ruby/remote/"),
)  # fmt: skip
#: Columns of :func:`sizes_on_record` (its index is the image).
RECORD_COLUMNS = ["article (2021)", "measured here", "recorded", "source of 'recorded'"]


def sizes_on_record(
    measured: Mapping[str, str] | None = None,
    *,
    live: bool = False,
    client: RegistryClient | None = None,
) -> pd.DataFrame:
    """The article's image sizes, what was measured here, and the sizes on record.

    Args:
        measured: Image -> what the notebook measured of it, in words (``alpine`` -> its
            sizes on disk and compressed).
        live: Read every other image's compressed size from its registry now (Docker Hub),
            from its manifest, without pulling; when False (offline) those rows say
            "not measured (offline)" and the figures on record stand alone.
        client: A :class:`RegistryClient` to reuse for the live readings.

    Returns:
        One row per image of :data:`SIZES_ON_RECORD`, indexed by image, with the columns
        :data:`RECORD_COLUMNS`; an image whose manifest could not be read says why
        (``could not read: ...``) instead of a size.
    """
    measured = dict(measured or {})
    rows = {
        r.image: {
            "article (2021)": r.article,
            "measured here": measured.get(r.image, "not measured (offline)"),
            "recorded": r.recorded,
            "source of 'recorded'": r.source,
        }
        for r in SIZES_ON_RECORD
    }
    to_read = [image for image in rows if image not in measured]
    if live and to_read:
        rc = client or RegistryClient()
        try:
            for image in to_read:
                try:
                    mb = rc.manifest(image).compressed_mb
                    rows[image]["measured here"] = f"{mb} MB compressed (Docker Hub, live)"
                except (NoRegistry, RegistryError) as e:
                    rows[image]["measured here"] = f"could not read: {str(e).splitlines()[0]}"
        finally:
            if client is None:
                rc.close()
    table = pd.DataFrame.from_dict(rows, orient="index", columns=RECORD_COLUMNS)
    return table.rename_axis("image")


__all__ = [
    "ACCEPT",
    "DOCKER_HUB",
    "DOCKER_MANIFEST",
    "DOCKER_MANIFEST_LIST",
    "IMAGE_TYPES",
    "INDEX_TYPES",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "RECORD_COLUMNS",
    "ROUTES",
    "SIZES_ON_RECORD",
    "TIMEOUT",
    "Blob",
    "ImageManifest",
    "ManifestNotFound",
    "Reference",
    "RegistryClient",
    "RegistryError",
    "SizeOnRecord",
    "compressed_sizes",
    "error_text",
    "is_loopback",
    "parse_reference",
    "parse_www_authenticate",
    "pick_platform",
    "platform_string",
    "read_manifest",
    "sizes_on_record",
    "total_size",
]
