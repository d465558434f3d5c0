"""The capstone's scorecard on the real engine: the bad Dockerfile, good ones, the CLI.

And what it does when a build cannot happen here: a step that needs the network, a
base missing offline (partial scorecards, exit 0), and the network hint of failed
downloads in real builds with either builder.
"""

import os
import subprocess
import sys

import pytest

import dockerlab as dl
from dockerlab import scorecard
from dockerlab.assets import capstone

pytestmark = pytest.mark.usefixtures("nothing_left")


@pytest.fixture(scope="module")
def before(bases):
    return scorecard.score(scorecard.CAPSTONE / "Dockerfile", label="before")


def test_the_bad_dockerfile_fails_every_practice_it_breaks(before):
    v = before.values
    assert v["size_mb"] > 200 and v["layers"] >= 10 and v["wasted_mb"] > 16
    assert v["packages"] > 100 and v["shells"] > 0 and v["unpinned"] == 1
    assert v["secrets"] >= 2 and "config.Env[1]" in set(before.secret_hits["path"])
    assert v["works"] and v["zombies"] > 0 and v["stop_s"] >= 2.5 and v["uid"] == 0
    assert v["text_secrets"] == 1 and list(before.dockerfile_secrets["name"]) == ["LEDGER_TOKEN"]
    assert v["layers_added"] == 8 and v["user"] == "" and v["init"] == ""
    assert set(before.lint["code"]) >= {"DL3006"}
    assert any(f"{dl.ref('builder')} instead" in n for n in before.notes)
    assert before.built and not before.not_measured
    assert scorecard.CAPSTONE_TOKEN not in str(before)


def test_a_good_dockerfile_meets_every_target(before):
    after = scorecard.score(capstone.SOLUTION, scorecard.CAPSTONE, label="after")
    assert after.passed == scorecard.TARGETS, str(after)
    assert after["user"] == "65534:65534" and after["init"] == "dumb-init"
    table = scorecard.compare({"before": before, "after": after})
    assert list(table.columns) == ["before", "after", "target"]
    fig = scorecard.plot({"before": before, "after": after})
    assert len(fig.axes) == 8


def test_a_buildkit_answer_meets_every_target(bases):
    """Sources bind-mounted (no layer holds them), a cache mount, `# syntax`, and a heredoc
    where the engine's frontend has them (Docker 23+)."""
    cc = "musl-gcc -static -Os -o /out/ledger ledger.c && strip /out/ledger"
    last = f"RUN <<EOF\nset -e\n{cc}\nEOF\n" if dl.engine_info().major >= 23 else f"RUN {cc}\n"
    card = scorecard.score(
        "# syntax=docker/dockerfile:1\n"
        f"FROM {bases['builder']} AS build\nWORKDIR /src\n"
        "RUN --mount=type=bind,source=dumb-init.tar.gz,target=/tmp/di.tar.gz \\\n"
        "    --mount=type=cache,target=/root/.cache \\\n"
        "    mkdir -p dumb-init /out && tar xzf /tmp/di.tar.gz -C dumb-init --strip-components=1 \\\n"
        " && musl-gcc -static -Os -o /out/dumb-init dumb-init/dumb-init.c\n"
        "COPY ledger.c .\n"
        f"{last}"
        "FROM scratch\nCOPY --from=build /out/ /bin/\nCOPY ledger.csv /data/ledger.csv\n"
        'USER 65534:65534\nENTRYPOINT ["/bin/dumb-init", "--"]\n'
        'CMD ["/bin/ledger", "/data/ledger.csv"]\n',
        scorecard.CAPSTONE,
    )
    assert card.passed == scorecard.TARGETS, str(card)


def test_a_capstone_that_reports_once_and_exits_is_not_the_service(bases):
    """Every target met but the service's: no zombies and no slow stop, since nothing ran."""
    card = scorecard.score(
        capstone.SOLUTION.replace('CMD ["/bin/ledger", "/data/ledger.csv"]',
                     'CMD ["/bin/ledger", "--once", "/data/ledger.csv"]'),
        scorecard.CAPSTONE,
    )  # fmt: skip
    assert card["works"] is False and "report 1: 5 rows" in card.output
    assert card["zombies"] is None and card["stop_s"] is None
    assert card.unmeasured["zombies"] == "the container had exited"
    assert "works" in card.failed and "zombies" in card.not_measured


