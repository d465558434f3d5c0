"""The lean tar listing lists exactly what tarfile lists, on tars tarfile writes itself.

Every format tarfile writes (ustar, GNU, pax), with long and non-ASCII names and link
targets, hard and symbolic links, devices, FIFOs, whiteouts and opaque directories, pax
global headers and an old GNU sparse header; then cut and garbled tars, which must give
``tarfile.ReadError`` (the layer analysis turns it into its own error), never a crash.
"""

from __future__ import annotations

import io
import tarfile

import pytest

from dockerlab.core.tar_listing import Data, TarListing, _Chunked, chunks_of
from dockerlab.errors import LayerAnalysisError
from dockerlab.inspect.layers import analyse

LONG = "usr/share/doc/" + "a-very-long-directory-name/" * 6 + "and-a-file-name-past-100.txt"
NON_ASCII = "etc/héllo-wörld/日本語.conf"
FORMATS = {"ustar": tarfile.USTAR_FORMAT, "gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}


def _info(name: str, type_: bytes = tarfile.REGTYPE, **kw) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = type_, kw.pop("mode", 0o644), kw.pop("mtime", 1_700_000_000)
    for key, value in kw.items():
        setattr(info, key, value)
    return info


def members(fmt: int) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    """A layer's worth of members, every kind, the long names only where ``fmt`` has room."""
    out = [
        (_info("./", tarfile.DIRTYPE, mode=0o755), None),
        (_info("etc", tarfile.DIRTYPE, mode=0o755), None),
        (_info("etc/os-release"), b"ID=debian\n"),
        (_info("etc/empty"), b""),
        (_info("bin/big", mode=0o4755), b"\x7fELF" + bytes(5000)),
        (_info("bin/sh", tarfile.SYMTYPE, linkname="dash"), None),
        (_info("bin/hard", tarfile.LNKTYPE, linkname="bin/big"), None),
        (_info("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3), None),
        (_info("dev/sda", tarfile.BLKTYPE, devmajor=8, devminor=0), None),
        (_info("run/fifo", tarfile.FIFOTYPE), None),
        (_info("tmp/.wh.build"), b""),
        (_info("var/cache/.wh..wh..opq"), b""),
        (_info("opt/contiguous", tarfile.CONTTYPE), b"data"),
        (_info("usr/", tarfile.DIRTYPE, mode=0o755), None),
        (_info("usr/lib/x/" + "n" * 90), b"prefix and name (ustar's split)"),
        (_info("uid/huge", uid=2**20, gid=7), b"x"),
    ]
    if fmt != tarfile.USTAR_FORMAT:
        out += [
            (_info(LONG), b"long name"),
            (_info("lib/link", tarfile.SYMTYPE, linkname="/" + LONG), None),
            (_info(LONG.replace(".txt", "-dir/"), tarfile.DIRTYPE), None),
            (_info("big/mtime", mtime=2**40, uid=2**40), b"base-256 numbers"),
        ]
    if fmt == tarfile.PAX_FORMAT:
        out += [
            (_info(NON_ASCII), "nön-ASCII dätä".encode()),
            (_info("etc/to-ünicode", tarfile.SYMTYPE, linkname="../日本"), None),
            (_info("etc/fraction", mtime=1_700_000_000.25), b"pax mtime only"),
            (_info("etc/x", pax_headers={"SCHILY.xattr.user.a": "b", "comment": "hé"}), b"x"),
        ]
    return out


def write(fmt: int, entries=None, **kw) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, **kw) as tar:
        for info, data in entries if entries is not None else members(fmt):
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def by_tarfile(data: bytes) -> list[tuple]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        return [
            (i.name, i.size, i.type, i.linkname, i.mode, i.isfile(), i.isdir(), i.issym(),
             i.islnk(), tar.extractfile(i).read() if i.isfile() else None)
            for i in tar
        ]  # fmt: skip


def by_listing(data: bytes, chunk: int = 1 << 20) -> list[tuple]:
    listing = TarListing(data[i : i + chunk] for i in range(0, len(data), chunk))
    out = []
    for m in listing:
        k = m.kind()
        out.append((m.name, m.size, m.type, m.linkname, m.mode, k == "file", k == "dir",
                    k == "symlink", k == "hardlink",
                    listing.data().read() if k == "file" else None))  # fmt: skip
    return out


@pytest.mark.parametrize("fmt", FORMATS.values(), ids=FORMATS.keys())
@pytest.mark.parametrize("chunk", [1 << 20, 512, 333, 7])
def test_lists_what_tarfile_lists(fmt, chunk):
    data = write(fmt)
    assert by_listing(data, chunk) == by_tarfile(data)


def test_pax_global_headers_apply_to_every_member_after_them():
    data = write(tarfile.PAX_FORMAT, pax_headers={"comment": "global", "linkpath": "everywhere"})
    listed = by_listing(data)
    assert listed == by_tarfile(data)
    assert dict((row[0], row[3]) for row in listed)["etc/os-release"] == "everywhere"


def test_pax_records_that_change_names_sizes_and_links():
    """pax records tarfile writes only when asked: they override the ustar fields."""
    data = write(tarfile.PAX_FORMAT, [
        (_info("short", pax_headers={"path": "pax/given/name"}), b"12345"),
        (_info("d", tarfile.DIRTYPE, pax_headers={"path": "pax/dir///"}), None),
        (_info("l", tarfile.SYMTYPE, linkname="x", pax_headers={"linkpath": "pax/target"}), None),
        (_info("s", pax_headers={"size": "0"}), b""),
    ])  # fmt: skip
    assert by_listing(data) == by_tarfile(data)


def test_old_gnu_sparse_header_gives_the_full_size():
    """tarfile reads old GNU sparse members (``S``) but cannot write them: one is made by
    hand from a GNU header, its sparse map and full size filled in, its checksum redone."""
    stored = b"A" * 100 + b"B" * 100
    block = bytearray(_info("var/sparse", tarfile.GNUTYPE_SPARSE, size=len(stored)).tobuf(
        tarfile.GNU_FORMAT))  # fmt: skip
    block[386:410] = b"%011o\0%011o\0" % (0, 100)
    block[410:434] = b"%011o\0%011o\0" % (4000, 100)
    block[483:495] = b"%011o\0" % 4100
    block[148:156] = b"        "
    block[148:156] = b"%06o\0 " % (256 + sum(block[:148]) + sum(block[156:]))
    rest = write(tarfile.GNU_FORMAT, [(_info("after"), b"z")])
    data = bytes(block) + stored + bytes(-len(stored) % 512) + rest
    listed = [row[:9] for row in by_listing(data)]
    assert listed == [row[:9] for row in by_tarfile(data)]
    assert listed[0][:2] == ("var/sparse", 4100)


def test_a_member_read_in_part_then_the_next():
    data = write(tarfile.PAX_FORMAT)
    listing = TarListing(chunks_of(io.BytesIO(data)))
    names = []
    for m in listing:
        names.append(m.name)
        if m.name == "bin/big":
            d = listing.data()
            assert d.peek(4) == b"\x7fELF" and d.read(2) == b"\x7fE" and d.left == 5002
    assert names == [row[0] for row in by_tarfile(data)]


def test_a_tar_inside_a_tar():
    inner = write(tarfile.PAX_FORMAT)
    outer = write(tarfile.USTAR_FORMAT, [(_info("layer.tar"), inner), (_info("after"), b"!")])
    listing = TarListing([outer])
    got = []
    for m in listing:
        if m.name == "layer.tar":
            got += [x.name for x in TarListing(listing.data())]
        got.append(m.name)
    assert got == [row[0] for row in by_tarfile(inner)] + ["layer.tar", "after"]


def test_chunks_may_be_memoryviews_and_skips_drop_whole_chunks():
    data = write(tarfile.PAX_FORMAT)
    source = _Chunked(iter([memoryview(data[:1000]), data[1000:]]))
    assert bytes(source.read(10)) == data[:10]
    assert source.skip(2000) == 2000 and bytes(source.read(5)) == data[2010:2015]
    assert isinstance(Data(source, 3).read(), bytes | memoryview)


@pytest.mark.parametrize("chunk", [1, 100, 511, 513])
def test_peek_across_chunks_leaves_the_bytes_to_read(chunk):
    data = bytes(range(256)) * 8
    source = _Chunked(data[i : i + chunk] for i in range(0, len(data), chunk))
    source.read(3)
    assert bytes(source.peek(600)) == data[3:603]
    assert bytes(source.read(1000)) == data[3:1003]
    assert bytes(source.peek(5000)) == data[1003:]


@pytest.mark.parametrize(
    ("what", "make"),
    [
        ("empty", lambda d: b""),
        ("not a tar", lambda d: b"hello, world\n" * 100),
        ("cut header", lambda d: d[:700]),
        ("cut data", lambda d: d[: len(d) // 2 - 100]),
        ("bad checksum", lambda d: d[: 1024 + 1] + b"\xff" + d[1024 + 2 :]),
        ("garbled number", lambda d: d[:100] + b"zzzzzzz\0" + d[108:]),
        (
            "pax size not a number",
            lambda d: write(
                tarfile.PAX_FORMAT, [(_info("s", pax_headers={"size": "not a number"}), b"abc")]
            ),
        ),
        ("pax without member", lambda d: write(tarfile.PAX_FORMAT, [(_info(LONG), b"x")])[:1024]),
    ],
)
def test_a_broken_tar_is_a_read_error(what, make):
    data = make(write(tarfile.PAX_FORMAT))
    with pytest.raises(tarfile.ReadError):
        by_listing(data)


def test_a_broken_layer_is_the_kits_error():
    """Through the analysis, a garbled layer header is a LayerAnalysisError naming the layer."""
    layer = bytearray(write(tarfile.PAX_FORMAT))
    layer[1024 + 1] ^= 0xFF  # the second header's name: its checksum no longer matches
    config = b'{"rootfs": {"diff_ids": ["sha256:00"]}, "history": [{"created_by": "x"}]}'
    manifest = b'[{"Config": "c.json", "Layers": ["l/layer.tar"]}]'
    save = write(tarfile.USTAR_FORMAT, [(_info("manifest.json"), manifest),
                                        (_info("c.json"), config),
                                        (_info("l/layer.tar"), bytes(layer))])  # fmt: skip
    with pytest.raises(LayerAnalysisError, match=r"l/layer\.tar.*checksum"):
        analyse(save)
