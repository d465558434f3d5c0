"""Reading a program's ELF headers: is it static, and which loader does it need?

A Linux program is an ELF file. Its headers say what kind of file it is and,
for a dynamically linked program, which *interpreter* (the dynamic loader, e.g.
``/lib64/ld-linux-x86-64.so.2``) the kernel must start first to load its shared
libraries. When that loader is missing from the image, ``exec`` fails with
"no such file or directory" although the program itself is there: the name in
the error is the loader's, not the program's.

:func:`parse` reads those headers from bytes with the standard library only
(the ELF header, the program headers, and the dynamic section's ``DT_NEEDED``
names); :func:`read_file` gets a file's bytes out of an image without running
anything in it (a container that is created, never started, read with the
engine's archive API); :func:`inspect` does both.

Example:
    >>> from dockerlab import elf
    >>> info = elf.inspect("debian:trixie", "/usr/bin/ls")      # doctest: +SKIP
    >>> info.interpreter, info.needed                              # doctest: +SKIP
    ('/lib64/ld-linux-x86-64.so.2', ('libselinux.so.1', 'libc.so.6'))
"""

from __future__ import annotations

import io
import posixpath
import struct
import tarfile
from dataclasses import dataclass

import docker.errors

from dockerlab.core.containers import created
from dockerlab.core.engine import path_stat
from dockerlab.core.images import name_of
from dockerlab.errors import ContainerFailed, FileNotInImage, InvalidOption, NotElf

MAGIC = b"\x7fELF"

#: ``e_type`` values.
TYPES = {0: "NONE", 1: "REL", 2: "EXEC", 3: "DYN", 4: "CORE"}
#: Common ``e_machine`` values (others are shown as their number).
MACHINES = {
    3: "x86",
    8: "MIPS",
    20: "PowerPC",
    21: "PowerPC64",
    22: "S390",
    40: "ARM",
    62: "x86-64",
    183: "AArch64",
    243: "RISC-V",
}

# Program header types and dynamic tags this module reads.
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ, DT_SONAME, DT_RPATH, DT_RUNPATH = 0, 1, 5, 10, 14, 15, 29

#: Largest file :func:`read_file` reads by default (bytes).
MAX_BYTES = 64 * 2**20


@dataclass(frozen=True)
class ElfInfo:
    """What an ELF file's headers say.

    Attributes:
        bits: 32 or 64.
        endian: ``"little"`` or ``"big"``.
        type: ``"EXEC"`` (fixed-address program), ``"DYN"`` (position-independent
            program or shared library), ``"REL"`` (object file) or ``"CORE"``.
        machine: The CPU it is for (``"x86-64"``, ``"AArch64"``, ...).
        interpreter: The ``PT_INTERP`` path: the loader the kernel starts to
            run this program; None for a static program.
        has_dynamic: True if it has a dynamic section (``PT_DYNAMIC``).
        needed: Shared libraries it asks for (``DT_NEEDED``), in order.
        soname: The library's own name (``DT_SONAME``), for shared libraries.
        runpath: ``DT_RUNPATH`` (or the older ``DT_RPATH``), if any.
        size: Size of the file in bytes.
    """

    bits: int
    endian: str
    type: str
    machine: str
    interpreter: str | None
    has_dynamic: bool
    needed: tuple[str, ...] = ()
    soname: str | None = None
    runpath: str | None = None
    size: int = 0

    @property
    def static(self) -> bool:
        """True for a program the kernel can run alone: no interpreter, no libraries."""
        return self.linking in ("static", "static-pie")

    @property
    def linking(self) -> str:
        """``"dynamic"``, ``"static"``, ``"static-pie"``, ``"shared library"`` or ``"object"``.

        A static-pie program has a dynamic section (to relocate itself) but no
        interpreter and no needed libraries; a shared library has a dynamic
        section and no interpreter, and usually needs libraries or names itself.
        """
        if self.type == "REL":
            return "object"
        if self.interpreter is not None:
            return "dynamic"
        if self.type == "DYN" and (self.needed or self.soname):
            return "shared library"
        if self.type == "DYN" and self.has_dynamic:
            return "static-pie"
        return "static" if self.type in ("EXEC", "DYN") else self.type.lower()

    def describe(self) -> str:
        """One line in the spirit of ``file``: class, machine, linking, loader."""
        text = (
            f"ELF {self.bits}-bit {self.endian}-endian {self.machine} {self.type}, {self.linking}"
        )
        if self.interpreter:
            text += f", interpreter {self.interpreter}"
        if self.needed:
            text += f", needs {', '.join(self.needed)}"
        return text


