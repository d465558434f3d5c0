"""dockerlab.inspect.elf's header reader, on programs compiled here and on hand-made bytes (no engine)."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from dockerlab.errors import DockerlabError
from dockerlab.inspect import elf
from dockerlab.lessons import static_binaries

HELLO = 'int puts(const char *); int main(void) { puts("hi"); return 0; }\n'
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc on this host")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, bytes]:
    """hello compiled by the host's gcc: dynamic, static, static-pie, shared library, object."""
    if shutil.which("gcc") is None:
        pytest.skip("no gcc on this host")
    d = tmp_path_factory.mktemp("elf")
    src = d / "hello.c"
    src.write_text(HELLO)
    (d / "lib.c").write_text("int answer(void) { return 42; }\n")
    builds = {
        "dynamic": "gcc -O2 -o dynamic hello.c",
        "static": "gcc -static -O2 -o static hello.c",
        "static-pie": "gcc -static-pie -O2 -o static-pie hello.c",
        "shared": "gcc -shared -fPIC -Wl,-soname,libanswer.so.1 -Wl,-rpath,/opt/x -o shared lib.c",
        "object": "gcc -c -o object hello.c",
    }
    out = {}
    for name, cmd in builds.items():
        done = subprocess.run(cmd.split(), cwd=d, capture_output=True, text=True)
        if done.returncode == 0:
            out[name] = (d / name).read_bytes()
    if "dynamic" not in out:
        pytest.skip("the host's gcc cannot link a program")
    return out


def _need(compiled: dict[str, bytes], name: str) -> bytes:
    if name not in compiled:
        pytest.skip(f"the host's gcc cannot build a {name} program (missing static libc?)")
    return compiled[name]


@needs_gcc
def test_dynamic_program_names_its_loader_and_libc(compiled):
    info = elf.parse(compiled["dynamic"])
    assert info.bits == 64 and info.endian == "little" and info.machine == "x86-64"
    assert info.interpreter == "/lib64/ld-linux-x86-64.so.2"
    assert "libc.so.6" in info.needed
    assert info.linking == "dynamic" and not info.static
    assert info.size == len(compiled["dynamic"])
    assert "interpreter /lib64/ld-linux-x86-64.so.2" in info.describe()


@needs_gcc
def test_static_program_has_no_interpreter(compiled):
    info = elf.parse(_need(compiled, "static"))
    assert info.interpreter is None and info.needed == ()
    assert info.static and info.linking == "static"


@needs_gcc
def test_static_pie_has_a_dynamic_section_but_no_loader(compiled):
    info = elf.parse(_need(compiled, "static-pie"))
    assert info.type == "DYN" and info.has_dynamic and info.interpreter is None
    assert info.static and info.linking == "static-pie"


@needs_gcc
def test_shared_library_soname_and_runpath(compiled):
    info = elf.parse(_need(compiled, "shared"))
    assert info.type == "DYN" and info.interpreter is None
    assert info.soname == "libanswer.so.1" and info.runpath == "/opt/x"
    assert info.linking == "shared library" and not info.static


@needs_gcc
def test_object_file_is_not_a_program(compiled):
    info = elf.parse(_need(compiled, "object"))
    assert info.type == "REL" and info.linking == "object" and not info.static


# --- hand-made ELF files: other classes and byte orders, damage -------------------------


