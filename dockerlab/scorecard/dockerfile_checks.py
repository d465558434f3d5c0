"""What the Dockerfile's text shows, before any build: the scorecard's first rows.

Secrets in ARG, ENV and LABEL (:func:`dockerfile_secrets`), the instructions and the
layers the final stage adds, its USER and the init its ENTRYPOINT starts
(:func:`read_dockerfile`), and the steps that need the network (:func:`network_steps`).
The Dockerfile is read by :mod:`dockerlab.core.dockerfile`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass

import pandas as pd

from dockerlab.core.dockerfile import (
    assignments,
    base_images,
    final_stage,
    instructions,
    run_scripts,
    simple_commands,
    unpinned,
)
from dockerlab.inspect.layers import SECRET_NAME

#: Programs that, as PID 1, reap orphans and pass signals on.
INITS = frozenset(
    {
        "tini",
        "tini-static",
        "dumb-init",
        "docker-init",
        "catatonit",
        "init",
        "s6-svscan",
        "runit-init",
    }
)


@dataclass(frozen=True)
class NetworkStep:
    """A step of the Dockerfile that downloads, so it needs the network.

    Attributes:
        line: The Dockerfile line of its instruction (from 1).
        tool: What downloads: ``"apk add"``, ``"apt-get update"``, ``"pip install"``,
            ``"wget"``, ``"git clone"``, ``"ADD of a URL"``...
        command: The command, shortened.
    """

    line: int
    tool: str
    command: str

    def __str__(self) -> str:
        return f"{self.tool} (line {self.line})"


_SUBCOMMANDS = {
    "apk": {"add", "update", "upgrade", "fetch"},
    "apt-get": {"update", "install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep",
                "source", "download"},
    "dnf": {"install", "update", "upgrade", "makecache", "reinstall", "groupinstall",
            "download", "builddep", "distro-sync"},
    "pip": {"install", "download", "wheel"},
    "npm": {"install", "i", "ci", "add", "update", "exec"},
    "git": {"clone", "fetch", "pull", "submodule", "ls-remote", "push"},
}  # fmt: skip
_FAMILY = {
    "apt": "apt-get",
    "aptitude": "apt-get",
    "yum": "dnf",
    "microdnf": "dnf",
    "tdnf": "dnf",
    "yarn": "npm",
    "pnpm": "npm",
}
_OFFLINE_FLAGS = {"apk": "--no-network", "pip": "--no-index", "npm": "--offline"}
_WRAPPERS = {
    "sudo",
    "command",
    "exec",
    "env",
    "time",
    "nice",
    "nohup",
    "xargs",
    "then",
    "do",
    "else",
    "!",
    "{",
}


def _network_use(words: list[str]) -> str | None:
    """What in one simple command downloads (``"apk add"``), or None."""
    while words and (
        words[0] in _WRAPPERS
        or re.fullmatch(r"\w+=.*", words[0])
        or (words[0].startswith("-") and len(words) > 1)
    ):
        words = words[1:]  # env assignments, sudo, xargs -rt ...
    if not words:
        return None
    tool, args = os.path.basename(words[0]), words[1:]
    if re.fullmatch(r"python[\d.]*", tool) and args[:2] == ["-m", "pip"]:
        tool, args = "pip", args[2:]
    if re.fullmatch(r"pip[\d.]*", tool):
        tool = "pip"
    family = _FAMILY.get(tool, tool)
    if tool in ("curl", "wget"):
        quiet = {"--version", "-V", "--help", "-h"}
        return tool if args and not set(args) <= quiet else None
    if family not in _SUBCOMMANDS or _OFFLINE_FLAGS.get(family, "\0") in args:
        return None
    sub = next((a for a in args if not a.startswith("-")), "")
    return f"{tool} {sub}" if sub in _SUBCOMMANDS[family] else None


def _short(command: str, limit: int = 60) -> str:
    return command if len(command) <= limit else command[:limit].rsplit(" ", 1)[0] + " ..."


def network_steps(dockerfile: str) -> list[NetworkStep]:
    """The steps that download: apk, apt-get, dnf/yum, pip, npm, curl/wget, git, ADD of a URL.

    The kit's builds have no network, so none of these can run here. Offline
    switches are honoured (``apk --no-network``, ``pip --no-index``, ``npm
    --offline``); heredoc bodies (``RUN <<EOF``) are read too.
    """
    scripts = run_scripts(dockerfile)
    steps = []
    for item in instructions(dockerfile):
        name, line = item["instruction"], item["line"]
        if name == "ADD":
            words = [w for w in item["value"].split() if not w.startswith("--")]
            if any(re.match(r"(https?|ftp|git)://|git@", w) for w in words[:-1]):
                steps.append(NetworkStep(line, "ADD of a URL", _short(item["value"])))
            continue
        if name != "RUN":
            continue
        for words in simple_commands(scripts[line]):
            tool = _network_use(words)
            if tool:
                steps.append(NetworkStep(line, tool, _short(" ".join(words))))
    return steps


def dockerfile_secrets(dockerfile: str, secrets: list[str] = ()) -> pd.DataFrame:
    """ARG, ENV and LABEL entries whose name says secret, or whose value holds a known secret.

    Each is in the image (ENV, LABEL) or in its history (an ARG a step uses),
    and in the Dockerfile's text: wherever the Dockerfile is kept. Returns
    ``line``, ``instruction``, ``name``, ``why``; never the value.
    """
    rows = []
    for item in instructions(dockerfile):
        if item["instruction"] not in ("ARG", "ENV", "LABEL"):
            continue
        for name, value in assignments(item["instruction"], item["value"]):
            if any(s and s in value for s in secrets):
                why = "its value is the secret"
            elif SECRET_NAME.search(name):
                why = "its name says secret" + ("" if value else " (its value given at build time)")
            else:
                continue
            rows.append(
                {"line": item["line"], "instruction": item["instruction"], "name": name, "why": why}
            )
    return pd.DataFrame(rows, columns=["line", "instruction", "name", "why"])


def _init_of(final: list[dict]) -> str:
    """The init the final stage's ENTRYPOINT (or CMD, with no ENTRYPOINT) starts, or ""."""
    for kind in ("ENTRYPOINT", "CMD"):
        found = [i["value"] for i in final if i["instruction"] == kind]
        if not found:
            continue
        value = found[-1].strip()
        try:
            words = json.loads(value) if value.startswith("[") else shlex.split(value)
        except ValueError:
            words = value.split()
        first = os.path.basename(str(words[0])) if words else ""
        return first if first in INITS else ""
    return ""


def read_dockerfile(dockerfile: str, secrets: list[str] = ()) -> dict:
    """What the Dockerfile's text shows, before any build (the scorecard's first rows).

    Returns:
        ``unpinned``, ``text_secrets``, ``instructions``, ``layers_added`` (RUN,
        COPY and ADD of the final stage and the stages it builds on), ``user``
        (the final USER, "" for none) and ``init`` (the init ENTRYPOINT starts,
        "" for none).
    """
    items = instructions(dockerfile)
    final = final_stage(items)
    users = [i["value"].strip() for i in final if i["instruction"] == "USER"]
    return {
        "unpinned": sum(unpinned(b) for b in base_images(dockerfile)),
        "text_secrets": len(dockerfile_secrets(dockerfile, list(secrets))),
        "instructions": len(items),
        "layers_added": sum(i["instruction"] in ("RUN", "COPY", "ADD") for i in final),
        "user": users[-1] if users else "",
        "init": _init_of(final),
    }
