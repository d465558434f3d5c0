"""The capstone's scorecard on the real engine: the bad Dockerfile, a good one, the CLI."""

import os
import subprocess
import sys

import pytest

import dockerlab as dl
from dockerlab import scorecard

GOOD = """
FROM dockerlab/builder:bookworm AS build
WORKDIR /src
COPY ledger.c dumb-init.tar.gz ./
RUN mkdir -p dumb-init /out \\
 && tar xzf dumb-init.tar.gz -C dumb-init --strip-components=1 \\
 && musl-gcc -static -Os -o /out/dumb-init dumb-init/dumb-init.c \\
 && musl-gcc -static -Os -o /out/ledger ledger.c

FROM scratch
COPY --from=build /out/ /bin/
COPY ledger.csv /data/ledger.csv
USER 65534:65534
ENTRYPOINT ["/bin/dumb-init", "--"]
CMD ["/bin/ledger", "/data/ledger.csv"]
"""


@pytest.fixture(autouse=True)
def _nothing_left(engine):
    yield
    assert not any(dl.leftovers(dl.labels.SESSION_ID).values())


@pytest.fixture(scope="module")
def before(bases):
    return scorecard.score(scorecard.CAPSTONE / "Dockerfile", label="before")


def test_the_bad_dockerfile_fails_every_practice_it_breaks(before):
    v = before.values
    assert v["size_mb"] > 200 and v["layers"] >= 10 and v["wasted_mb"] > 16
    assert v["packages"] > 100 and v["shells"] > 0 and v["unpinned"] == 1
    assert v["secrets"] >= 2 and "config.Env[1]" in set(before.secret_hits["path"])
    assert v["works"] and v["zombies"] > 0 and v["stop_s"] >= 2.5 and v["uid"] == 0
    assert set(before.lint["code"]) >= {"DL3006"}
    assert any("dockerlab/builder:bookworm instead" in n for n in before.notes)
    assert scorecard.CAPSTONE_TOKEN not in str(before)


def test_a_good_dockerfile_meets_every_target(before):
    after = scorecard.score(GOOD, scorecard.CAPSTONE, label="after")
    assert after.passed == [key for key, *_ in scorecard.MEASURES], str(after)
    table = scorecard.compare({"before": before, "after": after})
    assert list(table.columns) == ["before", "after", "target"]
    fig = scorecard.plot({"before": before, "after": after})
    assert len(fig.axes) == 8


def test_a_command_that_exits_is_noted(bases):
    card = scorecard.score(f'FROM {bases["alpine"]}\nCMD ["true"]\n', works="")
    assert card["works"] and card["zombies"] == 0 and card["layers"] == 1
    assert any("had exited (code 0)" in n for n in card.notes)


def test_a_failing_build_raises_and_leaves_nothing(bases):
    with pytest.raises(dl.BuildFailed, match="non-zero code: 3"):
        scorecard.score(f"FROM {bases['alpine']}\nRUN exit 3\n")


def test_secret_named_variables_count_without_a_known_value(bases):
    card = scorecard.score(f'FROM {bases["alpine"]}\nENV DB_PASSWORD=hunter2\nCMD ["sleep", "5"]\n',
                       secrets=[], env={}, works="")  # fmt: skip
    assert card["secrets"] == 1
    assert list(card.secret_hits["secret"]) == ["DB_PASSWORD"]


def test_the_command_line(tmp_path, bases):
    (tmp_path / "Dockerfile").write_text(f'FROM {bases["alpine"]}\nCMD ["sleep", "5"]\n')
    done = subprocess.run([sys.executable, "-m", "dockerlab", "score", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, env=os.environ)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Scorecard:" in done.stdout and "image size" in done.stdout
