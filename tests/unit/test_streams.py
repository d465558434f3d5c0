"""The tar stream readers: forward seeks, chunk iterators, gzip, and a caller's stream left open."""

import gzip
import io
import tarfile

import pytest

from dockerlab.core.streams import Chunks, Forward, tar_stream


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


FILES = {"a": b"x" * 3_000_000, "b/c": b"hello", "d": b""}


def test_forward_seeks_forward_only():
    f = Forward(io.BytesIO(bytes(range(256)) * 10))
    assert f.read(2) == b"\x00\x01"
    assert f.seek(300) == 300 and f.read(1) == bytes([300 % 256])
    assert f.seek(10, io.SEEK_CUR) == 311
    with pytest.raises(io.UnsupportedOperation):
        f.seek(5)
    assert f.seek(10**6) == 2560  # past the end: stops there, tarfile reports truncation


@pytest.mark.parametrize("wrap", ["file", "chunks", "gzip"])
def test_tar_stream_lists_and_reads_members_in_order(wrap):
    data = _tar(FILES)
    source = {
        "file": lambda: io.BytesIO(data),
        "chunks": lambda: iter([data[i : i + 70_000] for i in range(0, len(data), 70_000)]),
        "gzip": lambda: io.BytesIO(gzip.compress(data)),
    }[wrap]()
    with tarfile.open(fileobj=tar_stream(source), mode="r:") as tar:
        seen = {i.name: (i.size, tar.extractfile(i).read(5)) for i in tar}
    assert seen == {n: (len(d), d[:5]) for n, d in FILES.items()}


def test_a_callers_stream_stays_open():
    source = io.BytesIO(_tar(FILES))
    stream = tar_stream(source)
    with tarfile.open(fileobj=stream, mode="r:") as tar:
        list(tar)
    del stream, tar
    assert not source.closed


def test_chunks_close_the_iterator():
    closed = []

    def gen():
        try:
            yield b"abc"
            yield b"def"
        finally:
            closed.append(True)

    c = Chunks(gen())
    assert c.read(2) == b"ab"
    c.close()
    assert closed == [True]
