"""Registry logic on data the tests write: references, challenges, indexes, sizes, tokens.

The last tests run the client against a tiny HTTP server on 127.0.0.1 that the
test itself serves, to check the bearer-token dance and the index -> manifest
walk without any real registry.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from dockerlab.errors import NoRegistry
from dockerlab.registry import api as r
from dockerlab.registry.server import free_port

DIGEST = "sha256:" + "ab" * 32


# --------------------------------------------------------------------------- references


@pytest.mark.parametrize(
    ("text", "registry", "repository", "reference"),
    [
        ("postgres:13", "registry-1.docker.io", "library/postgres", "13"),
        ("ruby", "registry-1.docker.io", "library/ruby", "latest"),
        ("docker.io/library/ruby:slim", "registry-1.docker.io", "library/ruby", "slim"),
        ("index.docker.io/ruby:3.3-alpine", "registry-1.docker.io", "library/ruby", "3.3-alpine"),
        ("bitnami/redis:7.2", "registry-1.docker.io", "bitnami/redis", "7.2"),
        ("127.0.0.1:5000/course/alpine:3.23", "127.0.0.1:5000", "course/alpine", "3.23"),
        ("localhost/x", "localhost", "x", "latest"),
        ("ghcr.io/owner/app", "ghcr.io", "owner/app", "latest"),
        (f"alpine@{DIGEST}", "registry-1.docker.io", "library/alpine", DIGEST),
        (f"alpine:3.23@{DIGEST}", "registry-1.docker.io", "library/alpine", DIGEST),
    ],
)
def test_parse_reference(text, registry, repository, reference):
    ref = r.parse_reference(text)
    assert (ref.registry, ref.repository, ref.reference) == (registry, repository, reference)


def test_reference_properties():
    hub = r.parse_reference("postgres:13")
    assert hub.is_docker_hub and not hub.is_loopback and not hub.is_digest
    assert hub.base_url == "https://registry-1.docker.io"
    assert str(hub) == "registry-1.docker.io/library/postgres:13"
    local = r.parse_reference("127.0.0.1:5000/a/b@" + DIGEST)
    assert local.is_loopback and local.is_digest and local.base_url == "http://127.0.0.1:5000"
    assert str(local) == f"127.0.0.1:5000/a/b@{DIGEST}"
    assert str(local.with_reference("v2")) == "127.0.0.1:5000/a/b:v2"


@pytest.mark.parametrize("bad", ["", "Postgres:13", "a b", "alpine@sha256:xyz", "x:-bad"])
def test_parse_reference_rejects_bad_names(bad):
    with pytest.raises(ValueError):
        r.parse_reference(bad)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1:5000", True), ("127.9.9.9", True), ("localhost:1", True), ("[::1]:5000", True),
     ("registry-1.docker.io", False), ("10.0.0.1:5000", False), ("ghcr.io", False)],
)  # fmt: skip
def test_is_loopback(host, loopback):
    assert r.is_loopback(host) is loopback


# --------------------------------------------------------------------------- challenges


def test_parse_docker_hub_challenge():
    header = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/postgres:pull"'
    )
    scheme, params = r.parse_www_authenticate(header)
    assert scheme == "bearer"
    assert params == {
        "realm": "https://auth.docker.io/token",
        "service": "registry.docker.io",
        "scope": "repository:library/postgres:pull",
    }


def test_parse_challenge_with_commas_in_quotes_and_bare_values():
    scheme, params = r.parse_www_authenticate(
        'Bearer realm="https://a/t", scope="repository:x/y:pull,push", error=insufficient_scope'
    )
    assert scheme == "bearer"
    assert params["scope"] == "repository:x/y:pull,push"
    assert params["error"] == "insufficient_scope"
    assert r.parse_www_authenticate('Basic realm="r"') == ("basic", {"realm": "r"})


# --------------------------------------------------------------------------- indexes and sizes


def _entry(arch, os_="linux", variant=None, digest=DIGEST):
    platform = {"architecture": arch, "os": os_, **({"variant": variant} if variant else {})}
    return {"mediaType": r.OCI_MANIFEST, "digest": digest, "size": 1000, "platform": platform}


INDEX = {
    "mediaType": r.OCI_INDEX,
    "manifests": [
        _entry("unknown", "unknown", digest="sha256:" + "00" * 32),  # an attestation
        _entry("arm", variant="v7", digest="sha256:" + "07" * 32),
        _entry("arm64", variant="v8", digest="sha256:" + "08" * 32),
        _entry("amd64", digest="sha256:" + "64" * 32),
    ],
}


def test_pick_platform():
    assert r.pick_platform(INDEX)["digest"] == "sha256:" + "64" * 32
    assert r.pick_platform(INDEX, "linux/arm64")["digest"] == "sha256:" + "08" * 32
    assert r.pick_platform(INDEX, "linux/arm/v7")["digest"] == "sha256:" + "07" * 32


def test_pick_platform_missing_lists_what_is_there():
    with pytest.raises(r.RegistryError) as info:
        r.pick_platform(INDEX, "linux/s390x")
    msg = str(info.value)
    assert "linux/amd64" in msg and "linux/arm64/v8" in msg and "unknown" not in msg
    with pytest.raises(r.RegistryError):
        r.pick_platform(INDEX, "linux/arm/v6")


MANIFEST = {
    "schemaVersion": 2,
    "mediaType": r.DOCKER_MANIFEST,
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1500,
               "digest": "sha256:" + "c0" * 32},
    "layers": [
        {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 3_000_000,
         "digest": "sha256:" + "11" * 32},
        {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 250,
         "digest": "sha256:" + "22" * 32},
    ],
}  # fmt: skip


def test_total_size_sums_config_and_layers():
    assert r.total_size(MANIFEST) == 1500 + 3_000_000 + 250


def test_total_size_refuses_an_index_and_garbage():
    with pytest.raises(r.RegistryError, match="pick a platform"):
        r.total_size(INDEX)
    with pytest.raises(r.RegistryError):
        r.total_size({"layers": []})


def test_image_manifest_sizes():
    m = r.ImageManifest(
        reference="x",
        digest=DIGEST,
        media_type=r.DOCKER_MANIFEST,
        config=r.Blob.from_descriptor(MANIFEST["config"]),
        layers=tuple(r.Blob.from_descriptor(d) for d in MANIFEST["layers"]),
    )
    assert m.layer_sizes == [3_000_000, 250]
    assert m.compressed_bytes == 3_001_750
    assert m.compressed_mb == 3.0
    assert m.tag_digest == DIGEST


def test_accept_header_names_all_four_types():
    for media_type in (r.DOCKER_MANIFEST, r.DOCKER_MANIFEST_LIST, r.OCI_INDEX, r.OCI_MANIFEST):
        assert media_type in r.ACCEPT


# --------------------------------------------------------------------------- offline


def test_offline_raises_no_registry_at_once(monkeypatch):
    monkeypatch.setenv("DOCKERLAB_OFFLINE", "1")
    with pytest.raises(NoRegistry):
        r.read_manifest("postgres:13")


def test_unreachable_loopback_registry_raises_no_registry():
    port = free_port()  # nothing listens there
    with pytest.raises(NoRegistry):
        r.read_manifest(f"127.0.0.1:{port}/x/y:z")


# --------------------------------------------------------------------------- token dance


class _FakeRegistry(BaseHTTPRequestHandler):
    """Answers like Docker Hub: 401 + challenge, a token endpoint, an index, an image."""

    token = "tok-123"
    image_digest = "sha256:" + "64" * 32
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def log_message(self, *args):  # quiet
        pass

    def _send(self, code, body, media_type="application/json", headers=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        host = self.headers["Host"]
        self.seen.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("/token"):
            assert "scope=repository%3Alibrary%2Fpg%3Apull" in self.path
            return self._send(200, {"token": self.token})
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            challenge = (
                f'Bearer realm="http://{host}/token",service="fake",'
                'scope="repository:library/pg:pull"'
            )
            return self._send(401, {"errors": []}, headers={"WWW-Authenticate": challenge})
        if self.path == "/v2/library/pg/manifests/13":
            assert r.OCI_INDEX in self.headers["Accept"]
            return self._send(200, INDEX, r.OCI_INDEX, {"Docker-Content-Digest": DIGEST})
        if self.path == f"/v2/library/pg/manifests/{self.image_digest}":
            return self._send(200, MANIFEST, r.DOCKER_MANIFEST,
                              {"Docker-Content-Digest": self.image_digest})  # fmt: skip
        return self._send(404, {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "unknown"}]})


@pytest.fixture
def fake_hub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeRegistry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeRegistry.seen = []
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_token_flow_and_index_walk(fake_hub):
    with r.RegistryClient() as rc:
        m = rc.manifest(f"{fake_hub}/library/pg:13")
        assert m.index_digest == DIGEST and m.index_media_type == r.OCI_INDEX
        assert m.digest == _FakeRegistry.image_digest and m.platform == "linux/amd64"
        assert m.compressed_bytes == r.total_size(MANIFEST)
        # the token is cached: one token request for both manifests
        assert sum(p.startswith("/token") for p, _ in _FakeRegistry.seen) == 1
        with pytest.raises(r.ManifestNotFound, match="MANIFEST_UNKNOWN"):
            rc.manifest(f"{fake_hub}/library/pg:14")


def test_repeated_waiting_lines_are_not_progress():
    """The containerd image store repeats 'Waiting' ten times a second while a registry
    says nothing (seen on Docker 28.5): only a new status or a moved byte count is progress."""
    import requests

    from dockerlab.core.transfer import progressing

    def stalled():
        yield {"status": "Pushing", "id": "a", "progressDetail": {"current": 1, "total": 9}}
        while True:
            yield {"status": "Waiting", "id": "a", "progressDetail": {}}
            time.sleep(0.01)

    seen = 0
    with pytest.raises(requests.exceptions.ReadTimeout, match=r"no progress for 0\.2 s"):
        for _ in progressing(stalled(), 0.2):
            seen += 1
    assert seen > 5  # it read on, and gave up only once nothing had moved for 0.2 s

    moving = [{"status": "Pushing", "id": "a", "progressDetail": {"current": n}} for n in range(5)]
    assert list(progressing(iter(moving), 0.01)) == moving


# --------------------------------------------------------------------------- sizes on record


class _StubHub:
    """Answers ``manifest`` like RegistryClient: a size for some references, an error for others."""

    def __init__(self, sizes, errors=()):
        self.sizes, self.errors, self.asked, self.closed = sizes, dict(errors), [], False

    def manifest(self, ref):
        self.asked.append(ref)
        if ref in self.errors:
            raise self.errors[ref]
        return type("Manifest", (), {"compressed_mb": self.sizes[ref]})()


def test_sizes_on_record_offline_labels_every_figure_with_its_source():
    table = r.sizes_on_record({"alpine": "3.9 MB compressed (here)"})
    assert table.index.name == "image" and list(table.columns) == r.RECORD_COLUMNS
    assert list(table.index) == [s.image for s in r.SIZES_ON_RECORD]
    assert table.loc["alpine", "measured here"] == "3.9 MB compressed (here)"
    others = table.drop(index="alpine")
    assert set(others["measured here"]) == {"not measured (offline)"}
    assert all(table["source of 'recorded'"].str.startswith("repo-info repos/"))
    assert table.loc["postgres:13", "article (2021)"] == "314 MB"


def test_sizes_on_record_reads_the_others_live_and_says_what_it_could_not_read():
    sizes = {s.image: 10.5 for s in r.SIZES_ON_RECORD}
    hub = _StubHub(sizes, {"ruby:2.7.2": r.ManifestNotFound("ruby:2.7.2 does not exist\nmore"),
                           "ruby:2.7.2-slim": NoRegistry("Docker Hub does not answer.")})  # fmt: skip
    table = r.sizes_on_record({"alpine": "measured"}, live=True, client=hub)
    assert "alpine" not in hub.asked and len(hub.asked) == len(r.SIZES_ON_RECORD) - 1
    assert table.loc["postgres:13", "measured here"] == "10.5 MB compressed (Docker Hub, live)"
    assert table.loc["ruby:2.7.2", "measured here"] == "could not read: ruby:2.7.2 does not exist"
    assert table.loc["ruby:2.7.2-slim", "measured here"].startswith("could not read: Docker Hub")
    assert table.loc["alpine", "measured here"] == "measured"


def test_sizes_on_record_are_the_figures_of_the_sources_page():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "sources.md").read_text()
    section = page.split("## Image sizes on record", 1)[1].split("\n## ", 1)[0]
    for record in r.SIZES_ON_RECORD:
        for figure in re.findall(r"\d+\.\d+ MB|\d+\.\d+ /", record.recorded):
            assert figure.split()[0] in section, (record.image, figure)


# --------------------------------------------------------------------------- the engine route


def test_the_route_writes_one_request_per_connection():
    import requests

    from dockerlab.registry.route import request_bytes

    req = requests.Request(
        "HEAD", "http://127.0.0.1:5000/v2/a/b/manifests/t?n=1", headers={"Accept": "x/y"}
    ).prepare()
    raw = request_bytes(req, "127.0.0.1:5000")
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HEAD /v2/a/b/manifests/t?n=1 HTTP/1.1"
    assert {"Host: 127.0.0.1:5000", "Connection: close", "Accept: x/y"} <= set(lines)
    assert body == b""


def test_the_route_knows_when_an_answer_is_whole():
    from dockerlab.registry.route import answer_complete

    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
    assert not answer_complete(b"HTTP/1.1 200 OK\r\nContent-Le", "GET")
    assert not answer_complete(ok + b"{", "GET")
    assert answer_complete(ok + b"{}", "GET")
    assert answer_complete(b"HTTP/1.1 200 OK\r\nContent-Length: 3862211\r\n\r\n", "HEAD")
    assert answer_complete(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", "DELETE")
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n"
    assert not answer_complete(chunked, "GET")
    assert answer_complete(chunked + b"0\r\n\r\n", "GET")
    assert not answer_complete(b"HTTP/1.1 200 OK\r\n\r\nno length", "GET")  # until EOF


def test_the_route_reads_an_answer_as_requests_does():
    import requests

    from dockerlab.registry.route import parse_response

    req = requests.Request("GET", "http://127.0.0.1:5000/v2/x/tags/list").prepare()
    body = b'{"name":"x","tags":["1"]}'
    raw = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Docker-Content-Digest: sha256:ab\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    )
    resp = parse_response(raw, req)
    assert resp.status_code == 200 and resp.json() == {"name": "x", "tags": ["1"]}
    assert resp.headers["docker-content-digest"] == "sha256:ab"
    with pytest.raises(requests.ConnectionError, match="No HTTP answer"):
        parse_response(b"", req)
