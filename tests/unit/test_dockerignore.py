"""A folder's build context as ``docker build`` sends it (dockerlab.core.building.context):
``.dockerignore`` read and matched, the Dockerfile and files too large left out."""

from __future__ import annotations

from dockerlab.core.building import context as build_context
from dockerlab.core.building.context import dockerignore, ignored, read_context


def test_dockerignore(tmp_path):
    (tmp_path / ".dockerignore").write_text("# comment\n*.secret\nbuild/\n**/*.log\n!keep.log\n")
    patterns = dockerignore(tmp_path)
    assert ignored("token.secret", patterns)
    assert ignored("build/out/a.o", patterns)
    assert ignored("src/deep/x.log", patterns) and ignored("x.log", patterns)
    assert not ignored("keep.log", patterns)
    assert not ignored("src/main.c", patterns)
    for name in ("token.secret", "keep.log", "src/main.c", "Dockerfile"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    assert sorted(read_context(tmp_path)) == [".dockerignore", "keep.log", "src/main.c"]


def test_dockerignore_patterns_are_read_in_order_and_cleaned(tmp_path):
    assert dockerignore(tmp_path) == []  # no .dockerignore: nothing is left out
    (tmp_path / ".dockerignore").write_text("\n  /docs/../tmp/*  \n!tmp/keep\n# not a pattern\n")
    assert dockerignore(tmp_path) == [(False, "tmp/*"), (True, "tmp/keep")]


def test_single_characters_classes_and_folders():
    assert ignored("a1.txt", [(False, "a?.txt")]) and not ignored("a12.txt", [(False, "a?.txt")])
    assert ignored("v3.log", [(False, "v[0-9].log")]) and not ignored("vx.log", [(False, "v[0-9].log")])  # fmt: skip
    assert not ignored("sub/a.txt", [(False, "*.txt")])  # `*` stays within a name
    assert ignored("node_modules/x/y.js", [(False, "node_modules")])  # a folder: all in it
    assert ignored("a/b/c.txt", [(False, "**")])


def test_read_context_keeps_modes_and_names_files_left_out_as_too_large(tmp_path, monkeypatch):
    (tmp_path / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "run.sh").chmod(0o755)
    (tmp_path / "big.bin").write_bytes(b"x" * 11)
    monkeypatch.setattr(build_context, "MAX_CONTEXT_FILE", 10)
    notes: list[str] = []
    files = read_context(tmp_path, notes)
    assert files == {"run.sh": (b"#!/bin/sh\n", 0o755)}
    assert len(notes) == 1 and "big.bin" in notes[0]
