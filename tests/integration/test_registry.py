"""A real distribution registry on the engine's 127.0.0.1, and the engine pushing to it."""

from __future__ import annotations

import os
import time

import docker.errors
import pytest

import dockerlab as dl
from dockerlab.registry import api as registry_client
from dockerlab.registry import image as registry_image
from dockerlab.registry import server as registry_server


@pytest.fixture(scope="module")
def reg(engine):
    with registry_server.LocalRegistry() as r:
        yield r
    assert r.folder is None and not r.running


def test_engine_allows_plain_http_to_loopback(engine):
    cidrs = engine.info()["RegistryConfig"]["InsecureRegistryCIDRs"]
    assert "127.0.0.0/8" in cidrs


def test_registry_listens_on_loopback_only(reg):
    # read through the engine's API: its loopback may not be this machine's (Docker Desktop)
    answer = reg.client.request("GET", registry_client.Reference(reg.host, "x", "latest"), "")
    assert answer.status_code == 200 and answer.json() == {}
    assert reg.host.startswith("127.0.0.1:")
    assert f"addr: 127.0.0.1:{reg.port}" in (reg.folder / "config.yml").read_text()


def test_push_a_built_image_and_read_its_compressed_size(engine, bases, reg):
    payload = os.urandom(128 * 1024)  # random bytes: gzip cannot shrink them
    dockerfile = f"FROM {bases['alpine']}\nCOPY blob.bin /blob.bin\nRUN echo hi > /hi\n"
    with dl.build(dockerfile, {"blob.bin": payload}, tag="dockerlab/regtest:one",
                  progress=False) as img:  # fmt: skip
        pushed = reg.push(img, "test/regtest", "one")
        assert pushed.ref == reg.ref("test/regtest", "one")
        # our registry tag is gone again; the image keeps its own tag
        assert engine.images.get(img.id).tags == ["dockerlab/regtest:one"]

        m = reg.manifest("test/regtest:one")
        assert m.digest == pushed.digest == reg.digest("test/regtest:one")
        assert m.media_type == registry_client.DOCKER_MANIFEST and m.platform is None
        n_layers = len(engine.images.get(img.id).attrs["RootFS"]["Layers"])
        assert len(m.layers) == n_layers == 3

        # each size in the manifest is the size of the blob the registry stores (in its
        # container, wherever the engine runs: read through the engine's API)
        blobs = f"{registry_image.STORAGE}/docker/registry/v2/blobs/sha256"
        for blob in (m.config, *m.layers):
            assert reg.blob_size("test/regtest", blob.digest) == blob.size
            hexd = blob.digest.split(":")[1]
            chunks, stat = reg.container.container.get_archive(f"{blobs}/{hexd[:2]}/{hexd}/data")
            b"".join(chunks)
            assert stat["size"] == blob.size
        assert m.compressed_bytes == m.config.size + sum(m.layer_sizes)

        # compressed is smaller than on disk; the random layer barely compresses
        assert m.compressed_bytes < engine.images.get(img.id).attrs["Size"]
        assert m.layers[1].size > len(payload) * 0.9

        # by digest works too, and tags list
        assert reg.manifest(f"test/regtest@{pushed.digest}").digest == pushed.digest
        assert reg.tags("test/regtest") == ["one"]


def test_push_an_untagged_image_keeps_it(engine, bases, reg):
    with dl.build(f"FROM {bases['alpine']}\nRUN echo two > /two\n", progress=False) as img:
        pushed = reg.push(img, "test/untagged", "two")
        # the image survives (its only name was ours, so it keeps it until removed)
        assert engine.images.get(img.id)
        assert reg.manifest("test/untagged:two").digest == pushed.digest
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(pushed.ref)


def test_missing_tag_and_repository_are_clear_errors(reg):
    with pytest.raises(registry_client.ManifestNotFound, match="does not exist"):
        reg.manifest("test/regtest:no-such-tag")
    with pytest.raises(registry_client.ManifestNotFound):
        reg.tags("test/no-such-repo")
    with pytest.raises(dl.ImageNotFound):
        reg.push("dockerlab/no-such-image:x", "test/x", "x")


