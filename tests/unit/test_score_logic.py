"""The scorecard's pure logic: what a Dockerfile's text shows, the table, failure hints."""

import pandas as pd
import pytest

from dockerlab import scorecard
from dockerlab.core.building import explain_failure
from dockerlab.inspect import lint


def _tools(text: str) -> list[str]:
    return [str(s) for s in scorecard.network_steps(text)]


@pytest.mark.parametrize(
    ("run", "tool"),
    [
        ("apk add --no-cache curl", "apk add"),
        ("apk --no-cache add curl", "apk add"),
        ("apt-get update", "apt-get update"),
        ("apt-get install -y --no-install-recommends curl", "apt-get install"),
        ("apt install -y curl", "apt install"),
        ("dnf install -y git", "dnf install"),
        ("yum -y install nginx && yum clean all", "yum install"),
        ("microdnf install python3", "microdnf install"),
        ("pip install --no-cache-dir -r requirements.txt", "pip install"),
        ("pip3 install flask==3.0.0", "pip install"),
        ("python3 -m pip install flask", "pip install"),
        ("npm ci --omit=dev", "npm ci"),
        ("npm install", "npm install"),
        ("curl -fsSLo /x https://example.org/x", "curl"),
        ('set -eux; wget -O python.tar.xz "$url"', "wget"),
        ("git clone https://github.com/Yelp/dumb-init.git", "git clone"),
        ("FOO=1 sudo apk add x", "apk add"),
        ('["apk", "add", "curl"]', "apk add"),
        ("--mount=type=cache,target=/var/cache/apk apk add curl", "apk add"),
    ],
)
def test_network_steps_recognised(run, tool):
    assert _tools(f"FROM alpine:3.23\nRUN {run}\n") == [f"{tool} (line 2)"]


@pytest.mark.parametrize(
    "run",
    [
        "apk add --no-network --virtual .rundeps so:libc.musl-x86_64.so.1",
        "apk del .build-deps",
        "pip install --no-index --find-links /wheels app",
        "npm ci --offline",
        "curl --version",
        "git init && git add .",
        "echo apk add is what the docs say > /dev/null",
        "wc -c greeting.txt > size.txt",
    ],
)
def test_offline_steps_are_not_network_steps(run):
    assert _tools(f"FROM alpine:3.23\nRUN {run}\n") == []


def test_network_steps_in_heredocs_continuations_and_add():
    text = (
        "FROM alpine:3.23\n"
        "RUN set -eux; \\\n    apk add --no-cache gcc; \\\n"
        "    scanelf --needed /usr/local | xargs -rt apk add --no-network --virtual .rd\n"
        "RUN <<EOF\nset -e\ngit clone https://example.org/x.git /x\nEOF\n"
        "ADD https://example.org/file.tar.gz /tmp/\n"
        "ADD local.tar.gz /tmp/\n"
    )
    assert _tools(text) == ["apk add (line 2)", "git clone (line 5)", "ADD of a URL (line 9)"]


def test_the_real_world_python_dockerfile():
    text = scorecard.PYTHON_ALPINE.read_text()
    steps = scorecard.network_steps(text)
    assert str(steps[0]) == "apk add (line 15)"
    assert {s.tool for s in steps} == {"apk add", "wget"}  # its `apk add --no-network` is not
    read = scorecard.read_dockerfile(text)
    assert read == {"unpinned": 0, "text_secrets": 0, "instructions": 9, "layers_added": 3,
                    "user": "", "init": ""}  # fmt: skip


def test_secrets_in_arg_env_and_label():
    text = (
        "FROM alpine:3.23\n"
        "ARG NPM_TOKEN\n"
        "ARG VERSION=1.0\n"
        "ENV DB_PASSWORD=hunter2 GREETING=hello\n"
        "ENV API_KEY abc123\n"
        'LABEL note="key tok-FAKE-1 inside" maintainer=me\n'
        "ENV GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305\n"
    )
    found = scorecard.dockerfile_secrets(text, ["tok-FAKE-1"])
    assert list(zip(found["line"], found["name"], strict=True)) == [
        (2, "NPM_TOKEN"), (4, "DB_PASSWORD"), (5, "API_KEY"), (6, "note")]  # fmt: skip
    assert "build time" in found["why"][0] and found["why"][3] == "its value is the secret"
    assert "hunter2" not in found.to_string()


def test_final_stage_user_init_and_layers():
    text = (
        "FROM alpine:3.23 AS base\nRUN adduser -D app\nUSER app\n"
        "FROM dockerlab/builder:bookworm AS build\nRUN true\nRUN true\nRUN true\n"
        "FROM base\nCOPY --from=build /x /x\n"
        'ENTRYPOINT ["/usr/bin/tini", "--"]\nCMD ["/x"]\n'
    )
    read = scorecard.read_dockerfile(text)
    assert read["layers_added"] == 2 and read["user"] == "app" and read["init"] == "tini"
    assert read["instructions"] == 11
    root = scorecard.read_dockerfile("FROM alpine:3.23\nUSER 0:0\nCMD sleep 5\n")
    assert root["user"] == "0:0" and root["init"] == ""


