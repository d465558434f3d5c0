"""Listing a tar stream's members fast: name, size, type, link target and mode of each.

:mod:`tarfile` reads every header field, checks it, and builds a ``TarInfo`` for each
member: on a Debian image's 6,500 headers (half of them pax headers that carry only a
timestamp) that is most of the time an analysis spends in Python beyond reading the bytes.
:class:`TarListing` reads only what a listing needs, with tarfile's own rules, so it lists
exactly what tarfile lists (``tests/unit/test_tar_listing.py`` compares the two on tars
tarfile writes: ustar, pax with long and non-ASCII names, pax global headers, GNU long
names and link targets, hard links, symbolic links, devices, old GNU sparse headers):

- a header's checksum is checked: first its unsigned sum modulo 65521, in C (zlib's
  Adler-32), then, if that fails, signed and unsigned as tarfile checks it (so a header
  whose bytes are off by exactly a multiple of 65521 in sum would pass where tarfile
  stops);
- ustar's ``prefix``, GNU's long name and long link (``L``, ``K``), pax's ``path``,
  ``linkpath`` and ``size`` (``x``, and global ``g`` headers for every member after them)
  and GNU sparse sizes (old ``S`` headers, pax 0.0, 0.1 and 1.0) give the name, target
  and size tarfile gives;
- data follows regular files and unknown types only, padded to 512-byte blocks; it is
  skipped without being copied (the engine's chunks are dropped whole).

It reads a stream once, forward: the data of the member just listed can be read
(:meth:`TarListing.data`) before the next one is asked for. What is not a tar, or a
header that is cut or garbled, raises ``tarfile.ReadError`` with what was wrong (where
tarfile would end the listing there without a word, or fail with a ``ValueError``).
It lists; it never extracts (no file is written, whatever the names say).
"""

from __future__ import annotations

import functools
import re
import tarfile
from collections.abc import Iterable, Iterator
from typing import IO, NamedTuple
from zlib import adler32

BLOCK = 512
_ZEROS = bytes(BLOCK)
_ENC = tarfile.ENCODING  # what tarfile decodes names with (the file system's encoding)
_ERRORS = "surrogateescape"  # tarfile's default for reading
_NO_DATA = frozenset(tarfile.SUPPORTED_TYPES) - frozenset(tarfile.REGULAR_TYPES)
_PAX = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)
_GNU_LONG = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)
_HDRCHARSET = re.compile(rb"\d+ hdrcharset=([^\n]+)\n")
#: The pax records that can change a listing (tarfile keeps every record).
_KEEP = frozenset(
    {b"path", b"linkpath", b"size", b"hdrcharset", b"GNU.sparse.name", b"GNU.sparse.size",
     b"GNU.sparse.realsize", b"GNU.sparse.map", b"GNU.sparse.major", b"GNU.sparse.minor"}
)  # fmt: skip
#: How much of a stream is asked for at a time.
CHUNK = 1 << 20


class Member(NamedTuple):
    """One member of a tar, as :mod:`tarfile` would list it.

    Attributes:
        name: The full name (``TarInfo.name``).
        size: The file's size (a sparse file's full size), as ``TarInfo.size``.
        type: tarfile's type flag (``tarfile.REGTYPE``, ``DIRTYPE``, ``SYMTYPE``...).
        linkname: A link's target (``TarInfo.linkname``), else "".
        mode: The permission bits (``TarInfo.mode``).
        sparse: Whether the data is stored sparse (holes left out).
    """

    name: str
    size: int
    type: bytes
    linkname: str
    mode: int
    sparse: bool = False

    def kind(self) -> str:
        """``"file"``, ``"dir"``, ``"symlink"``, ``"hardlink"`` or ``"other"``, as
        tarfile's ``isfile``/``isdir``/``issym``/``islnk`` say."""
        t = self.type
        if t in tarfile.REGULAR_TYPES:
            return "file"
        return _KINDS.get(t, "other")


