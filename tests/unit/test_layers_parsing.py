"""The layer analyser on `docker save` tars these tests build themselves (no engine).

Both layouts are covered: the legacy one (manifest.json, <id>/layer.tar, symlinks
between identical layers) and the OCI one (index.json, blobs/sha256/...), with
members in shuffled order, whiteouts, an opaque directory and a file rewritten
in several layers.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import tarfile

import pytest
import zstandard

from dockerlab.inspect.layers import LayerAnalysisError, analyse, instruction, read_file, search

MB = 1_000_000


def layer_tar(entries: list[tuple]) -> bytes:
    """A layer tar from (name, content) for files, (name, None) for dirs, (name, "->target")."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif isinstance(content, str) and content.startswith("->"):
                info.type, info.linkname = tarfile.SYMTYPE, content[2:]
                tar.addfile(info)
            else:
                data = content if isinstance(content, bytes) else content.encode()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def config_for(tars: list[bytes], history: list[tuple[str, bool]]) -> bytes:
    return json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": ["PATH=/usr/bin", "TOKEN=FAKE-TOKEN-for-lesson-only"]},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{sha(t)}" for t in tars]},
            "history": [
                {"created_by": by, **({"empty_layer": True} if empty else {})}
                for by, empty in history
            ],
        }
    ).encode()


def outer_tar(members: list[tuple[str, bytes | str]], seed: int) -> bytes:
    """The save tar, members shuffled; a str value makes a symlink to that name."""
    members = list(members)
    random.Random(seed).shuffle(members)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if isinstance(data, str):
                info.type, info.linkname = tarfile.SYMTYPE, data
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def legacy_save(tars: list[bytes], history, seed: int = 1) -> bytes:
    """Engine <= 24 layout; identical layers become symlinks, as `docker save` does."""
    cfg = config_for(tars, history)
    members, paths, seen = [], [], {}
    for i, t in enumerate(tars):
        d = sha(f"v1-{i}".encode())
        members += [(f"{d}/VERSION", b"1.0"), (f"{d}/json", b'{"id": "%s"}' % d.encode())]
        if sha(t) in seen:
            members.append((f"{d}/layer.tar", f"../{seen[sha(t)]}/layer.tar"))
        else:
            seen[sha(t)] = d
            members.append((f"{d}/layer.tar", t))
        paths.append(f"{d}/layer.tar")
    manifest = [{"Config": f"{sha(cfg)}.json", "RepoTags": ["x:1"], "Layers": paths}]
    members += [(f"{sha(cfg)}.json", cfg), ("manifest.json", json.dumps(manifest).encode()),
                ("repositories", b'{"x": {"1": "abc"}}')]  # fmt: skip
    return outer_tar(members, seed)