class _Reader:
    """Bounds-checked struct reads in the file's byte order."""

    def __init__(self, data: bytes, endian: str) -> None:
        self.data = data
        self.prefix = "<" if endian == "little" else ">"

    def unpack(self, fmt: str, offset: int) -> tuple:
        fmt = self.prefix + fmt
        end = offset + struct.calcsize(fmt)
        if offset < 0 or end > len(self.data):
            raise NotElf(f"The ELF file is truncated: it ends before byte {end}.")
        return struct.unpack_from(fmt, self.data, offset)

    def cstring(self, offset: int, limit: int | None = None) -> str:
        if offset < 0 or offset >= len(self.data):
            raise NotElf(f"A string of the ELF file points outside it (offset {offset}).")
        stop = len(self.data) if limit is None else min(len(self.data), limit)
        end = self.data.find(b"\0", offset, stop)
        return self.data[offset : stop if end < 0 else end].decode(errors="replace")


def parse(data: bytes) -> ElfInfo:
    """Read an ELF file's headers from its bytes.

    Args:
        data: The whole file (the dynamic section may sit anywhere in it).

    Returns:
        The :class:`ElfInfo`.

    Raises:
        NotElf: The bytes are not ELF (wrong magic, unknown class or byte
            order) or are truncated.

    Example:
        >>> parse(open("/bin/ls", "rb").read()).interpreter  # doctest: +SKIP
        '/lib64/ld-linux-x86-64.so.2'
    """
    data = bytes(data)
    if data[:4] != MAGIC:
        start = data[:4]
        raise NotElf(f"Not an ELF file: it starts with {start!r}, not {MAGIC!r}.")
    if len(data) < 16 or data[4] not in (1, 2) or data[5] not in (1, 2):
        raise NotElf("Not a readable ELF file: unknown class (32/64-bit) or byte order.")
    bits = 32 if data[4] == 1 else 64
    endian = "little" if data[5] == 1 else "big"
    r = _Reader(data, endian)
    if bits == 64:
        e_type, e_machine, _, _, e_phoff, *_ = r.unpack("HHIQQQ", 16)
        e_phentsize, e_phnum = r.unpack("HH", 54)
        ph_fmt = "IIQQQQQQ"  # type, flags, offset, vaddr, paddr, filesz, memsz, align
    else:
        e_type, e_machine, _, _, e_phoff, *_ = r.unpack("HHIIII", 16)
        e_phentsize, e_phnum = r.unpack("HH", 42)
        ph_fmt = "IIIIIIII"  # type, offset, vaddr, paddr, filesz, memsz, flags, align

    segments = []  # (type, offset, vaddr, filesz)
    for i in range(e_phnum if e_phoff else 0):
        fields = r.unpack(ph_fmt, e_phoff + i * e_phentsize)
        if bits == 64:
            p_type, _, p_offset, p_vaddr, _, p_filesz, *_ = fields
        else:
            p_type, p_offset, p_vaddr, _, p_filesz, *_ = fields
        segments.append((p_type, p_offset, p_vaddr, p_filesz))

    interpreter = None
    for p_type, p_offset, _, p_filesz in segments:
        if p_type == PT_INTERP:
            interpreter = r.cstring(p_offset, p_offset + p_filesz)
    dynamic = [s for s in segments if s[0] == PT_DYNAMIC]
    needed, soname, runpath = (
        _dynamic(r, bits, dynamic[0], segments) if dynamic else ((), None, None)
    )
    return ElfInfo(
        bits=bits,
        endian=endian,
        type=TYPES.get(e_type, f"0x{e_type:x}"),
        machine=MACHINES.get(e_machine, str(e_machine)),
        interpreter=interpreter,
        has_dynamic=bool(dynamic),
        needed=needed,
        soname=soname,
        runpath=runpath,
        size=len(data),
    )


def _dynamic(r: _Reader, bits: int, seg: tuple, segments: list) -> tuple:
    """DT_NEEDED, DT_SONAME and DT_RUNPATH names from the dynamic section."""
    _, offset, _, filesz = seg
    fmt = "qQ" if bits == 64 else "iI"
    step = 16 if bits == 64 else 8
    entries = []
    for pos in range(offset, offset + filesz - step + 1, step):
        tag, value = r.unpack(fmt, pos)
        if tag == DT_NULL:
            break
        entries.append((tag, value))
    tags = dict(entries)
    if DT_STRTAB not in tags:
        return (), None, None
    # DT_STRTAB is an address in memory: find the file offset through the PT_LOAD segments.
    strtab = _file_offset(tags[DT_STRTAB], segments)
    if strtab is None:
        return (), None, None
    limit = strtab + tags[DT_STRSZ] if DT_STRSZ in tags else None

    def name(value: int) -> str:
        return r.cstring(strtab + value, limit)

    needed = tuple(name(v) for t, v in entries if t == DT_NEEDED)
    soname = name(tags[DT_SONAME]) if DT_SONAME in tags else None
    path = tags.get(DT_RUNPATH, tags.get(DT_RPATH))
    return needed, soname, name(path) if path is not None else None


