"""Reading the engine's tar streams (``docker save``, ``docker export``) fast.

The engine sends an image, or a container's filesystem, as one tar stream over
its socket; the docker SDK hands it over as chunks (:class:`Chunks` makes them
a file). :class:`Forward` lets :mod:`tarfile` open that stream in its seekable
mode, where skipping a file's data is a forward seek (read and drop in big
blocks) instead of every byte going through tarfile's small stream buffers:
on a 270 MB image that takes a third off the analysis. (Reading ahead on a
second thread was tried and gains nothing: the SDK's HTTP decoding and the
tar parsing are both Python and share one interpreter lock.)

:func:`tar_stream` puts them together for any source of bytes.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable
from typing import IO


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