def oci_save(tars: list[bytes], history, seed: int = 2, compress: str = "") -> bytes:
    """Engine 25+ layout without manifest.json (as other tools write it), via an image index."""
    cfg = config_for(tars, history)
    blobs = {sha(cfg): cfg}
    descs = []
    for t in tars:
        data = {"gzip": gzip.compress, "zstd": zstandard.ZstdCompressor().compress}.get(
            compress, bytes
        )(t)
        blobs[sha(data)] = data
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest":
                      f"sha256:{sha(data)}", "size": len(data)})  # fmt: skip
    manifest = json.dumps({"schemaVersion": 2, "config": {"digest": f"sha256:{sha(cfg)}"},
                           "layers": descs}).encode()  # fmt: skip
    blobs[sha(manifest)] = manifest
    nested = json.dumps({"schemaVersion": 2, "manifests": [
        {"digest": f"sha256:{sha(manifest)}", "platform": {"os": "linux", "architecture": "amd64"}}
    ]}).encode()  # fmt: skip
    blobs[sha(nested)] = nested
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": f"sha256:{sha(nested)}"}
    ]}).encode()  # fmt: skip
    members = [(f"blobs/sha256/{h}", b) for h, b in blobs.items()]
    members += [("index.json", index), ("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')]
    return outer_tar(members, seed)


BIG = b"x" * (2 * MB)
SECRET = b"FAKE-TOKEN-for-lesson-only\n"

#: base; a 2 MB file created then deleted; config rewritten in 3 layers; an opaque dir; ENV.
TARS = [
    layer_tar(
        [
            ("etc/", None),
            ("etc/conf", "v1"),
            ("bin/", None),
            ("bin/sh", b"S" * 1000),
            ("cache/", None),
            ("cache/a", b"a" * 300),
            ("cache/b", b"b" * 200),
            ("bin/ash", "->/bin/sh"),
        ]
    ),
    layer_tar([("tmp/", None), ("tmp/big.bin", BIG), ("run/", None), ("run/token", SECRET)]),
    layer_tar(
        [
            ("tmp/", None),
            ("tmp/.wh.big.bin", b""),
            ("run/.wh.token", b""),
            ("etc/", None),
            ("etc/conf", "v2-longer"),
        ]
    ),
    layer_tar(
        [("etc/conf", "v3"), ("cache/", None), ("cache/.wh..wh..opq", b""), ("cache/c", b"c" * 50)]
    ),
    layer_tar([]),  # an empty layer (e.g. WORKDIR of an existing directory under BuildKit)
    layer_tar([]),  # identical to the previous one: a symlink in the legacy layout
]
HISTORY = [
    ("", False),
    ("/bin/sh -c dd if=/dev/zero of=/tmp/big.bin && cp token /run/token", False),
    ("/bin/sh -c rm /tmp/big.bin /run/token && echo v2-longer > /etc/conf", False),
    ("/bin/sh -c #(nop)  ENV A=b", True),
    ("RUN /bin/sh -c echo v3 > /etc/conf && rm -rf /cache && mkdir /cache # buildkit", False),
    ("WORKDIR /tmp", False),
    ("WORKDIR /tmp", False),
    ("/bin/sh -c #(nop)  LABEL org.dockerlab.session=abc", True),
]


@pytest.fixture(params=["legacy", "oci", "oci-gzip", "oci-zstd"])
def save(request):
    if request.param == "legacy":
        return legacy_save(TARS, HISTORY)
    return oci_save(TARS, HISTORY, compress=request.param.partition("-")[2])


def test_layers_map_to_instructions_through_empty_layer(save):
    a = analyse(save)
    assert a.mapping_ok and len(a.layers) == 6
    assert list(a.layers["instruction"]) == [
        "(base layer)",
        "RUN dd if=/dev/zero of=/tmp/big.bin && cp token /run/token",
        "RUN rm /tmp/big.bin /run/token && echo v2-longer > /etc/conf",
        "RUN echo v3 > /etc/conf && rm -rf /cache && mkdir /cache",
        "WORKDIR /tmp",
        "WORKDIR /tmp",
    ]
    # History keeps the ENV entry (no layer) and drops the kit's own label entry.
    assert len(a.history) == 7
    env = a.history[a.history["instruction"] == "ENV A=b"].iloc[0]
    assert env["empty_layer"] and env["layer"] is pd_na()


def pd_na():
    import pandas as pd

    return pd.NA


def test_added_modified_deleted_per_layer(save):
    a = analyse(save)
    L = a.layers
    assert (L.loc[0, "added"], L.loc[0, "modified"], L.loc[0, "deleted"]) == (5, 0, 0)
    assert (L.loc[1, "added"], L.loc[1, "deleted"]) == (2, 0)
    assert (L.loc[2, "added"], L.loc[2, "modified"], L.loc[2, "deleted"]) == (0, 1, 2)
    # The opaque directory hides cache/a and cache/b; cache/c is new.
    assert (L.loc[3, "added"], L.loc[3, "modified"], L.loc[3, "deleted"]) == (1, 1, 2)
    assert L.loc[1, "size"] == len(BIG) + len(SECRET)
    assert L.loc[4, "size"] == L.loc[5, "size"] == 0


def test_wasted_bytes_count_each_earlier_copy_once(save):
    a = analyse(save)
    w = a.wasted
    conf = w[w["path"] == "/etc/conf"].sort_values("added_in")
    # Written in layers 0, 2 and 3 and kept: the two earlier copies, once each.
    assert list(conf["added_in"]) == [0, 2] and list(conf["removed_in"]) == [2, 3]
    assert conf["size"].sum() == len("v1") + len("v2-longer")
    expected = len(BIG) + len(SECRET) + 2 + 9 + 300 + 200
    assert a.wasted_bytes == expected
    assert a.kept_bytes == a.total_bytes - expected
    assert a.efficiency == pytest.approx(a.kept_bytes / a.total_bytes)
    assert list(a.layers["wasted_bytes"]) == [2 + 300 + 200, len(BIG) + len(SECRET), 9, 0, 0, 0]
    top = a.top_wasted(3)
    assert top.iloc[0]["path"] == "/tmp/big.bin"
    assert top.iloc[0]["added_in"] == [1] and top.iloc[0]["removed_in"] == [2]
    assert top.iloc[0]["how"] == "deleted"
    row = a.top_wasted(20).set_index("path").loc["/etc/conf"]
    assert row["copies"] == 2 and row["how"] == "overwritten"


def test_file_fates(save):
    f = analyse(save).files

    def one(layer, path, kind=None):
        rows = f[(f["layer"] == layer) & (f["path"] == path)]
        rows = rows if kind is None else rows[rows["kind"] == kind]
        assert len(rows) == 1
        return rows.iloc[0]

    assert one(1, "/tmp/big.bin")["fate"] == "deleted in 2"
    assert one(0, "/etc/conf")["fate"] == "overwritten in 2"
    assert one(3, "/etc/conf")["fate"] == "kept"
    assert one(2, "/tmp/big.bin")["change"] == "deleted"
    assert one(2, "/tmp/big.bin")["entry"] == "/tmp/.wh.big.bin"  # the whiteout's own name
    assert one(3, "/etc/conf")["entry"] == "/etc/conf"
    assert one(3, "/cache", "opaque")["change"] == "opaque"
    assert one(3, "/cache", "opaque")["entry"] == "/cache/.wh..wh..opq"
    assert one(3, "/cache", "dir")["change"] == "dir"


def test_read_file_recovers_a_deleted_file_from_its_layer(save):
    assert read_file(save, "/run/token", 1) == SECRET
    assert read_file(save, "run/token", -5) == SECRET
    with pytest.raises(LayerAnalysisError, match=r"Layers that do: \[1\]"):
        read_file(save, "/run/token", 2)
    with pytest.raises(LayerAnalysisError, match="does not exist"):
        read_file(save, "/run/token", 9)


def test_search_finds_a_secret_in_layers_and_config(save):
    hits = search(save, "FAKE-TOKEN-for-lesson-only")
    assert set(hits[hits["where"] == "layer"]["layer"]) == {1}
    assert list(hits[hits["where"] == "config"]["path"]) == ["config.Env[1]"]
    assert search(save, "no such text anywhere").empty


def test_search_finds_matches_across_read_chunks():
    tars = [layer_tar([("a", b"y" * 100 + SECRET)]), layer_tar([("b", b"z" * 30)])]
    save = oci_save(tars, [("", False), ("/bin/sh -c b", False)])
    for chunk in (1, 7, 64, 1000):
        hits = search(save, "FAKE-TOKEN-for-lesson-only", chunk=chunk)
        assert list(hits[hits["where"] == "layer"]["path"]) == ["/a"], chunk


def test_rewritten_file_of_growing_size_and_directory_replaced_by_file():
    tars = [
        layer_tar([("d/", None), ("d/x", b"1" * 10), ("d/y", b"2" * 20), ("f", b"a")]),
        layer_tar([("d", b"now a file"), ("f", b"bb")]),
        layer_tar([("f", b"ccc")]),
    ]
    a = analyse(legacy_save(tars, [("", False), ("/bin/sh -c x", False), ("/bin/sh -c y", False)]))
    assert a.wasted_bytes == 10 + 20 + 1 + 2
    assert a.layers.loc[1, "deleted"] == 2 and a.layers.loc[1, "modified"] == 2
    assert a.kept_bytes == len(b"now a file") + 3


def test_history_that_does_not_line_up_is_flagged():
    tars = [layer_tar([("a", b"1")]), layer_tar([("b", b"2")])]
    a = analyse(oci_save(tars, [("", False)]))
    assert not a.mapping_ok
    assert list(a.layers["instruction"]) == ["?", "?"]


def test_not_a_save_is_a_clear_error():
    with pytest.raises(LayerAnalysisError, match=r"manifest\.json nor index\.json"):
        analyse(layer_tar([("a", b"1")]))
    with pytest.raises(LayerAnalysisError):
        analyse(b"this is not a tar at all" * 100)


def test_member_order_does_not_matter():
    sizes = {tuple(analyse(legacy_save(TARS, HISTORY, seed=s)).layers["wasted_bytes"])
             for s in range(5)}  # fmt: skip
    assert len(sizes) == 1


def test_stream_is_read_once_and_sequentially(monkeypatch):
    data = legacy_save(TARS, HISTORY)

    class OneWay(io.RawIOBase):
        def __init__(self):
            self.pos = 0

        def readable(self):
            return True

        def seekable(self):
            return False

        def readinto(self, b):
            n = min(len(b), len(data) - self.pos)
            b[:n] = data[self.pos : self.pos + n]
            self.pos += n
            return n

    a = analyse(io.BufferedReader(OneWay()))
    assert a.wasted_bytes > 0


def test_instruction_text():
    assert instruction('/bin/sh -c #(nop)  CMD ["sh"]') == 'CMD ["sh"]'
    assert instruction("/bin/sh -c #(nop) COPY file:" + "ab" * 32 + " in /d ") == (
        "COPY file:abababababab in /d"
    )
    assert instruction("COPY app.c /src/ # buildkit") == "COPY app.c /src/"
    assert instruction("", "Imported from -") == "(base image, imported)"
    assert instruction("RUN |1 A=1 /bin/sh -c echo hi # buildkit") == "RUN |1 A=1 echo hi"


@pytest.mark.parametrize("chunk", [97, 4096])
def test_engine_chunks_of_any_size_give_the_same_analysis(save, chunk):
    """The engine's stream (its chunks read as they come) and a file give one analysis."""
    from dockerlab.core.streams import Chunks

    chunks = Chunks(iter([save[i : i + chunk] for i in range(0, len(save), chunk)]))
    a, b = analyse(chunks), analyse(save)
    assert a.files.equals(b.files) and a.layers.equals(b.layers) and a.wasted.equals(b.wasted)
    assert read_file(Chunks(iter([save[i : i + chunk] for i in range(0, len(save), chunk)])),
                     "/etc/conf", 3) == read_file(save, "/etc/conf", 3)  # fmt: skip
