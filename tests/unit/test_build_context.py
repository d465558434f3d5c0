"""The in-memory build context and the build-error translation (no engine)."""

import tarfile

from dockerlab.build import _failure, context_tar


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


def test_failure_hints_name_the_cause():
    syntax = _failure("dockerfile parse error line 1: unknown instruction: FORM", None, [])
    assert "syntax" in syntax.hint
    run = _failure("The command '/bin/sh -c false' returned a non-zero code: 1", "Step 2/2 : RUN false",
                   ["Step 2/2 : RUN false"])  # fmt: skip
    assert "exited with an error" in run.hint
    text = str(run)
    assert "failing step: Step 2/2 : RUN false" in text and "| Step 2/2 : RUN false" in text
    copy = _failure("COPY failed: file not found in build context", None, [])
    assert "files=" in copy.hint