_KINDS = {tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink"}


class _Chunked:
    """Bytes from an iterator of chunks, read forward; skipping drops chunks without copying."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._it, self._buf, self._pos = chunks, b"", 0

    def read(self, n: int) -> bytes:
        """``n`` bytes, fewer only at the end of the data."""
        pos = self._pos
        end = pos + n
        if end <= len(self._buf):
            self._pos = end
            return self._buf[pos:end]
        parts, have = [self._buf[pos:]], len(self._buf) - pos
        self._buf, self._pos = b"", 0
        for chunk in self._it:
            if have + len(chunk) >= n:
                take = n - have
                parts.append(chunk[:take])
                self._buf, self._pos = chunk, take
                break
            parts.append(chunk)
            have += len(chunk)
        return b"".join(parts)

    def skip(self, n: int) -> int:
        """Drop ``n`` bytes; returns how many there were."""
        left = len(self._buf) - self._pos
        if n <= left:
            self._pos += n
            return n
        done = left
        for chunk in self._it:
            if done + len(chunk) >= n:
                self._buf, self._pos = chunk, n - done
                return n
            done += len(chunk)
        self._buf, self._pos = b"", 0
        return done

    def peek(self, n: int) -> bytes:
        """Up to ``n`` bytes, left to be read."""
        if len(self._buf) - self._pos < n:
            rest = self._buf[self._pos :]
            self._buf, self._pos = b"", 0
            more = self.read(n - len(rest))  # leaves the last chunk's unread part in _buf
            self._buf, self._pos = rest + more + self._buf[self._pos :], 0
        return self._buf[self._pos : self._pos + n]


class Data:
    """The data of one member: a file object that reads it once, forward (``read``,
    ``peek``), and never past its end."""

    def __init__(self, source: _Chunked | Data, size: int) -> None:
        self._src, self.left = source, size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n is None or n < 0 else min(n, self.left)
        data = self._src.read(n)
        self.left -= len(data)
        return data

    def readinto(self, b: bytearray | memoryview) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def skip(self, n: int) -> int:
        done = self._src.skip(min(n, self.left))
        self.left -= done
        return done

    def peek(self, n: int) -> bytes:
        return self._src.peek(min(n, self.left))

    def readable(self) -> bool:
        return True


def chunks_of(stream: IO[bytes]) -> Iterator[bytes]:
    """A binary file object's bytes, as chunks."""
    return iter(functools.partial(stream.read, CHUNK), b"")


def _blocks(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def _nts(field: bytes) -> str:
    p = field.find(0)
    return (field[:p] if p >= 0 else field).decode(_ENC, _ERRORS)


def _number(field: bytes) -> int:
    try:  # the usual field: octal digits, NUL-ended ("0000644\0"); else tarfile's reading
        return int(field.rstrip(b"\0 ") or b"0", 8)
    except ValueError:
        pass
    if field[0] in (0o200, 0o377):  # base-256 (GNU): tarfile's own reading
        return tarfile.nti(field)
    p = field.find(0)
    try:
        return int((field[:p] if p >= 0 else field).decode("ascii").strip() or "0", 8)
    except ValueError:
        raise tarfile.ReadError(f"invalid number {field!r} in a tar header") from None


def _pax_text(value: bytes, encoding: str) -> str:
    try:
        return value.decode(encoding, "strict")
    except UnicodeDecodeError:
        return value.decode(_ENC, _ERRORS)


class _Head:
    """One member's header being read (tarfile's TarInfo, only what a listing needs)."""

    __slots__ = ("data", "linkname", "mode", "name", "size", "sparse", "type")

    def __init__(self, block: bytes, t: bytes) -> None:
        name = _nts(block[0:100])
        if t == tarfile.AREGTYPE and name.endswith("/"):
            t = tarfile.DIRTYPE  # the old V7 way of writing a directory
        if t == tarfile.DIRTYPE:
            name = name.rstrip("/")
        if t not in tarfile.GNU_TYPES and block[345] and (prefix := _nts(block[345:500])):
            name = prefix + "/" + name
        self.name, self.type = name, t
        self.linkname = _nts(block[157:257]) if block[157] else ""
        self.mode, self.size = _number(block[100:108]), _number(block[124:136])
        self.data, self.sparse = self.size, False  # bytes stored after the header

    def apply(self, pax: dict[str, str]) -> None:
        """tarfile's ``_apply_pax_info``, for the fields a listing has."""
        for key, value in pax.items():
            if key == "GNU.sparse.name" or key == "path":
                self.name = value.rstrip("/") if key == "path" else value
            elif key in ("GNU.sparse.size", "GNU.sparse.realsize"):
                try:
                    self.size = int(value)
                except ValueError:
                    raise tarfile.ReadError(f"invalid pax {key}: {value!r}") from None
            elif key == "linkpath":
                self.linkname = value
            elif key == "size":
                try:
                    self.size = int(value)
                except ValueError:
                    self.size = 0


class TarListing:
    """The members of a tar stream, read once, forward, with tarfile's rules.

    Example:
        >>> with open("layer.tar", "rb") as f:                           # doctest: +SKIP
        ...     listing = TarListing(chunks_of(f))
        ...     for m in listing:
        ...         if m.kind() == "file" and m.name == "etc/os-release":
        ...             text = listing.data().read()

    Args:
        source: Chunks of bytes (an iterable, as the docker SDK gives them), or the
            :class:`Data` of a member of another tar (a tar inside a tar).
    """

    def __init__(self, source: Iterable[bytes] | Data) -> None:
        self._src = source if isinstance(source, Data) else _Chunked(iter(source))
        self._globals: dict[str, str] = {}
        self._data: Data | None = None
        self._left = 0  # data bytes stored after the current member's header

    def data(self) -> Data:
        """The data of the member just listed (a sparse file's stored parts, holes left out)."""
        if self._data is None:
            self._data = Data(self._src, self._left)
        return self._data

    def __iter__(self) -> Iterator[Member]:
        read, skip = self._src.read, self._src.skip
        first = True
        while True:
            block = read(BLOCK)
            if block == _ZEROS:
                return  # end of archive
            if len(block) < BLOCK:
                if first:
                    raise tarfile.ReadError("empty file" if not block else "truncated header")
                if block:
                    raise tarfile.ReadError("unexpected end of data: a header is cut")
                return  # no end-of-archive blocks: tarfile accepts that too
            head = self._member(block, first)
            first = False
            self._left, self._data = head.data, None
            yield Member(head.name, head.size, head.type, head.linkname, head.mode, head.sparse)
            left = self._data.left if self._data is not None else self._left
            pad = -head.data % BLOCK
            if skip(left + pad) != left + pad:
                raise tarfile.ReadError("unexpected end of data")

    @staticmethod
    def _check(block: bytes, first: bool) -> None:
        field = block[148:156]
        stored = _number(field)
        # The unsigned sum of the header's bytes, the checksum field counted as spaces,
        # checked modulo 65521 through zlib's Adler-32 (its low half is 1 + the bytes' sum
        # modulo 65521): the sum in C. A mismatch is checked again as tarfile checks it.
        if (stored + sum(field) - 255) % 65521 != adler32(block) & 0xFFFF and stored not in (
            tarfile.calc_chksums(block)
        ):
            if block[257:262] != b"ustar" and first:
                raise tarfile.ReadError("not a tar: bad checksum")
            raise tarfile.ReadError("bad checksum in a tar header")

    def _next_header(self) -> _Head:
        """The header after a GNU long name or a pax header (one must follow)."""
        block = self._src.read(BLOCK)
        if len(block) < BLOCK or block == _ZEROS:
            raise tarfile.ReadError("a tar header is missing after an extended header")
        return self._member(block, False)

    def _member(self, block: bytes, first: bool) -> _Head:
        """tarfile's ``fromtarfile``: one header, with the headers that extend it."""
        self._check(block, first)
        t = block[156:157]
        if t in _PAX:
            return self._pax(t, _number(block[124:136]))
        if t in _GNU_LONG:
            text = _nts(self._read(_blocks(_number(block[124:136]))))
            nxt = self._next_header()
            if t == tarfile.GNUTYPE_LONGNAME:
                nxt.name = text
            else:
                nxt.linkname = text
            if nxt.type == tarfile.DIRTYPE:
                nxt.name = nxt.name.removesuffix("/")
            return nxt
        head = _Head(block, t)
        if t == tarfile.GNUTYPE_SPARSE:
            return self._old_sparse(block, head)
        # tarfile's _proc_builtin: only regular files and unknown types have data
        if t in _NO_DATA:
            head.data = 0
        if self._globals:
            head.apply(self._globals)
            if head.type == tarfile.DIRTYPE:
                head.name = head.name.rstrip("/")
        return head

    def _read(self, n: int) -> bytes:
        data = self._src.read(n)
        if len(data) < n:
            raise tarfile.ReadError("unexpected end of data")
        return data

    def _old_sparse(self, block: bytes, head: _Head) -> _Head:
        """An old GNU sparse header (``S``): its size is the full file's; extension blocks
        of the sparse map follow it."""
        extended = block[482]
        while extended:
            extended = self._read(BLOCK)[504]
        head.size, head.sparse = _number(block[483:495]), True
        return head

    def _pax(self, t: bytes, size: int) -> _Head:
        """tarfile's ``_proc_pax``: a pax header's records apply to the next member
        (a global one's to every member after it). Records that cannot change a listing
        (times, owners, extended attributes) are not kept."""
        buf = self._read(_blocks(size))
        pax = self._globals if t == tarfile.XGLTYPE else dict(self._globals)
        encoding = "utf-8"
        if b"hdrcharset=" in buf and (m := _HDRCHARSET.search(buf)):
            pax["hdrcharset"] = m[1].decode("utf-8")
        if pax.get("hdrcharset") == "BINARY":
            encoding = _ENC
        pos = 0
        while True:  # records: b"LENGTH KEYWORD=VALUE\n"
            space = buf.find(b" ", pos)
            equals = buf.find(b"=", space + 1)
            if space < 0 or equals <= space + 1 or not buf[pos:space].isdigit():
                break
            length = int(buf[pos:space])
            if length == 0:
                raise tarfile.ReadError("invalid pax header: a record of length 0")
            key = buf[space + 1 : equals]
            if key in _KEEP:
                value = buf[equals + 1 : pos + length - 1]
                names = key == b"path" or key == b"linkpath"
                pax[key.decode()] = _pax_text(value, encoding if names else "utf-8")
            pos += length
        nxt = self._next_header()
        if "GNU.sparse.map" in pax or "GNU.sparse.size" in pax:
            nxt.sparse = True
        elif pax.get("GNU.sparse.major") == "1" and pax.get("GNU.sparse.minor") == "0":
            nxt.sparse = True  # the sparse map starts the data: it is data, as stored
        if t != tarfile.XGLTYPE:
            nxt.apply(pax)
            if "size" in pax:  # the size that says where the next header starts
                nxt.data = nxt.size if nxt.type not in _NO_DATA else 0
        return nxt


def listing(stream: IO[bytes]) -> TarListing:
    """:class:`TarListing` over a binary file object (read in large chunks)."""
    return TarListing(chunks_of(stream))


__all__ = ["BLOCK", "CHUNK", "Data", "Member", "TarListing", "chunks_of", "listing"]
