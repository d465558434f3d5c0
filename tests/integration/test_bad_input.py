"""Bad input from a learner: each gets a clear error, and nothing is left behind."""

import os

import pytest

import dockerlab as dl

pytestmark = pytest.mark.usefixtures("nothing_left")


def test_binary_junk_as_a_dockerfile(bases):
    junk = os.urandom(4096).decode("latin-1")
    with pytest.raises(dl.BuildFailed) as info:
        dl.build(junk, progress=False)
    assert "The build failed" in str(info.value)
    assert "Traceback" not in str(info.value)


def test_an_invalid_image_name(bases):
    with pytest.raises(dl.DockerlabError, match="invalid reference format"):
        dl.run("Not A Valid::Name", "true")
    with pytest.raises(dl.BuildFailed, match="invalid reference format"):
        dl.build(f"FROM {bases['alpine']}\n", tag="UPPER/Case:!", progress=False)


def test_a_100_mb_build_context_builds_and_goes(bases):
    big = os.urandom(100 * 2**20)
    dockerfile = f'FROM {bases["alpine"]}\nCOPY big.bin /big.bin\nCMD ["wc", "-c", "/big.bin"]\n'
    with dl.build(dockerfile, {"big.bin": big}, progress=False) as img:
        assert dl.run(img).output.split()[0] == str(len(big))


def test_a_container_writing_lots_of_logs_is_capped(bases):
    flood = "yes 'a line of log' | head -c 50000000"
    result = dl.run(bases["alpine"], ["sh", "-c", flood], timeout=120)
    assert result.exit_code == 0
    assert 0 < len(result.output) < 3 * 2**20  # json-file max-size 1m: 50 MB written, ~1 MB kept
