"""Building from Dockerfile text on the real engine: success, failures, cleanup."""

import uuid

import docker.errors
import pytest

import dockerlab as dl


def test_build_labels_the_image_and_removes_it_on_exit(engine, bases):
    dockerfile = f'FROM {bases["alpine"]}\nRUN echo hello > /greeting\nCMD ["cat", "/greeting"]\n'
    with dl.build(dockerfile, progress=False) as img:
        got = engine.images.get(img.id)
        assert got.labels[dl.labels.SESSION] == dl.labels.SESSION_ID
        assert dl.run(img).output == "hello\n"
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(img.id)


def test_build_with_files_and_progress_callback(engine, bases):
    lines = []
    files = {"app/hello.sh": ("#!/bin/sh\necho from a script\n", 0o755)}
    dockerfile = f'FROM {bases["alpine"]}\nCOPY app/ /app/\nCMD ["/app/hello.sh"]\n'
    with dl.build(dockerfile, files, progress=lines.append) as img:
        assert dl.run(img).output == "from a script\n"
    assert any(line.startswith("Step 2/3: COPY app/ /app/") for line in lines)


def test_syntax_error_is_a_clear_build_failure(engine):
    with pytest.raises(dl.BuildFailed) as info:
        dl.build("FORM alpine\n", progress=False)
    assert "unknown instruction" in str(info.value).lower()
    assert "syntax" in info.value.hint


def test_failing_run_names_the_step_and_leaves_nothing(engine, bases):
    marker = f"step-one-{uuid.uuid4().hex}"  # makes this build's intermediate image unique
    dockerfile = (
        f"FROM {bases['alpine']}\nRUN echo {marker} > /one\nRUN echo about to fail && exit 3\n"
    )
    with pytest.raises(dl.BuildFailed) as info:
        dl.build(dockerfile, progress=False)
    err = info.value
    assert err.step == "Step 3/3 : RUN echo about to fail && exit 3"
    assert any("about to fail" in line for line in err.log_tail)
    assert "non-zero code: 3" in str(err)
    made_by_us = [
        i.id
        for i in engine.images.list(all=True)
        if any(marker in (h.get("CreatedBy") or "") for h in i.history()[:1])
    ]
    assert not made_by_us, "the failed build left its intermediate image behind"


def test_unknown_base_image_fails_fast_with_a_hint(engine):
    with pytest.raises(dl.BuildFailed) as info:
        dl.build("FROM dockerlab/no-such-image:never\n", progress=False)
    assert "make bases" in info.value.hint


def test_missing_copy_source_is_explained(engine, bases):
    with pytest.raises(dl.BuildFailed) as info:
        dl.build(f"FROM {bases['alpine']}\nCOPY missing.txt /\n", progress=False)
    assert "files=" in info.value.hint


def test_a_build_that_never_ends_is_stopped(engine, bases):
    with pytest.raises(dl.BuildTimeout) as info:
        dl.build(f"FROM {bases['alpine']}\nRUN sleep 600\n", timeout=5, progress=False)
    assert "longer than 5 s" in str(info.value)
    assert info.value.step == "Step 2/2 : RUN sleep 600"


def test_cleanup_removes_the_unlabelled_earlier_stages_of_a_multistage_build(bases, nothing_left):
    c = dl.client()
    before = {i.id for i in c.images.list(all=True)}
    stamp = uuid.uuid4().hex  # no cache hit: this build makes every image itself
    img = dl.build(
        f"FROM {bases['alpine']} AS build\nRUN echo {stamp} > /artifact\n"
        f"FROM {bases['alpine']}\nCOPY --from=build /artifact /artifact\n",
        progress=False,
    )
    stages = [i for i in img.intermediates if not c.images.get(i).labels.get(dl.labels.SESSION)]
    assert stages, "the first stage's image carries no session label"
    dl.cleanup()  # not img.remove(): what a notebook's last cell does
    assert {i.id for i in c.images.list(all=True)} <= before
