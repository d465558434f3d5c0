"""The layer analyser and the BuildKit helper on real builds (legacy builder and BuildKit)."""

from __future__ import annotations

import docker.errors
import pytest

import dockerlab as dl
from dockerlab import buildkit, layers

needs_buildkit = pytest.mark.skipif(not buildkit.available(), reason="no BuildKit-capable CLI")


@pytest.fixture(scope="module")
def wasteful(bases):
    dockerfile = (
        f"FROM {bases['alpine']}\n"
        "RUN dd if=/dev/zero of=/big.bin bs=1024 count=1024 2>/dev/null\n"
        "ENV STAGE=test\n"
        "RUN echo a > /f\n"
        "RUN echo bb > /f && rm /big.bin\n"
        "RUN echo ccc > /f\n"
        'CMD ["cat", "/f"]\n'
    )
    with dl.build(dockerfile, progress=False) as img:
        yield img


def test_layers_and_history_match_the_engine(engine, wasteful):
    a = layers.analyse(wasteful)
    assert a.layout == "legacy"  # what engine 20.10 writes; the OCI layout is unit-tested
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


def test_cached_steps_counts_legacy_cache_hits(bases):
    dockerfile = f"FROM {bases['alpine']}\nRUN echo cached > /c\nRUN echo two > /d\n"
    with dl.build(dockerfile, progress=False) as first:
        second = dl.build(dockerfile, progress=False)
        try:
            assert buildkit.cached_steps(first) == 0
            assert buildkit.cached_steps(second) == 2
        finally:
            second.remove()


@needs_buildkit
def test_buildkit_workdir_makes_a_layer_env_does_not(engine, bases):
    dockerfile = f"FROM {bases['alpine']}\nWORKDIR /tmp\nENV A=b\nLABEL x=y\n"
    with buildkit.build(dockerfile, progress=False) as img:
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
        buildkit.build(f"FROM {bases['alpine']}\nRUN echo about to fail && exit 3\n",
                       progress=False)  # fmt: skip
    assert "exit code: 3" in str(info.value)
    assert info.value.step and "RUN echo about to fail" in info.value.step
    assert info.value.hint
    assert {i.id for i in engine.images.list(all=True)} - before == set()  # nothing new


@needs_buildkit
def test_buildkit_timeout(bases):
    with pytest.raises(dl.BuildTimeout):
        buildkit.build(f"FROM {bases['alpine']}\nRUN sleep 30\n", timeout=3, progress=False)


def test_without_buildkit_the_error_says_so(monkeypatch):
    monkeypatch.setattr(buildkit, "buildkit_cli", lambda: None)
    with pytest.raises(buildkit.BuildKitUnavailable) as info:
        buildkit.build("FROM scratch\n")
    assert "BuildKit" in info.value.hint
    assert not buildkit.available()
    assert "No BuildKit" in buildkit.describe()