def _file_offset(address: int, segments: list) -> int | None:
    for p_type, p_offset, p_vaddr, p_filesz in segments:
        if p_type == PT_LOAD and p_vaddr <= address < p_vaddr + p_filesz:
            return address - p_vaddr + p_offset
    return None


def read_file(
    image, path: str, *, follow_symlinks: bool = True, max_bytes: int = MAX_BYTES
) -> bytes:
    """The bytes of one file of an image, without running the image.

    A container is created (never started), the file is read through the
    engine's archive API (``docker cp``), and the container is removed. Works for
    every image, FROM scratch ones included.

    Args:
        image: A reference or a :class:`~dockerlab.core.building.BuiltImage`.
        path: Absolute path of the file inside the image.
        follow_symlinks: Follow a symlink (``/lib64/ld-linux-x86-64.so.2`` is one
            on Debian) to the file it names, inside the image.
        max_bytes: Refuse files bigger than this.

    Raises:
        ImageNotFound: The image is not on this engine.
        FileNotInImage: The path is missing, is a directory, or is a symlink
            to nothing.
    """
    ref = name_of(image)
    with created(ref) as box:
        return _read(box, ref, path, follow_symlinks, max_bytes)


_MODE_DIR, _MODE_SYMLINK = 1 << 31, 1 << 27  # Go's os.FileMode bits, as the engine reports them


def _stat(box, ref: str, path: str, follow: bool) -> tuple[str, dict]:
    """(path, the engine's stat of it), following a symlink to its resolved target.

    A HEAD request (``docker cp``'s stat): no file content is sent, so asking
    about a directory or a big file costs nothing.
    """
    current = posixpath.normpath("/" + path.lstrip("/"))
    for _ in range(2):
        try:
            stat = path_stat(box.id, current)
        except docker.errors.APIError as e:
            raise ContainerFailed(
                f"The engine could not stat {current} in {ref!r}: {e.response.reason}"
            ) from e
        if stat is None:
            raise FileNotInImage(f"{current} is not in the image {ref!r}.")
        if follow and stat["mode"] & _MODE_SYMLINK and stat.get("linkTarget"):
            # The engine resolves the whole chain: linkTarget is the final path.
            current = stat["linkTarget"]
            continue
        return current, stat
    raise FileNotInImage(f"{path} in the image {ref!r} is a symlink to nothing.")


def _read(box, ref: str, path: str, follow: bool, max_bytes: int) -> bytes:
    current, stat = _stat(box, ref, path, follow)
    if stat["mode"] & (_MODE_DIR | _MODE_SYMLINK):
        kind = "a directory" if stat["mode"] & _MODE_DIR else "a symlink"
        raise FileNotInImage(f"{current} is {kind} in the image {ref!r}, not a regular file.")
    if stat["size"] > max_bytes:
        raise InvalidOption(
            f"{current} is {stat['size']:,} bytes, over the limit of {max_bytes:,}."
        )
    chunks, _ = box.get_archive(current)
    # Read the whole stream (one file): an unread stream would hold the engine's copy open.
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks)), mode="r:") as tar:
        member = tar.next()
        if member is None or not member.isfile():
            raise FileNotInImage(f"{current} is not a regular file in the image {ref!r}.")
        return tar.extractfile(member).read()


def exists(image, path: str) -> bool:
    """Whether ``path`` exists in the image, following symlinks (reads no file content)."""
    ref = name_of(image)
    with created(ref) as box:
        try:
            _stat(box, ref, path, True)
        except FileNotInImage:
            return False
        return True


def inspect(image, path: str) -> ElfInfo:
    """Read a program out of an image and parse its ELF headers.

    Example:
        >>> inspect(dl.ref("alpine"), "/bin/busybox").interpreter  # doctest: +SKIP
        '/lib/ld-musl-x86_64.so.1'
    """
    return parse(read_file(image, path))


__all__ = [
    "ElfInfo",
    "FileNotInImage",
    "NotElf",
    "exists",
    "inspect",
    "parse",
    "read_file",
]
