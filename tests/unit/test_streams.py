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


def test_a_compressed_layer_reads_as_its_tar_and_a_corrupt_one_says_so():
    import gzip
    import io
    import tarfile

    import zstandard

    from dockerlab.core.streams import decompression_errors, uncompressed

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for i in range(3):
            data = bytes(range(256)) * (i + 1) * 1000
            info = tarfile.TarInfo(f"f{i}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    plain = buf.getvalue()
    for kind, packed in (("gzip", gzip.compress(plain)),
                         ("zstd", zstandard.ZstdCompressor().compress(plain))):  # fmt: skip
        with tarfile.open(fileobj=uncompressed(io.BytesIO(packed), kind), mode="r:") as tar:
            assert [(m.name, m.size) for m in tar] == [("f0", 256000), ("f1", 512000),
                                                        ("f2", 768000)]  # fmt: skip
    packed = gzip.compress(plain)
    cut = packed[: len(packed) // 2]
    try:
        with tarfile.open(fileobj=uncompressed(io.BytesIO(cut), "gzip"), mode="r:") as tar:
            list(tar)
    except decompression_errors():
        pass
    else:
        raise AssertionError("a cut gzip layer read without error")


def test_prefetched_chunks_arrive_in_order_and_errors_where_they_happened():
    from dockerlab.core.streams import Chunks, prefetched

    chunks = [bytes([i]) * 1000 for i in range(200)]
    assert Chunks(prefetched(iter(chunks), depth=4)).read() == b"".join(chunks)

    def broken():
        yield b"first"
        raise ConnectionError("the engine went away")

    it = prefetched(broken())
    assert next(it) == b"first"
    try:
        next(it)
    except ConnectionError as e:
        assert "went away" in str(e)
    else:
        raise AssertionError("the reading thread's error was lost")


def test_closing_a_prefetch_closes_the_source_from_its_own_thread():
    import threading

    from dockerlab.core.streams import prefetched

    closed = threading.Event()

    def endless():
        try:
            while True:
                yield b"x" * 100
        finally:
            closed.set()  # a generator closed by another thread would raise instead

    it = prefetched(endless(), depth=2)
    assert next(it) == b"x" * 100
    it.close()
    assert closed.wait(5), "the source was not closed"
    assert list(it) == []