def test_delete_by_digest_removes_the_tag(engine, bases, reg):
    pushed = reg.push(bases["alpine"], "test/deleteme", "v1")
    assert engine.images.get(bases["alpine"])  # the base image is untouched
    reg.delete(f"test/deleteme@{pushed.digest}")
    with pytest.raises(registry_client.ManifestNotFound):
        reg.manifest("test/deleteme:v1")


def test_stop_removes_the_folder_and_the_process(engine):
    r = registry_server.LocalRegistry().start()
    folder, ids = r.folder, [r.container.id, r._reader.id]
    assert folder.is_dir()
    r.stop()
    r.stop()  # twice is fine
    assert not folder.exists()
    for container_id in ids:  # the registry and its reader are gone from the engine
        with pytest.raises(docker.errors.NotFound):
            engine.containers.get(container_id)
    with pytest.raises(dl.DockerlabError, match="not running"):
        r.manifest("x/y:z")


def test_push_many_pushes_in_parallel(engine, bases, reg):
    pushed = reg.push_many({"test/many-a": bases["alpine"], "test/many-b": bases["alpine"]}, "t")
    assert list(pushed) == ["test/many-a", "test/many-b"]
    assert pushed["test/many-a"].digest == pushed["test/many-b"].digest  # same image, same digest
    assert reg.manifest("test/many-b:t").digest == pushed["test/many-b"].digest
    assert not [t for t in engine.images.get(bases["alpine"]).tags if t.startswith(reg.host)]


def _listening(reader, port: int) -> set[str]:
    """The local addresses listening on ``port`` in the network ``reader`` is on (its
    ``/proc/net/tcp``: state 0A is LISTEN; the address is little-endian hex)."""
    rows = reader.exec(["cat", "/proc/net/tcp", "/proc/net/tcp6"]).output.splitlines()
    found = set()
    for row in rows[1:]:
        cols = row.split()
        if len(cols) > 3 and cols[3] == "0A" and cols[1].endswith(f":{port:04X}"):
            found.add(cols[1].rsplit(":", 1)[0])
    return found


def test_the_registry_runs_on_the_engine_and_is_read_through_its_api(engine, bases, reg):
    """The topology claim: the registry is a container of the engine, on the engine's own
    network, listening on its 127.0.0.1 only; reads go through the engine's API (a helper
    container's exec), not a connection of this process to the registry's port."""
    import socket

    hc = reg.container.inspect()["HostConfig"]
    assert hc["NetworkMode"] == "host" and hc["CapDrop"] == ["ALL"]
    assert hc["SecurityOpt"] == ["no-new-privileges"] and hc["PidsLimit"] > 0 and hc["Memory"] > 0
    env = reg.container.inspect()["Config"]["Env"]
    assert f"REGISTRY_HTTP_ADDR=127.0.0.1:{reg.port}" in env
    # Its listening socket: 127.0.0.1 (0100007F) only, in the network its container is on.
    assert _listening(reg._reader, reg.port) == {"0100007F"}
    # The registry's process is the one the engine runs for that container.
    procs = " ".join(p["args"] for p in reg.container.top(("pid", "args")))
    assert "registry" in procs and "serve" in procs

    # Every connection this process opens while reading: none to the registry's port.
    opened: list[tuple] = []
    real_connect = socket.socket.connect

    def recording_connect(self, address):
        opened.append(address)
        return real_connect(self, address)

    pushed = reg.push(bases["alpine"], "test/topology", "t")
    since = int(time.time()) - 1
    socket.socket.connect = recording_connect
    try:
        m = reg.manifest("test/topology:t")
        assert reg.digest("test/topology:t") == pushed.digest == m.digest
        assert reg.tags("test/topology") == ["t"]
        assert reg.blob_size("test/topology", m.layers[0].digest) == m.layers[0].size
    finally:
        socket.socket.connect = real_connect
    to_registry = [a for a in opened if isinstance(a, tuple) and reg.port in a[1:2]]
    assert not to_registry, opened
    # ... and the engine ran an `nc` in the helper for each read (four reads, four or more:
    # a manifest's digest may need a second request).
    until = int(time.time()) + 1
    execs = [
        e for e in engine.api.events(since=since, until=until, decode=True,
                                     filters={"type": "container", "container": reg._reader.id})
        if e.get("status", e.get("Action", "")).startswith("exec_create") and "nc" in str(e)
    ]  # fmt: skip
    assert len(execs) >= 4, execs