def test_hadolint_reads_heredocs_and_keeps_the_line_numbers():
    # hadolint 2.15 alone: DL1000 "unexpected 'C'" for the CMD right after EOF.
    text = "FROM alpine:3.23\nRUN <<EOF\necho hi > /hi\nEOF\nCMD cat /hi\nFROM debian:latest\n"
    found = lint.lint(text)
    assert "DL1000" not in set(found["code"])
    assert found.loc[found["code"] == "DL3025", "line"].tolist() == [5]
    assert found.loc[found["code"] == "DL3007", "line"].tolist() == [6]


def test_hadolint_ignore_comments_can_be_switched_off():
    text = "# hadolint ignore=DL3007\nFROM alpine:latest\n"
    assert lint.lint(text).empty
    assert lint.lint(text, pragmas=False)["code"].tolist() == ["DL3007"]


def test_ledger_report_is_what_the_c_program_prints():
    # ledger.c's own output for the capstone's token (tests/integration/test_score.py runs it).
    assert scorecard.ledger_report(scorecard.CAPSTONE_TOKEN, 3) == (
        "report 3: 5 rows, total 1496.01 EUR, signature b7c0092b"
    )
    assert scorecard.ledger_report("t", 1, "USD", csv="a,-50\nb,x\n").startswith(
        "report 1: 1 rows, total 0.50 USD"  # C's `total / 100` of -50 is 0
    )
    out = "ledger: serving\n" + "\n".join(
        scorecard.ledger_report(scorecard.CAPSTONE_TOKEN, n) for n in (1, 2)
    )
    assert scorecard.capstone_works(out)
    assert not scorecard.capstone_works(out.replace("b7c0092b", "00000000"))
    assert not scorecard.capstone_works(out.split("\n", 2)[1])  # one report: --once


def test_table_marks_targets_and_unmeasured_values():
    values = {"size_mb": 5.0, "layers": 9, "uid": None, "hadolint": 0, "user": "", "init": ""}
    card = scorecard.Scorecard("x", "FROM scratch\n", values, pd.DataFrame(columns=lint.COLUMNS),
                               pd.DataFrame(), unmeasured={"uid": "the container had exited"})  # fmt: skip
    t = card.table()
    assert t.loc["image size", "ok"] == "✓" and t.loc["filesystem layers", "ok"] == "✗"
    assert t.loc["uid of PID 1", "value"] == "not measured: the container had exited"
    assert t.loc["USER (final stage)", "value"] == "none: root"
    assert (
        t.loc["image size", "from"] == "image" and t.loc["unpinned bases", "from"] == "Dockerfile"
    )
    assert card.passed == ["hadolint", "size_mb"] and "uid" in card.not_measured
    assert f"2/{len(scorecard.TARGETS)} targets met" in str(card)


# Real messages of downloads with no network: from builds on this kit's engines (apt-get,
# apk, busybox wget), and from the tools themselves run with no network (`unshare -n`:
# pip, npm, curl, GNU wget, git); dnf's from a report of the same failure in a build.
OFFLINE = {
    "apt-get": ["Reading package lists...", "E: Unable to locate package curl"],
    "apk": ["ERROR: unable to select packages:", "  curl (no such package):"],
    "busybox wget": ["wget: bad address 'www.python.org'"],
    "pip": ["WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, "
            "status=None)) after connection broken by 'NameResolutionError(\"HTTPSConnection"
            "(host='pypi.org', port=443): Failed to resolve 'pypi.org' ([Errno -3] Temporary "
            "failure in name resolution)\")': /simple/flask/",
            "ERROR: No matching distribution found for flask==3.0.0"],
    "npm": ["npm error code EAI_AGAIN", "npm error syscall getaddrinfo",
            "npm error request to https://registry.npmjs.org/express failed, reason: "
            "getaddrinfo EAI_AGAIN registry.npmjs.org"],
    "curl": ["curl: (6) Could not resolve host: www.python.org"],
    "wget": ["Resolving www.python.org (www.python.org)... failed: Temporary failure in name "
             "resolution.", "wget: unable to resolve host address ‘www.python.org’"],
    "git": ["Cloning into '/tmp/gitx'...", "fatal: unable to access "
            "'https://github.com/Yelp/dumb-init.git/': Could not resolve host: github.com"],
    "dnf": ["Errors during downloading metadata for repository 'fedora':",
            "  - Curl error (6): Couldn't resolve host name for https://mirrors.fedoraproject"
            ".org/metalink?repo=fedora-36&arch=x86_64 [getaddrinfo() thread failed to start]",
            "Error: Failed to download metadata for repo 'fedora': Cannot prepare internal "
            "mirrorlist: Curl error (6): Couldn't resolve host name"],
}  # fmt: skip


@pytest.mark.parametrize("tool", OFFLINE)
@pytest.mark.parametrize(
    "message",
    ["The command '/bin/sh -c x' returned a non-zero code: 1",
     "failed to solve: process \"/bin/sh -c x\" did not complete successfully: exit code: 1"],
    ids=["legacy", "buildkit"],
)  # fmt: skip
def test_a_download_with_no_network_gets_the_network_hint(tool, message):
    hint = explain_failure(message, OFFLINE[tool])
    assert hint and "tried to download" in hint


def test_a_failing_step_without_download_is_not_a_network_failure():
    hint = explain_failure("The command '/bin/sh -c exit 3' returned a non-zero code: 3", [])
    assert hint and "tried to download" not in hint
