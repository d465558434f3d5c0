"""Building from Dockerfile text on the real engine: success, failures, cleanup.

Every test runs with each builder here (``builder`` fixture): BuildKit and the
legacy builder must give the learner the same kind of answer.
"""

import re
import uuid

import docker.errors
import pytest

import dockerlab as dl


def test_build_labels_the_image_and_removes_it_on_exit(engine, bases, builder):
    dockerfile = f'FROM {bases["alpine"]}\nRUN echo hello > /greeting\nCMD ["cat", "/greeting"]\n'
    with dl.build(dockerfile, builder=builder, progress=False) as img:
        assert img.builder == builder
        got = engine.images.get(img.id)
        assert got.labels[dl.labels.SESSION] == dl.labels.SESSION_ID
        assert dl.run(img).output == "hello\n"
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(img.id)


def test_build_with_files_and_progress_callback(engine, bases, builder):
    lines = []
    files = {"app/hello.sh": ("#!/bin/sh\necho from a script\n", 0o755)}
    dockerfile = f'FROM {bases["alpine"]}\nCOPY app/ /app/\nCMD ["/app/hello.sh"]\n'
    with dl.build(dockerfile, files, builder=builder, progress=lines.append) as img:
        assert dl.run(img).output == "from a script\n"
    # The legacy builder counts CMD as a step, BuildKit does not.
    assert any(re.match(r"Step 2/[23]: COPY app/ /app/", line) for line in lines), lines


def test_syntax_error_is_a_clear_build_failure(engine, builder):
    with pytest.raises(dl.BuildFailed) as info:
        dl.build("FORM alpine\n", builder=builder, progress=False)
    assert "unknown instruction" in str(info.value).lower()
    assert "syntax" in info.value.hint


def test_failing_run_names_the_step_and_leaves_nothing(engine, bases, builder):
    marker = f"step-one-{uuid.uuid4().hex}"  # makes this build's intermediate image unique
    dockerfile = (
        f"FROM {bases['alpine']}\nRUN echo {marker} > /one\nRUN echo about to fail && exit 3\n"
    )
    with pytest.raises(dl.BuildFailed) as info:
        dl.build(dockerfile, builder=builder, progress=False)
    err = info.value
    assert err.step == "Step 3/3 : RUN echo about to fail && exit 3"
    assert any("about to fail" in line for line in err.log_tail)
    assert re.search(r"(non-zero code|exit code): 3", str(err))  # legacy / BuildKit wording
    assert "exited with an error" in err.hint
    made_by_us = [
        i.id
        for i in engine.images.list(all=True)
        if any(marker in (h.get("CreatedBy") or "") for h in i.history()[:1])
    ]
    assert not made_by_us, "the failed build left its intermediate image behind"


def test_unknown_base_image_fails_fast_with_a_hint(engine, builder):
    with pytest.raises(dl.BuildFailed) as info:
        dl.build("FROM dockerlab/no-such-image:never\n", builder=builder, progress=False)
    assert "make bases" in info.value.hint


def test_a_missing_base_offline_is_named_before_anything_runs(engine, builder, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_OFFLINE", "1")
    dl.engine.registry_reachable.cache_clear()
    try:
        with pytest.raises(dl.BaseImageMissing) as info:
            dl.build("ARG V=latest\nFROM alpine:$V AS base\nFROM base\nRUN true\n",
                     builder=builder, progress=False)  # fmt: skip
    finally:
        dl.engine.registry_reachable.cache_clear()
    assert "'alpine:latest' is not on this engine" in str(info.value)
    assert "no registry is reachable" in str(info.value) and "make bases" in info.value.hint


def test_missing_copy_source_is_explained(engine, bases, builder):
    with pytest.raises(dl.BuildFailed) as info:
        dl.build(f"FROM {bases['alpine']}\nCOPY missing.txt /\n", builder=builder, progress=False)
    assert "files=" in info.value.hint


def test_a_build_that_never_ends_is_stopped(engine, bases, builder):
    with pytest.raises(dl.BuildTimeout) as info:
        dl.build(f"FROM {bases['alpine']}\nRUN sleep 600\n", builder=builder, timeout=5,
                 progress=False)  # fmt: skip
    assert "longer than 5 s" in str(info.value)
    assert info.value.step == "Step 2/2 : RUN sleep 600"


def test_cleanup_removes_the_unlabelled_earlier_stages_of_a_multistage_build(bases, nothing_left):
    c = dl.client()
    before = {i.id for i in c.images.list(all=True)}
    stamp = uuid.uuid4().hex  # no cache hit: this build makes every image itself
    img = dl.build(
        f"FROM {bases['alpine']} AS build\nRUN echo {stamp} > /artifact\n"
        f"FROM {bases['alpine']}\nCOPY --from=build /artifact /artifact\n",
        builder="legacy",  # BuildKit makes no images of earlier stages
        progress=False,
    )
    stages = [i for i in img.intermediates if not c.images.get(i).labels.get(dl.labels.SESSION)]
    assert stages, "the first stage's image carries no session label"
    dl.cleanup()  # not img.remove(): what a notebook's last cell does
    assert {i.id for i in c.images.list(all=True)} <= before


def test_buildkit_only_syntax_picks_buildkit_and_legacy_refuses_it(engine, bases):
    dockerfile = f"FROM {bases['alpine']}\nRUN --mount=type=cache,target=/cache touch /cache/x\n"
    with pytest.raises(dl.BuildFailed) as info:
        dl.build(dockerfile, builder="legacy", progress=False)
    assert "RUN --mount" in str(info.value) and "BuildKit" in info.value.hint
    if "buildkit" in dl.available_builders():
        with dl.build(dockerfile, progress=False) as img:
            assert img.builder == "buildkit"


def test_the_default_builder_is_what_docker_build_uses_on_this_engine(engine, bases):
    with dl.build(f"FROM {bases['alpine']}\nLABEL x=y\n", progress=False) as img:
        expected = dl.engine_info().default_builder
        assert img.builder == (expected if expected in dl.available_builders() else "legacy")


@pytest.mark.skipif("buildkit" not in dl.available_builders(), reason="no BuildKit client")
def test_a_syntax_line_offline_builds_with_the_built_in_frontend(engine, bases, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_OFFLINE", "1")
    dl.engine.registry_reachable.cache_clear()
    said = []
    try:
        text = f"# syntax=docker/dockerfile:1\nFROM {bases['alpine']}\nRUN echo ok > /ok\n"
        with dl.build(text, progress=said.append) as img:
            assert img.builder == "buildkit" and dl.run(img, "cat /ok").output == "ok\n"
    finally:
        dl.engine.registry_reachable.cache_clear()
    assert any("docker/dockerfile:1" in s and "built-in" in s for s in said), said


def test_learners_building_one_tag_at_once_all_get_their_image(engine, builder):
    # On the containerd store the engine moves a name by deleting and re-creating it; two
    # builds tagging one lesson's name at the same moment met in between (a CI failure).
    from concurrent.futures import ThreadPoolExecutor

    tag = f"dockerlab/one-tag-{uuid.uuid4().hex[:8]}:lesson"

    built = []

    def learner(n):
        for k in range(3):
            text = f"FROM scratch\nLABEL learner={n}-{k}\n"
            built.append(dl.build(text, tag=tag, builder=builder, progress=False))

    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(learner, range(4)))
        assert len({img.id for img in built}) == 12
        assert engine.images.get(tag).id in {img.id for img in built}
    finally:
        for img in built:
            img.remove()