def test_a_command_that_exits_is_noted(bases):
    card = scorecard.score(f'FROM {bases["alpine"]}\nCMD ["true"]\n', works="")
    assert card["works"] and card["zombies"] is None and card["layers"] == 1
    assert any("had exited (code 0)" in n for n in card.notes)
    assert "not measured: the container had exited" in str(card)


def test_a_failing_build_raises_and_leaves_nothing(bases):
    with pytest.raises(dl.BuildFailed, match=r"non-zero code: 3|exit code: 3"):  # legacy | BuildKit
        scorecard.score(f"FROM {bases['alpine']}\nRUN exit 3\n")


def test_secret_named_variables_count_without_a_known_value(bases):
    card = scorecard.score(f'FROM {bases["alpine"]}\nENV DB_PASSWORD=hunter2\nCMD ["sleep", "5"]\n',
                       secrets=[], env={}, works="")  # fmt: skip
    assert card["secrets"] == 1 and card["text_secrets"] == 1
    assert list(card.secret_hits["secret"]) == ["DB_PASSWORD"]
    assert "hunter2" not in str(card)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dockerlab", "score", *args],
                          capture_output=True, text=True, timeout=300, env=os.environ)  # fmt: skip


def test_the_command_line(tmp_path, bases):
    (tmp_path / "Dockerfile").write_text(f'FROM {bases["alpine"]}\nCMD ["sleep", "5"]\n')
    done = _cli(str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "Scorecard:" in done.stdout and "image size" in done.stdout
    assert "not measured" not in done.stdout


def test_the_folder_is_the_build_context_as_for_docker_build(tmp_path, bases):
    """`score PATH`: the Dockerfile's folder is the context, .dockerignore honoured."""
    (tmp_path / "app.txt").write_text("the app\n")
    (tmp_path / "local.key").write_text("not for the image\n")
    (tmp_path / ".dockerignore").write_text("*.key\n")
    (tmp_path / "app.Dockerfile").write_text(
        f'FROM {bases["alpine"]}\nCOPY . /ctx/\nCMD ["sh", "-c", "ls -a /ctx; sleep 5"]\n'
    )
    card = scorecard.score(tmp_path / "app.Dockerfile", works="app.txt")
    assert card["works"], card.output
    assert "app.Dockerfile" in card.output and "local.key" not in card.output


def test_a_dockerfile_that_needs_the_network_gets_a_partial_scorecard(engine):
    """The real-world style python-alpine Dockerfile: its text scored, its image not built."""
    done = _cli(str(scorecard.PYTHON_ALPINE))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "not measured: needs the network: apk add (line 15)" in out
    assert "hadolint warnings+errors" in out and "DL3018" in out
    assert "USER (final stage)             none: root" in out
    assert "Not built: the kit's builds have no network" in out and "wget (line 21)" in out
    card = scorecard.score(scorecard.PYTHON_ALPINE)
    assert not card.built and card["unpinned"] == 0 and card["layers_added"] == 3
    assert set(card.not_measured) == {m.key for m in scorecard.MEASURES if not m.static}


def test_compare_on_the_command_line(tmp_path, bases):
    (tmp_path / "Dockerfile").write_text(
        f'FROM {bases["alpine"]}\nUSER 65534\nCMD ["sleep", "5"]\n'
    )
    done = _cli("--compare", str(tmp_path), str(scorecard.PYTHON_ALPINE))
    assert done.returncode == 0, done.stderr
    header = done.stdout.splitlines()[1]
    assert str(tmp_path) in header and str(scorecard.PYTHON_ALPINE) in header
    assert "65534 ✓" in done.stdout and "not measured" in done.stdout
    assert "not measured: needs the network: apk add (line 15)" in done.stdout


def test_a_base_missing_offline_gets_a_partial_scorecard(tmp_path, engine):
    if dl.registry_reachable():
        pytest.skip("a registry answers here: the base would be pulled")
    text = 'FROM alpine:3.19\nCMD ["sleep", "5"]\n'
    card = scorecard.score(text)
    assert not card.built and card["unpinned"] == 0 and card["hadolint"] == 0
    assert card.unmeasured["size_mb"] == (
        "the base image alpine:3.19 is not here and cannot be pulled"
    )
    assert any("'alpine:3.19' is not on this engine" in n and "make bases" in n for n in card.notes)
    (tmp_path / "Dockerfile").write_text(text)
    done = _cli(str(tmp_path / "Dockerfile"))
    assert done.returncode == 0, done.stderr
    assert "is not on this engine" in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_a_download_the_text_does_not_show_is_found_by_the_build(bases):
    """`busybox wget` is not on the list of network steps: the build tries, fails offline,
    and the failure says it needed the network."""
    card = scorecard.score(
        f"FROM {bases['alpine']}\nRUN busybox wget -q -O /x http://example.org/\n", works=""
    )
    assert not card.built
    assert card.unmeasured["size_mb"].startswith("needs the network: RUN busybox wget")


#: Downloads in real builds here, with either builder; apt-get's tail is all E: lines.
OFFLINE_BUILDS = {
    "apt-get": ("debian_slim", "apt-get update && apt-get install -y --no-install-recommends "
                + " ".join(f"pkg{i}" for i in range(14))),
    "apt-get without update": ("debian_slim", "apt-get install -y curl"),
    "apk": ("alpine", "apk add --no-cache curl"),
    "busybox wget": ("alpine", "wget -O /x https://www.python.org/ftp/python/"),
}  # fmt: skip


@pytest.mark.parametrize("case", OFFLINE_BUILDS)
def test_a_failed_download_offline_says_it_needs_the_network(case, builder, bases):
    base, run = OFFLINE_BUILDS[case]
    with pytest.raises(dl.BuildFailed) as failed:
        dl.build(f"FROM {bases[base]}\nRUN {run}\n", builder=builder, progress=False)
    assert "tried to download something" in (failed.value.hint or ""), str(failed.value)


def test_json_and_fail_under_on_the_command_line(tmp_path, bases):
    """`--json`: every measure with its verdict; `--fail-under`: exit 1 under the score."""
    import json

    (tmp_path / "Dockerfile").write_text(f'FROM {bases["alpine"]}\nCMD ["sleep", "5"]\n')
    done = _cli(str(tmp_path), "--json", "--fail-under", "100")
    assert done.returncode == 1, done.stderr
    card = json.loads(done.stdout)
    assert [m["key"] for m in card["measures"]] == [m.key for m in scorecard.MEASURES]
    assert card["targets"] == len(scorecard.TARGETS) and 0 < card["met"] < card["targets"]
    assert card["score"] == round(100 * card["met"] / card["targets"], 1)
    user = next(m for m in card["measures"] if m["key"] == "user")
    assert user["verdict"] == "missed" and user["message"] == "none: root"
    assert next(m for m in card["measures"] if m["key"] == "layers")["value"] == 1
    assert f"scores {card['score']:g}" in done.stderr and "under --fail-under 100" in done.stderr
    low = _cli(str(tmp_path), "--fail-under", str(card["score"]))
    assert low.returncode == 0 and "Scorecard:" in low.stdout


def test_a_dockerfile_that_does_not_build_exits_3(tmp_path, bases):
    import json

    (tmp_path / "Dockerfile").write_text(f"FROM {bases['alpine']}\nRUN exit 3\n")
    done = _cli(str(tmp_path), "--json", "--fail-under", "0")
    assert done.returncode == 3, done.stderr
    assert "does not build, so it was not scored" in done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout)["error"] == "build failed"


def test_an_encoded_secret_is_found(bases):
    """The capstone's token stored base64-encoded, under a name that does not say secret."""
    import base64

    encoded = base64.b64encode(b"key:" + scorecard.CAPSTONE_TOKEN.encode()).decode()
    card = scorecard.score(
        f'FROM {bases["alpine"]}\nRUN echo {encoded} > /etc/app.conf\nCMD ["sleep", "5"]\n',
        env={},
        works="",
    )
    hits = card.secret_hits
    assert card["secrets"] >= 2 and "/etc/app.conf" in set(hits["path"]), hits
    assert set(hits["form"]) == {"base64 (offset 2)"}  # "key:" + token: its 3rd byte starts a group
