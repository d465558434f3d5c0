"""Reading the engine's tar streams (``docker save``, ``docker export``) fast.

The engine sends an image, or a container's filesystem, as one tar stream over
its socket; the docker SDK hands it over as chunks (:class:`Chunks` makes them
a file). :class:`Forward` lets :mod:`tarfile` open that stream in its seekable
mode, where skipping a file's data is a forward seek (read and drop in big
blocks) instead of every byte going through tarfile's small stream buffers:
on a 270 MB image that takes a third off the analysis. :func:`prefetched` reads the
engine's chunks on a second thread, so that the engine goes on sending while the
tar is parsed: measured, it pays on the containerd store's gzip layers (a few percent)
and costs on the classic store's plain ones, where both threads want the interpreter lock.

:func:`tar_stream` puts them together for any source of bytes, and
:func:`uncompressed` (over :func:`decompressor`) reads a gzip- or zstd-compressed layer as its tar (gzip with ISA-L's
inflate, ``isal``, where it is installed: several times zlib's speed, which is most of the
time an analysis of a containerd store's ``docker save`` spends in Python).
"""

from __future__ import annotations

import gzip
import io
import queue
import sys
import threading
import zlib
from collections.abc import Iterable, Iterator
from typing import IO

try:  # ISA-L's inflate: the same gzip, read several times faster than zlib's
    from isal import igzip as _gzip
    from isal.isal_zlib import error as _isal_error
except ImportError:  # pragma: no cover - a machine without the isal wheel
    _gzip, _isal_error = gzip, zlib.error  # type: ignore[assignment]


class Chunks(io.RawIOBase):
    """A readable stream over an iterator of byte chunks (what the docker SDK gives).

    :meth:`close` closes the iterator, if it can be closed: the engine stops sending.
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self._it = iter(chunks)
        self._buf = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            try:
                self._buf = memoryview(next(self._it))
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def remaining(self) -> Iterator[bytes]:
        """What is left to read, as the chunks it comes in (none copied but a part-read one)."""
        if self._buf:
            rest, self._buf = bytes(self._buf), memoryview(b"")
            yield rest
        yield from self._it

    def close(self) -> None:
        if not self.closed and hasattr(self._chunks, "close"):
            self._chunks.close()
        super().close()


class Forward(io.RawIOBase):
    """A one-way stream that :mod:`tarfile` may treat as seekable.

    Seeking forward reads and drops, in large blocks into one reused buffer;
    seeking backwards is an error (tarfile never needs it when members are
    read in order).
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw, self._pos = raw, 0
        self._drop = memoryview(bytearray(1 << 20))

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def readinto(self, b) -> int:
        n = self._raw.readinto(b) or 0
        self._pos += n
        return n

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        target = pos + (self._pos if whence == io.SEEK_CUR else 0)
        if whence == io.SEEK_END or target < self._pos:
            raise io.UnsupportedOperation("a stream read once can only seek forward")
        while self._pos < target:
            if not self.readinto(self._drop[: min(len(self._drop), target - self._pos)]):
                break  # end of data: tarfile reports the truncation itself
        return self._pos


class _Borrowed(io.RawIOBase):
    """Reads a caller's stream without ever closing it (a buffer around it would, when freed)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self._raw.read(len(b))
        b[: len(data)] = data
        return len(data)


def tar_stream(source: IO[bytes] | Iterable[bytes]) -> Forward:
    """A tar stream ready for ``tarfile.open(fileobj=..., mode="r:")``.

    Args:
        source: A binary file object, or an iterator of chunks (what the docker
            SDK gives for ``save`` and ``export``).
            A gzip-compressed tar (``docker save | gzip``) is uncompressed.
    """
    raw = _Borrowed(source) if hasattr(source, "read") else Chunks(source)
    reader = io.BufferedReader(raw, buffer_size=1 << 20)
    if reader.peek(2)[:2] == b"\x1f\x8b":
        reader = io.BufferedReader(gzip.GzipFile(fileobj=reader), buffer_size=1 << 20)
    return Forward(reader)


def uncompressed(stream: IO[bytes], compression: str) -> Forward:
    """A compressed layer (``"gzip"`` or ``"zstd"``) as its tar stream, ready for
    ``tarfile.open(fileobj=..., mode="r:")``: skipping a file's data is a forward seek
    over what is decompressed, in large blocks.

    Raises:
        ValueError: ``compression`` is neither.
    """
    return Forward(io.BufferedReader(_Borrowed(decompressor(stream, compression)), 1 << 20))


def decompressor(stream: IO[bytes], compression: str) -> IO[bytes]:
    """A compressed stream (``"gzip"`` or ``"zstd"``) as what it holds, read forward.

    ``stream`` needs only ``read``.

    Raises:
        ValueError: ``compression`` is neither.
    """
    if compression == "gzip":
        return _gzip.GzipFile(fileobj=stream, mode="rb")
    if compression == "zstd":
        import zstandard  # only for images whose layers are zstd-compressed

        return zstandard.ZstdDecompressor().stream_reader(stream, read_across_frames=True)
    raise ValueError(f"not a compression: {compression!r}")


def decompression_errors() -> tuple[type[BaseException], ...]:
    """What reading a corrupt or cut compressed layer raises: the decompressors' own errors,
    never a connection's (an engine that stops is still told apart)."""
    zstd = sys.modules.get("zstandard")  # imported only for images with zstd layers
    return (gzip.BadGzipFile, zlib.error, _isal_error, EOFError) + (
        (zstd.ZstdError,) if zstd is not None else ()
    )


class prefetched(Iterator[bytes]):
    """The chunks of ``chunks``, read ahead on a thread of their own (at most ``depth``).

    :meth:`close` stops the reading: the thread closes ``chunks`` itself (the engine stops
    sending; a generator may be closed only by the thread running it) once its current
    chunk arrives. An error of the reading thread is raised where its chunk would have been.
    """

    _END = object()

    def __init__(self, chunks: Iterable[bytes], depth: int = 32) -> None:
        self._chunks = chunks
        self._queue: queue.Queue = queue.Queue(depth)
        self._closed = threading.Event()
        threading.Thread(target=self._pump, daemon=True).start()

    def _offer(self, item: object) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _pump(self) -> None:
        try:
            for chunk in self._chunks:
                if self._closed.is_set():
                    break
                self._offer(chunk)
            else:
                self._offer(self._END)
        except BaseException as e:  # handed to the reader, raised there
            self._offer(e)
        if self._closed.is_set() and hasattr(self._chunks, "close"):
            self._chunks.close()

    def __next__(self) -> bytes:
        if self._closed.is_set():
            raise StopIteration
        item = self._queue.get()
        if item is self._END:
            self._closed.set()
            raise StopIteration
        if isinstance(item, BaseException):
            self._closed.set()
            raise item
        return item

    def close(self) -> None:
        self._closed.set()
        while True:  # make room, so the thread sees the flag at its next chunk
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return
