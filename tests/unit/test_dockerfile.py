"""Reading a Dockerfile's bases and pins (dockerlab.core.dockerfile), on texts the tests write."""

from __future__ import annotations

from dockerlab.core import dockerfile

DIGEST = "sha256:" + "ab" * 32


def test_split_image():
    assert dockerfile.split_image("debian") == ("debian", None, None)
    assert dockerfile.split_image("debian:bookworm") == ("debian", "bookworm", None)
    assert dockerfile.split_image(f"127.0.0.1:5000/lesson/app:1.0@{DIGEST}") == ("127.0.0.1:5000/lesson/app", "1.0", DIGEST)  # fmt: skip
    assert dockerfile.split_image(f"127.0.0.1:5000/lesson/app@{DIGEST}") == ("127.0.0.1:5000/lesson/app", None, DIGEST)  # fmt: skip


def test_base_images_skips_stages_and_scratch_and_substitutes_args(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (
        "ARG ALPINE=3.22\n"
        "FROM debian:bookworm AS build\n"
        "RUN true\n"
        "FROM build AS test\n"
        "FROM alpine:${ALPINE}\n"
        "COPY --from=build /x /x\n"
        "FROM scratch\n"
        f"FROM 127.0.0.1:5000/lesson/app:latest@{DIGEST}\n"
        "FROM debian\n"
    )
    bases = dockerfile.bases(text)
    assert [(b.line, b.image, b.pinned) for b in bases] == [
        (2, "debian:bookworm", "tag"),
        (5, "alpine:3.22", "tag"),
        (8, f"127.0.0.1:5000/lesson/app:latest@{DIGEST}", "digest"),
        (9, "debian", "none"),
    ]
    assert dockerfile.bases(text, {"ALPINE": "3.23"})[1].image == "alpine:3.23"
    assert dockerfile.bases("FROM debian:latest\n")[0].pinned == "latest"
    assert not (tmp_path / "Dockerfile").exists()  # parsed in memory, nothing written


def test_base_images_reads_a_path(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine:3.23\n")
    assert dockerfile.bases(dockerfile.read(path))[0].image == "alpine:3.23"
    assert dockerfile.bases(dockerfile.read(str(path)))[0].image == "alpine:3.23"
    assert path.read_text() == "FROM alpine:3.23\n"


def test_base_images_names_each_base_once_and_leaves_heredoc_bodies_and_unfilled_args_out():
    text = (
        "FROM alpine:3.23 AS a\n"
        "RUN <<EOF\nFROM debian:bookworm\nEOF\n"
        "FROM alpine:3.23\n"
        "FROM $UNSET\n"
        "FROM a\n"
    )
    assert dockerfile.base_images(text) == ["alpine:3.23"]
    assert dockerfile.base_images("not a dockerfile at all (") == []


def test_base_images_skips_stages_scratch_and_flags():
    text = ("FROM --platform=linux/amd64 dockerlab/builder AS build\nRUN true\n"
            "FROM build AS again\nFROM scratch\nFROM alpine:3.23\n")  # fmt: skip
    assert dockerfile.base_images(text) == ["dockerlab/builder", "alpine:3.23"]


def test_base_images_fills_in_args_and_skips_heredoc_bodies():
    text = ("ARG TAG=latest\nFROM alpine:${TAG}\n"
            "COPY <<EOF /notes.txt\nFROM debian\nEOF\n")  # fmt: skip
    assert dockerfile.base_images(text) == ["alpine:latest"]
    assert dockerfile.unpinned("alpine:latest")


def test_unpinned():
    assert dockerfile.unpinned("debian") and dockerfile.unpinned("debian:latest")
    assert dockerfile.unpinned("localhost:5000/app")  # a registry port is not a tag
    assert not dockerfile.unpinned("debian:bookworm")
    assert not dockerfile.unpinned("alpine@sha256:" + "0" * 64)


def test_replace_base_keeps_flags_and_stage_names():
    text = "FROM --platform=$BUILDPLATFORM debian AS b\nfrom debian\nFROM debian-extra\n"
    assert dockerfile.replace_base(text, "debian", "debian:trixie") == (
        "FROM --platform=$BUILDPLATFORM debian:trixie AS b\nfrom debian:trixie\nFROM debian-extra\n"
    )