def make_elf(*, bits: int = 64, endian: str = "<", interp: bytes | None = b"/lib/ld.so.1",
             needed: tuple[bytes, ...] = (), e_type: int = 2, machine: int = 62) -> bytes:  # fmt: skip
    """A minimal ELF program: header, program headers, interpreter, dynamic section, strings."""
    ehsize, phsize = (64, 56) if bits == 64 else (52, 32)
    strtab = b"\0" + b"".join(n + b"\0" for n in needed)
    offsets, pos = [], 1
    for n in needed:
        offsets.append(pos)
        pos += len(n) + 1
    dyn_fmt = endian + ("qQ" if bits == 64 else "iI")
    dyn_entries = [(1, o) for o in offsets] + [(5, 0x1000), (10, len(strtab)), (0, 0)]
    dynamic = b"".join(struct.pack(dyn_fmt, t, v) for t, v in dyn_entries) if needed else b""
    n_ph = 1 + bool(interp) + bool(needed)
    body_start = ehsize + n_ph * phsize
    interp_off = body_start
    interp_data = (interp + b"\0") if interp else b""
    dyn_off = interp_off + len(interp_data)
    str_off = dyn_off + len(dynamic)
    total = str_off + len(strtab)

    def ph(p_type, off, vaddr, size):
        if bits == 64:
            return struct.pack(endian + "IIQQQQQQ", p_type, 4, off, vaddr, vaddr, size, size, 8)
        return struct.pack(endian + "IIIIIIII", p_type, off, vaddr, vaddr, size, size, 4, 4)

    phs = ph(1, str_off, 0x1000, len(strtab))  # PT_LOAD mapping the strings at 0x1000
    if interp:
        phs += ph(3, interp_off, 0, len(interp_data))
    if needed:
        phs += ph(2, dyn_off, 0, len(dynamic))
    ident = b"\x7fELF" + bytes([1 if bits == 32 else 2, 1 if endian == "<" else 2, 1]) + bytes(9)
    if bits == 64:
        rest = struct.pack(endian + "HHIQQQIHHHHHH", e_type, machine, 1, 0, ehsize, 0, 0,
                           ehsize, phsize, n_ph, 64, 0, 0)  # fmt: skip
    else:
        rest = struct.pack(endian + "HHIIIIIHHHHHH", e_type, machine, 1, 0, ehsize, 0, 0,
                           ehsize, phsize, n_ph, 40, 0, 0)  # fmt: skip
    data = ident + rest + phs + interp_data + dynamic + strtab
    assert len(data) == total
    return data


@pytest.mark.parametrize("bits", [32, 64])
@pytest.mark.parametrize("endian", ["<", ">"])
def test_every_class_and_byte_order(bits, endian):
    data = make_elf(bits=bits, endian=endian, needed=(b"libc.so", b"libm.so"), machine=183)
    info = elf.parse(data)
    assert info.bits == bits
    assert info.endian == ("little" if endian == "<" else "big")
    assert info.machine == "AArch64" and info.type == "EXEC"
    assert info.interpreter == "/lib/ld.so.1"
    assert info.needed == ("libc.so", "libm.so")
    assert info.linking == "dynamic"


def test_no_interpreter_and_no_dynamic_section_is_static():
    info = elf.parse(make_elf(interp=None))
    assert info.static and info.linking == "static" and not info.has_dynamic


def test_unknown_machine_and_type_are_shown_as_numbers():
    info = elf.parse(make_elf(machine=9999, e_type=0x77))
    assert info.machine == "9999" and info.type == "0x77"


def test_not_elf_is_a_clear_error():
    with pytest.raises(elf.NotElf, match="Not an ELF file") as e:
        elf.parse(b"#!/bin/sh\necho hi\n")
    assert isinstance(e.value, DockerlabError) and isinstance(e.value, ValueError)
    with pytest.raises(elf.NotElf):
        elf.parse(b"")


def test_unknown_class_is_rejected():
    data = bytearray(make_elf())
    data[4] = 7
    with pytest.raises(elf.NotElf, match="class"):
        elf.parse(bytes(data))


@pytest.mark.parametrize("cut", [20, 70, 130])
def test_truncated_file_is_a_clear_error(cut):
    data = make_elf(needed=(b"libc.so",))
    with pytest.raises(elf.NotElf, match=r"truncated|outside"):
        elf.parse(data[:cut])


def test_file_not_in_image_is_a_file_not_found_error():
    err = elf.FileNotInImage("/x is not in the image 'scratch'.")
    assert isinstance(err, FileNotFoundError) and isinstance(err, DockerlabError)


def test_host_binary_if_any():
    ls = Path("/bin/ls")
    if not ls.exists():
        pytest.skip("no /bin/ls")
    info = elf.parse(ls.read_bytes())
    assert info.type in ("EXEC", "DYN") and info.bits in (32, 64)


def test_run_matrix_marks_each_cell_and_names_the_loader():
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    ran = pd.DataFrame({"scratch": [False, True], "alpine": [True, True]},
                       index=["musl-dynamic", "musl-static"])  # fmt: skip
    fig = static_binaries.plot_run_matrix(ran, {"musl-dynamic": "/lib/ld-musl-x86_64.so.1",
                                    "musl-static": None}, title="t")  # fmt: skip
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["exec fails:\nno such file", "runs", "runs", "runs"]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["musl-dynamic\n(/lib/ld-musl-x86_64.so.1)", "musl-static\n(no loader needed)"]
