"""Secrets baked into images, found with the layer analyser; and kept out with BuildKit."""

from __future__ import annotations

import pytest

import dockerlab as dl
from dockerlab.inspect import layers

TOKEN = "FAKE-TOKEN-for-lesson-only"


def test_env_and_arg_values_are_in_history_and_config(bases):
    env_df = f"FROM {bases['alpine']}\nENV API_TOKEN={TOKEN}\n"
    arg_df = f'FROM {bases["alpine"]}\nARG API_TOKEN\nRUN test -n "$API_TOKEN" && touch /ok\n'
    with (
        dl.build(env_df, progress=False) as env_img,
        dl.build(arg_df, buildargs={"API_TOKEN": TOKEN}, progress=False) as arg_img,
    ):
        assert f"API_TOKEN={TOKEN}" in layers.analyse(env_img).config["config"]["Env"]
        assert any(TOKEN in by for by in dl.history(env_img)["created_by"])
        assert any(TOKEN in by for by in dl.history(arg_img)["created_by"])
        hits = layers.search(arg_img, TOKEN)
        assert set(hits["where"]) == {"config"} and hits["path"].str.startswith("history").all()


def test_a_deleted_file_is_recovered_from_its_layer(bases):
    dockerfile = (
        f"FROM {bases['alpine']}\nCOPY token.txt /tmp/token.txt\n"
        "RUN cat /tmp/token.txt >/dev/null && rm /tmp/token.txt\n"
    )
    with dl.build(dockerfile, {"token.txt": TOKEN}, progress=False) as img:
        assert dl.run(img, "ls /tmp").output == ""
        a = layers.analyse(img)
        copy_layer = a.layer_of("COPY")
        assert layers.read_file(img, "/tmp/token.txt", copy_layer) == TOKEN.encode()
        hits = layers.search(img, TOKEN)
        assert list(hits["layer"]) == [copy_layer]


@pytest.mark.skipif("buildkit" not in dl.available_builders(), reason="no BuildKit client")
def test_buildkit_secret_mount_leaves_no_trace(bases):
    dockerfile = (
        f"FROM {bases['alpine']}\nRUN --mount=type=secret,id=api_token "
        "test -s /run/secrets/api_token && echo used > /used\n"
    )
    with dl.build(dockerfile, secrets={"api_token": TOKEN}, progress=False) as img:
        assert dl.run(img, "cat /used").output == "used\n"
        assert layers.search(img, TOKEN).empty
        assert not any(TOKEN in by for by in dl.history(img)["created_by"])


@pytest.mark.skipif("buildkit" not in dl.available_builders(), reason="no BuildKit client")
def test_missing_secret_fails_the_build_clearly(bases):
    dockerfile = (
        f"FROM {bases['alpine']}\nRUN --mount=type=secret,id=api_token,required=true "
        "cat /run/secrets/api_token\n"
    )
    with pytest.raises(dl.BuildFailed):
        dl.build(dockerfile, progress=False)
