"""No notebook or exercise code types in a path that holds on one CPU only.

On an Apple Silicon Mac the engine is linux/arm64: glibc's loader is
``/lib/ld-linux-aarch64.so.1`` there, not ``/lib64/ld-linux-x86-64.so.2``, its
libraries are in ``/lib/aarch64-linux-gnu``, musl's loader is
``/lib/ld-musl-aarch64.so.1``. A cell that types one of them fails, or teaches the
wrong path, on the other machine: code reads such paths from the image (the ELF
interpreter, ``ldconfig -p``, a glob). Prose may name them, as examples.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*ROOT.glob("notebooks/src/*.py"), *ROOT.glob("exercises/src/*.py"),
                  *ROOT.glob("instructor/src/*.py")])  # fmt: skip
ARCH = r"(?:x86[_-]64|amd64|i[3-6]86|aarch64|arm64|armhf|armv7|ppc64le|s390x|riscv64)"
#: A file name or path with an architecture in it: ``ld-musl-x86_64.so.1``,
#: ``/lib/aarch64-linux-gnu``, ``x86_64-linux-gnu-gcc``, ``foo_amd64.deb``.
ARCH_PATH = re.compile(
    rf"[\w.+-]*{ARCH}[\w.+-]*\.(?:so|deb|apk|whl)\b[\w.]*"  # a file of one architecture
    rf"|/[\w./+-]*{ARCH}[\w.+-]*"  # a path through one
    rf"|\b{ARCH}-linux-(?:gnu|musl)\b"  # a multiarch triplet
)


def code_cells(src: Path) -> list[tuple[int, str]]:
    nb = jupytext.read(src, fmt="py:percent")
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.name)
def test_code_cells_name_no_architecture_specific_path(src):
    found = [(i, m[0]) for i, code in code_cells(src) for m in ARCH_PATH.finditer(code)]
    assert not found, (
        f"{src.name}: code cells type architecture-specific paths {found}; read them from "
        "the image instead (elf.inspect(...).interpreter, ldconfig -p, a glob)"
    )


@pytest.mark.parametrize(
    "text",
    [
        '"cd /lib && stat ld-musl-x86_64.so.1"',
        'assert loader == "/lib64/ld-linux-x86-64.so.2"',
        '"cd /lib/x86_64-linux-gnu && ls"',
        'open("/usr/lib/aarch64-linux-gnu/libc.so.6")',
        '"dumb-init_1.2.5-2_amd64.deb"',
        '"CC=aarch64-linux-gnu-gcc"',
    ],
)
def test_the_check_catches_the_paths_it_is_for(text):
    assert ARCH_PATH.search(text), text


@pytest.mark.parametrize(
    "text",
    [
        '"stat -c %n /lib/ld-musl-*.so.1"',
        'source = "sysdeps/<arch>/nptl/pthreaddef.h (2 MiB on x86-64 and AArch64)"',
        "print(dl.engine_info().arch)  # amd64 or arm64",
        'platform="linux/" + arch',
    ],
)
def test_the_check_leaves_neutral_code_alone(text):
    assert not ARCH_PATH.search(text), ARCH_PATH.search(text)
