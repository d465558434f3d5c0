"""The in-memory build context, the choice of builder and the explanation of failures (no engine).

The failure messages are the engines' own wordings, copied from real builds:
Docker 20.10's legacy builder and its BuildKit, and Docker 28's BuildKit.
"""

import tarfile

import pytest

from dockerlab.core.building import context_tar, explain_failure, needs_buildkit
from dockerlab.core.dockerfile import base_images


def test_context_holds_dockerfile_and_files_with_modes():
    buf = context_tar(
        "FROM scratch\n", {"app/run.sh": ("#!/bin/sh\necho hi\n", 0o755), "data": b"\x00\x01"}
    )
    with tarfile.open(fileobj=buf) as tar:
        names = tar.getnames()
        assert names == ["Dockerfile", "app/run.sh", "data"]
        assert tar.getmember("app/run.sh").mode == 0o755
        assert tar.getmember("data").mode == 0o644
        assert tar.extractfile("Dockerfile").read() == b"FROM scratch\n"
        assert tar.extractfile("data").read() == b"\x00\x01"


def test_context_is_reproducible():
    a = context_tar("FROM scratch\n", {"x": "1"}).getvalue()
    b = context_tar("FROM scratch\n", {"x": "1"}).getvalue()
    assert a == b


@pytest.mark.parametrize(
    ("message", "tail", "says"),
    [
        ("dockerfile parse error line 1: unknown instruction: FORM", [], "syntax"),
        ("dockerfile parse error on line 1: unknown instruction: FORM (did you mean FROM?)", [],
         "syntax"),
        ("The command '/bin/sh -c false' returned a non-zero code: 1", [], "exited with an error"),
        ('process "/bin/sh -c exit 3" did not complete successfully: exit code: 3', [],
         "exited with an error"),
        ("executor failed running [/bin/sh -c exit 3]: exit code: 3", [], "exited with an error"),
        ("COPY failed: file not found in build context or excluded by .dockerignore: stat "
         "missing.txt: file does not exist", [], "files="),
        ('failed to calculate checksum of ref abc::def: "/missing.txt": not found', [], "files="),
        ('process "/bin/sh -c apt-get update" did not complete successfully: exit code: 100',
         ["#5 0.311 Err:1 http://deb.debian.org/debian trixie InRelease",
          "#5 0.311   Temporary failure resolving 'deb.debian.org'"], "no network"),
        ("The command '/bin/sh -c apk add curl' returned a non-zero code: 1",
         ["WARNING: fetching https://dl-cdn.alpinelinux.org/alpine/v3.23/main: DNS lookup error"],
         "no network"),
        ("the --mount option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/",
         [], "BuildKit"),
        ("failed to write /var/lib/docker/tmp/x: no space left on device", [], "disk is full"),
        ('failed to resolve source metadata for docker.io/library/nope:1: pull access denied',
         [], "make bases"),
    ],
)  # fmt: skip
def test_failure_hints_name_the_cause(message, tail, says):
    assert says in (explain_failure(message, tail) or "")


def test_a_failed_download_with_a_network_does_not_blame_the_missing_network():
    message = 'process "/bin/sh -c apt-get update" did not complete successfully: exit code: 100'
    tail = ["#5 0.311   Temporary failure resolving 'deb.debian.org'"]
    assert "no network" in explain_failure(message, tail)
    hint = explain_failure(message, tail, network=True)
    assert "no network" not in hint and "network" in hint


def test_what_only_buildkit_builds_is_recognised():
    assert (
        needs_buildkit("FROM a\nRUN --mount=type=secret,id=t cat /run/secrets/t\n") == "RUN --mount"
    )
    assert needs_buildkit("FROM a\nRUN --network=none --mount=type=cache,target=/c true\n")
    assert needs_buildkit("# syntax=docker/dockerfile:1\nFROM a\n") == "a `# syntax=` line"
    assert needs_buildkit("FROM a\nRUN <<EOF\necho hi\nEOF\n") == "a heredoc (<<EOF)"
    assert needs_buildkit("FROM a\nCOPY --link x /x\n")
    assert needs_buildkit("FROM a\nRUN echo '--mount' && cat <file\nCOPY --chown=1 x /x\n") is None


def test_base_images_leave_out_stages_and_scratch_and_substitute_args():
    text = "ARG BASE=alpine:3.23\nFROM $BASE AS build\nFROM build\nFROM scratch\nCOPY --from=build / /\n"
    assert base_images(text) == ["alpine:3.23"]
    assert base_images(text, {"BASE": "debian:trixie"}) == ["debian:trixie"]
    assert base_images("\x00\x01 junk") == []
    heredoc = "FROM alpine:3.23\nCOPY <<EOF /notes.txt\nFROM debian:trixie\nEOF\nRUN true\n"
    assert base_images(heredoc) == ["alpine:3.23"]  # a heredoc's lines are no instructions
