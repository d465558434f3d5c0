"""A real distribution registry on 127.0.0.1, and the engine pushing to it."""

from __future__ import annotations

import os

import docker.errors
import pytest
import requests

import dockerlab as dl
from dockerlab.registry import api as registry_client
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
    assert requests.get(f"{reg.url}/v2/", timeout=2).json() == {}
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

        # each size in the manifest is the size of the blob the registry stores
        blobs = reg.folder / "data" / "docker" / "registry" / "v2" / "blobs" / "sha256"
        for blob in (m.config, *m.layers):
            assert reg.blob_size("test/regtest", blob.digest) == blob.size
            hexd = blob.digest.split(":")[1]
            assert (blobs / hexd[:2] / hexd / "data").stat().st_size == blob.size
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
    folder, url = r.folder, r.url
    assert folder.is_dir()
    r.stop()
    r.stop()  # twice is fine
    assert not folder.exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/v2/", timeout=1)
    with pytest.raises(dl.DockerlabError, match="not running"):
        r.manifest("x/y:z")


def test_push_many_pushes_in_parallel(engine, bases, reg):
    pushed = reg.push_many({"test/many-a": bases["alpine"], "test/many-b": bases["alpine"]}, "t")
    assert list(pushed) == ["test/many-a", "test/many-b"]
    assert pushed["test/many-a"].digest == pushed["test/many-b"].digest  # same image, same digest
    assert reg.manifest("test/many-b:t").digest == pushed["test/many-b"].digest
    assert not [t for t in engine.images.get(bases["alpine"]).tags if t.startswith(reg.host)]
