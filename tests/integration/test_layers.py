"""The layer analyser and the BuildKit helper on real builds (legacy builder and BuildKit)."""

from __future__ import annotations

import uuid

import docker.errors
import pytest

import dockerlab as dl
from dockerlab.core.building import builders
from dockerlab.inspect import layers

needs_buildkit = pytest.mark.skipif(
    "buildkit" not in dl.available_builders(), reason="no BuildKit client"
)


@pytest.fixture(scope="module", params=["buildkit", "legacy"])
def wasteful(request, bases):
    dockerfile = (
        f"FROM {bases['alpine']}\n"
        "RUN dd if=/dev/zero of=/big.bin bs=1024 count=1024 2>/dev/null\n"
        "ENV STAGE=test\n"
        "RUN echo a > /f\n"
        "RUN echo bb > /f && rm /big.bin\n"
        "RUN echo ccc > /f\n"
        'CMD ["cat", "/f"]\n'
    )
    if request.param not in dl.available_builders():
        pytest.skip("no BuildKit client on this machine")
    with dl.build(dockerfile, builder=request.param, progress=False) as img:
        yield img


def test_layers_and_history_match_the_engine(engine, wasteful):
    a = layers.analyse(wasteful)
    # Engines up to 24 save the legacy layout, 25+ the OCI one (both unit-tested too).
    assert a.layout == ("oci" if dl.engine_info().major >= 25 else "legacy")
    assert len(a.layers) == len(engine.images.get(wasteful.id).attrs["RootFS"]["Layers"])
    assert len(a.history) == len(dl.history(wasteful))
    assert list(a.layers["instruction"][1:]) == [
        "RUN dd if=/dev/zero of=/big.bin bs=1024 count=1024 2>/dev/null",
        "RUN echo a > /f",
        "RUN echo bb > /f && rm /big.bin",
        "RUN echo ccc > /f",
    ]
    env = a.history[a.history["instruction"] == "ENV STAGE=test"].iloc[0]
    assert env["empty_layer"]
    # The kit's history heuristic agrees with the config's empty_layer here.
    assert list(dl.history(wasteful)["layer"]) == list(~a.history["empty_layer"])


def test_wasted_bytes_and_efficiency(wasteful):
    a = layers.analyse(wasteful)
    w = a.wasted
    assert w.loc[w["path"] == "/big.bin", "size"].tolist() == [1024 * 1024]
    f = w[w["path"] == "/f"].sort_values("added_in")
    assert f["size"].tolist() == [2, 3]  # "a\n" and "bb\n", each once; "ccc\n" is kept
    assert a.layers["deleted"].iloc[3] == 1
    assert 0 < a.efficiency < 1
    assert a.top_wasted(1).iloc[0]["path"] == "/big.bin"


def test_read_file_from_an_earlier_layer(wasteful):
    assert layers.read_file(wasteful, "/f", 2) == b"a\n"
    assert layers.read_file(wasteful, "/f", -1) == b"ccc\n"
    assert dl.run(wasteful).output == "ccc\n"


def test_unknown_image_is_a_clear_error(engine):
    with pytest.raises(dl.ImageNotFound):
        layers.analyse("dockerlab/no-such-image:never")


def test_cached_steps_counts_cache_hits(bases, builder):
    stamp = uuid.uuid4().hex  # the first build is never a cache hit
    dockerfile = f"FROM {bases['alpine']}\nRUN echo {stamp} > /c\nRUN echo two > /d\n"
    with dl.build(dockerfile, builder=builder, progress=False) as first:
        second = dl.build(dockerfile, builder=builder, progress=False)
        try:
            assert first.cached_steps == 0
            assert second.cached_steps == 2
        finally:
            second.remove()


@needs_buildkit
def test_buildkit_workdir_makes_a_layer_env_does_not(engine, bases):
    dockerfile = f"FROM {bases['alpine']}\nWORKDIR /tmp\nENV A=b\nLABEL x=y\n"
    with dl.build(dockerfile, builder="buildkit", progress=False) as img:
        assert img.builder == "buildkit"
        got = engine.images.get(img.id)
        assert got.labels[dl.labels.SESSION] == dl.labels.SESSION_ID
        a = layers.analyse(img)
        assert list(a.layers["instruction"][1:]) == ["WORKDIR /tmp"]
        assert list(a.history["empty_layer"][1:]) == [False, True, True]
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(img.id)


@needs_buildkit
def test_buildkit_failure_is_clear_and_leaves_nothing(engine, bases):
    before = {i.id for i in engine.images.list(all=True)}
    with pytest.raises(dl.BuildFailed) as info:
        dl.build(f"FROM {bases['alpine']}\nRUN echo about to fail && exit 3\n",
                 builder="buildkit", progress=False)  # fmt: skip
    assert "exit code: 3" in str(info.value)
    assert info.value.step and "RUN echo about to fail" in info.value.step, info.value.log_tail
    assert info.value.hint
    assert {i.id for i in engine.images.list(all=True)} - before == set()  # nothing new


@needs_buildkit
def test_buildkit_timeout(bases):
    with pytest.raises(dl.BuildTimeout):
        dl.build(
            f"FROM {bases['alpine']}\nRUN sleep 30\n", builder="buildkit", timeout=3, progress=False
        )


def test_without_buildkit_the_error_says_so(monkeypatch, engine):
    monkeypatch.setattr(builders, "buildkit_cli", lambda: None)
    with pytest.raises(dl.BuildKitUnavailable) as info:
        dl.build("FROM scratch\nRUN --mount=type=cache,target=/c true\n")
    assert "BuildKit" in info.value.hint and "RUN --mount" in str(info.value)
    assert dl.available_builders() == ["legacy"]
    assert "No BuildKit" in dl.describe_builders()
    # Without a client, a Dockerfile that needs none builds with the legacy builder.
    with dl.build("FROM scratch\nLABEL x=y\n", progress=False) as img:
        assert img.builder == "legacy"
