"""The capstone's scorecard: one Dockerfile, scored on every practice of the course.

:func:`score` reads a Dockerfile, builds it with its build context on the real
engine where it can, measures the image, runs it, and returns a
:class:`Scorecard`. Two parts:

- **read from the Dockerfile** (always, even when it cannot be built here):
  **hadolint** findings (warnings and errors; :mod:`dockerlab.inspect.lint`),
  **unpinned** bases (no tag, ``latest``, no digest), **secrets in ARG, ENV
  and LABEL** (a name that says secret, ``*TOKEN*``, ``*PASSWORD*``..., or a
  known secret's value), the number of **instructions** and the **layers**
  the final stage's RUN, COPY and ADD add, the final **USER**, and whether an
  **init** starts the container (ENTRYPOINT);
- **measured on the image** (when it builds): **size** (MB on disk),
  **layers**, **wasted** bytes (written in one layer, deleted or overwritten
  in a later one: :func:`dockerlab.inspect.layers.analyse`), **packages**
  (dpkg/apk database), **shells** on PATH, **secrets** (every layer's files,
  deleted ones included, and the config: env, labels, history), and the
  default command **run** for a moment (with ``env``, no network, limits):
  did the app do its work, how many **zombies** it left, how long ``docker
  stop`` took, and the **uid** of its PID 1.

A Dockerfile that cannot be built here still gets its first part, and the
table names each row that was not measured, and why: a step that needs the
network (the kit's builds have none: ``apk add``, ``apt-get``, ``dnf``/``yum``,
``pip``, ``npm``, ``curl``/``wget``, ``git``, ``ADD`` of a URL), or a base
image that is missing while no registry answers (:class:`~dockerlab.errors.BaseImageMissing`).

:func:`compare` puts scorecards side by side and :func:`plot` draws them.
``python -m dockerlab score PATH`` prints the table (``--compare A B``: two).

Bases that are not on the engine: with no registry reachable, an untagged or
``latest`` base whose repository is in the catalog (``debian``, ``alpine``,
``dockerlab/builder``) is built from the catalog's image instead
(``debian`` -> ``debian:bookworm``), **for the measurement only**: hadolint
and the pinning check still read the Dockerfile as written, and the scorecard
says what it substituted (its ``notes``). The engine is left untouched (no
``latest`` tag is created on it).

Example:
    >>> from dockerlab import scorecard
    >>> card = scorecard.score(scorecard.CAPSTONE / "Dockerfile")   # doctest: +SKIP
    >>> print(card)                                          # doctest: +SKIP
"""

from __future__ import annotations

import fnmatch
import io
import json
import os
import re
import shlex
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from dockerfile_parse import DockerfileParser

from dockerlab.assets.capstone import (
    CAPSTONE,
    CAPSTONE_ENV,
    CAPSTONE_TOKEN,
    PYTHON_ALPINE,
    capstone_works,
    ledger_report,
)
from dockerlab.core.building import FileSpec, build
from dockerlab.core.containers import start
from dockerlab.core.dockerfile import (
    base_images,
    heredocs,
    looks_like_text,
    replace_base,
    unpinned,
    without_heredocs,
)
from dockerlab.core.engine import registry_reachable
from dockerlab.core.images import CATALOG, layer_count, resolve
from dockerlab.core.plotting import ACCENT, BAD, CAUTION, GOOD
from dockerlab.errors import BaseImageMissing, BuildFailed, BuildKitUnavailable, DockerlabError
from dockerlab.inspect import lint
from dockerlab.inspect.layers import SECRET_NAME, analyse_and_search
from dockerlab.inspect.measuring import attack_surface, size_on_disk
from dockerlab.inspect.processes import count_zombies_inside, procstat_binary

#: Files larger than this are left out of a build context read from a folder.
MAX_CONTEXT_FILE = 50 * 10**6
#: Programs that, as PID 1, reap orphans and pass signals on.
INITS = frozenset({"tini", "tini-static", "dumb-init", "docker-init", "catatonit", "init",
                   "s6-svscan", "runit-init"})  # fmt: skip


@dataclass(frozen=True)
class Measure:
    """One row of the scorecard.

    Attributes:
        key: Its key in :attr:`Scorecard.values`.
        label: The row's name.
        unit: Shown after the value.
        target: The target as text; None for a row that only informs.
        test: Whether a value meets the target.
        static: True if read from the Dockerfile's text, False if measured on the image.
    """

    key: str
    label: str
    unit: str
    target: str | None
    test: Callable[[object], bool] | None
    static: bool

    def met(self, value) -> bool | None:
        """True/False against the target; None if not measured or no target."""
        if value is None or self.test is None:
            return None
        return bool(self.test(value))


def _not_root(user) -> bool:
    return str(user).split(":")[0] not in ("", "0", "root")


#: The rows, in table order: first what the Dockerfile's text shows, then the image's measures.
MEASURES: list[Measure] = [
    Measure("hadolint", "hadolint warnings+errors", "", "0", lambda v: v == 0, True),
    Measure("unpinned", "unpinned bases", "", "0", lambda v: v == 0, True),
    Measure("text_secrets", "secrets in ARG/ENV/LABEL", "", "0", lambda v: v == 0, True),
    Measure("instructions", "instructions", "", None, None, True),
    Measure("layers_added", "layers they add (final stage)", "", "<= 4", lambda v: v <= 4, True),
    Measure("user", "USER (final stage)", "", "not root", _not_root, True),
    Measure("init", "init in ENTRYPOINT", "", "yes", bool, True),
    Measure("size_mb", "image size", "MB", "< 20", lambda v: v < 20, False),
    Measure("layers", "filesystem layers", "", "<= 5", lambda v: v <= 5, False),
    Measure("wasted_mb", "wasted bytes", "MB", "< 0.1", lambda v: v < 0.1, False),
    Measure("packages", "OS packages", "", "<= 20", lambda v: v <= 20, False),
    Measure("shells", "shells on PATH", "", "0 (or a reason)", lambda v: v == 0, False),
    Measure("secrets", "places holding a secret", "", "0", lambda v: v == 0, False),
    Measure("works", "the app works", "", "yes", bool, False),
    Measure("zombies", "zombies after running", "", "0", lambda v: v == 0, False),
    Measure("stop_s", "docker stop took", "s", "< 1", lambda v: v < 1, False),
    Measure("uid", "uid of PID 1", "", "not 0 (root)", lambda v: v != 0, False),
]
_BY_KEY = {m.key: m for m in MEASURES}
#: The keys of the rows that have a target.
TARGETS = [m.key for m in MEASURES if m.target is not None]


@dataclass
class Scorecard:
    """Every measure of one Dockerfile and its image.

    Attributes:
        label: A name for tables and plots.
        dockerfile: The Dockerfile as written.
        values: Measure key -> value (see :data:`MEASURES`); None where not measured.
        lint: hadolint's findings (every level).
        secret_hits: Where the image holds a secret: ``where``, ``layer``,
            ``instruction``, ``path``, ``secret`` (the value's first characters
            only, or the variable's name). Empty if the image was not built.
        notes: What the scorecard substituted or could not measure, and why.
        output: What the container printed while it ran.
        unmeasured: Measure key -> why it was not measured.
        dockerfile_secrets: ARG/ENV/LABEL entries that hold or name a secret:
            ``line``, ``instruction``, ``name``, ``why`` (never the value).
        network: The steps that need the network (see :func:`network_steps`).
    """

    label: str
    dockerfile: str = field(repr=False)
    values: dict[str, object]
    lint: pd.DataFrame = field(repr=False)
    secret_hits: pd.DataFrame = field(repr=False)
    notes: list[str] = field(default_factory=list)
    output: str = field(default="", repr=False)
    unmeasured: dict[str, str] = field(default_factory=dict)
    dockerfile_secrets: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    network: list[NetworkStep] = field(default_factory=list, repr=False)

    def __getitem__(self, key: str):
        return self.values[key]

    @property
    def built(self) -> bool:
        """True if the image was built and measured."""
        return self.values.get("size_mb") is not None

    def table(self) -> pd.DataFrame:
        """One row per measure: ``value``, ``target``, ``ok``, and ``from`` (Dockerfile or image)."""
        rows = []
        for m in MEASURES:
            v = self.values.get(m.key)
            if v is None:
                why = self.unmeasured.get(m.key, "")
                shown = "not measured" + (f": {why}" if why else "")
            else:
                shown = _show(v, m.unit, m.key)
            met = m.met(v)
            rows.append({"measure": m.label, "value": shown, "target": m.target or "",
                         "ok": {True: "✓", False: "✗", None: "" if m.target is None else "–"}[met],
                         "from": "Dockerfile" if m.static else "image"})  # fmt: skip
        return pd.DataFrame(rows).set_index("measure")

    @property
    def passed(self) -> list[str]:
        """The measures that meet their target."""
        return [k for k in TARGETS if _BY_KEY[k].met(self.values.get(k))]

    @property
    def failed(self) -> list[str]:
        """The measures that were measured and miss their target."""
        return [k for k in TARGETS if _BY_KEY[k].met(self.values.get(k)) is False]

    @property
    def not_measured(self) -> list[str]:
        """The measures with a target that could not be measured."""
        return [k for k in TARGETS if self.values.get(k) is None]

    def summary(self) -> str:
        text = f"{len(self.passed)}/{len(TARGETS)} targets met"
        if self.not_measured:
            text += f", {len(self.not_measured)} not measured"
        return text

    def __str__(self) -> str:
        t = self.table().reset_index()
        widths = {c: max(len(c), *(len(str(v)) for v in t[c])) for c in t.columns}
        lines = [f"Scorecard: {self.label}  ({self.summary()})",
                 "  ".join(c.ljust(widths[c]) for c in t.columns).rstrip()]  # fmt: skip
        lines += ["  ".join(str(v).ljust(widths[c]) for c, v in row.items()).rstrip()
                  for _, row in t.iterrows()]  # fmt: skip
        serious = (self.lint[self.lint["level"].isin(["error", "warning"])]
                   if "level" in self.lint else self.lint)  # fmt: skip
        if len(serious) and "code" in serious:
            lines.append("hadolint: " + "; ".join(f"line {r.line} {r.code}"
                                                  for r in serious.itertuples()))  # fmt: skip
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        notes = "".join(f"<br><small>note: {n}</small>" for n in self.notes)
        return (f"<b>Scorecard: {self.label}</b> ({self.summary()})"
                + self.table()._repr_html_() + notes)  # fmt: skip


def _show(v, unit: str, key: str = "") -> str:
    if key == "user":
        return str(v) if _not_root(v) else (f"{v} (root)" if v else "none: root")
    if key == "init":
        return str(v) if v else "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.2f} {unit}".strip() if v < 100 else f"{v:,.0f} {unit}".strip()
    return f"{v} {unit}".strip()


# --------------------------------------------------------------------------- inputs


def dockerignore(folder: Path) -> list[tuple[bool, str]]:
    """The patterns of ``folder/.dockerignore``: (exception?, pattern), in order."""
    path = folder / ".dockerignore"
    if not path.is_file():
        return []
    out = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        out.append((negated, pattern))
    return out


def _pattern(pattern: str) -> re.Pattern:
    """A .dockerignore pattern as a regex: ``*`` and ``?`` within a name, ``**`` across."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            if pattern.startswith("/", i):
                out, i = out + "(?:/|$)?", i + 1  # "**/" matches no folder too
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            j = pattern.find("]", i)
            if j < 0:
                out, i = out + re.escape(pattern[i:]), len(pattern)
            else:
                out, i = out + fnmatch.translate(pattern[i : j + 1])[4:-3], j + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def ignored(path: str, patterns: list[tuple[bool, str]]) -> bool:
    """Whether ``docker build`` leaves ``path`` out of the context (the last match decides).

    A pattern that matches a folder leaves out everything in it.
    """
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    out = False
    for negated, pattern in patterns:
        rx = _pattern(pattern)
        if any(rx.match(p) for p in (prefixes if not negated else [path])):
            out = not negated
    return out


def read_context(folder: Path, notes: list[str] | None = None) -> dict[str, FileSpec]:
    """Every file under ``folder`` (keeping modes), as ``docker build`` would send it.

    Left out: what ``.dockerignore`` excludes, the folder's ``Dockerfile`` (the
    build gets the Dockerfile's text) and files over :data:`MAX_CONTEXT_FILE`
    bytes (named in ``notes``).
    """
    files: dict[str, FileSpec] = {}
    patterns = dockerignore(folder)
    big = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if not p.is_file() or rel == "Dockerfile" or ignored(rel, patterns):
            continue
        if p.stat().st_size > MAX_CONTEXT_FILE:
            big.append(rel)
            continue
        files[rel] = (p.read_bytes(), p.stat().st_mode & 0o777)
    if big and notes is not None:
        notes.append(f"Left out of the build context (over {MAX_CONTEXT_FILE // 10**6} MB): "
                     + ", ".join(big[:5]) + (" ..." if len(big) > 5 else ""))  # fmt: skip
    return files


def capstone_context() -> dict[str, FileSpec]:
    """The capstone's build context: the app, its data, and dumb-init's source.

    dumb-init's source distribution is the one notebook 05 uses (downloaded
    from PyPI once, checked by sha256, cached).
    """
    from dockerlab.core.downloads import dumb_init_sdist

    files = read_context(CAPSTONE)
    files.pop("README.md", None)
    files["dumb-init.tar.gz"] = dumb_init_sdist().read_bytes()
    return files


def _inputs(source, context, notes: list[str]) -> tuple[str, dict[str, FileSpec], str, bool]:
    """(Dockerfile text, context files, label, is it the capstone's context?)."""
    path = None
    if isinstance(source, Path) or (isinstance(source, str) and not looks_like_text(source)):
        path = Path(source)
        if path.is_dir():
            path = path / "Dockerfile"
        if not path.is_file():
            raise DockerlabError(f"No Dockerfile at {path}.",
                                 hint="Give a Dockerfile's path, its folder, or its text.")  # fmt: skip
        text, label = path.read_text(), str(path)
    elif isinstance(source, str):
        text, label = source, "Dockerfile text"
    else:
        raise DockerlabError("score() takes a Dockerfile's path or its text.")
    if context is None and path is not None:
        context = path.parent  # as `docker build -f PATH FOLDER-OF-PATH`
    capstone = False
    if context is None:
        files: dict[str, FileSpec] = {}
    elif isinstance(context, Mapping):
        files = dict(context)
    else:
        folder = Path(context)
        if not folder.is_dir():
            raise DockerlabError(f"The build context {folder} is not a folder.")
        capstone = folder.resolve() == CAPSTONE.resolve()
        files = capstone_context() if capstone else read_context(folder, notes)
    return text, files, label, capstone


# --------------------------------------------------------------------------- the Dockerfile's text


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
_FAMILY = {"apt": "apt-get", "aptitude": "apt-get", "yum": "dnf", "microdnf": "dnf",
           "tdnf": "dnf", "yarn": "npm", "pnpm": "npm"}  # fmt: skip
_OFFLINE_FLAGS = {"apk": "--no-network", "pip": "--no-index", "npm": "--offline"}
_WRAPPERS = {"sudo", "command", "exec", "env", "time", "nice", "nohup", "xargs", "then",
             "do", "else", "!", "{"}  # fmt: skip


def _network_use(words: list[str]) -> str | None:
    """What in one simple command downloads (``"apk add"``), or None."""
    while words and (words[0] in _WRAPPERS or re.fullmatch(r"\w+=.*", words[0])
                     or (words[0].startswith("-") and len(words) > 1)):  # fmt: skip
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


def _simple_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script, as words (split at ; && || | & and newlines)."""
    out: list[list[str]] = []
    for chunk in script.splitlines() or [""]:
        lexer = shlex.shlex(chunk, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split, lexer.commenters = True, "#"
        words: list[str] = []
        try:
            for token in lexer:
                if token and set(token) <= set(";&|()"):
                    out.append(words)
                    words = []
                else:
                    words.append(token)
        except ValueError:  # an open quote: read the rest word by word
            words += chunk.split()
        out.append(words)
    return [w for w in out if w]


def _instructions(dockerfile: str) -> list[dict]:
    """The Dockerfile's instructions (dockerfile-parse; heredoc bodies blanked; no comments).

    Each: ``instruction``, ``line`` (from 1), ``value``.
    """
    parser = DockerfileParser(fileobj=io.BytesIO(without_heredocs(dockerfile).encode()))
    try:
        structure = parser.structure
    except Exception:  # something dockerfile-parse cannot read: hadolint and the build say what
        return []
    return [{"instruction": s["instruction"], "line": s["startline"] + 1, "value": s["value"]}
            for s in structure if s["instruction"] != "COMMENT"]  # fmt: skip


def _shell(value: str) -> str:
    """A RUN's command: the exec form's words joined, or the shell form as written."""
    if value.lstrip().startswith("["):
        try:
            words = json.loads(value)
            return " ".join(shlex.quote(str(w)) for w in words)
        except ValueError:
            pass
    return re.sub(r"^(\s*--\w+(=\S*)?\s+)+", "", value)  # RUN --mount=... flags


def _short(command: str, limit: int = 60) -> str:
    return command if len(command) <= limit else command[:limit].rsplit(" ", 1)[0] + " ..."


def network_steps(dockerfile: str) -> list[NetworkStep]:
    """The steps that download: apk, apt-get, dnf/yum, pip, npm, curl/wget, git, ADD of a URL.

    The kit's builds have no network, so none of these can run here. Offline
    switches are honoured (``apk --no-network``, ``pip --no-index``, ``npm
    --offline``); heredoc bodies (``RUN <<EOF``) are read too.
    """
    bodies: dict[int, list[str]] = {}
    for doc in heredocs(dockerfile):
        bodies.setdefault(doc.line, []).extend(doc.body)
    steps = []
    for item in _instructions(dockerfile):
        name, line = item["instruction"], item["line"]
        if name == "ADD":
            words = [w for w in item["value"].split() if not w.startswith("--")]
            if any(re.match(r"(https?|ftp|git)://|git@", w) for w in words[:-1]):
                steps.append(NetworkStep(line, "ADD of a URL", _short(item["value"])))
            continue
        if name != "RUN":
            continue
        script = _shell(item["value"])
        if line in bodies:
            script += "\n" + "\n".join(bodies[line])
        for words in _simple_commands(script):
            tool = _network_use(words)
            if tool:
                steps.append(NetworkStep(line, tool, _short(" ".join(words))))
    return steps


def _pairs(instruction: str, value: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of an ARG, ENV or LABEL (``A=1 B="x y"``, or ENV's ``A 1``)."""
    try:
        words = shlex.split(value)
    except ValueError:
        words = value.split()
    if not words:
        return []
    if instruction in ("ENV", "LABEL") and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    return [(w.split("=", 1)[0], w.split("=", 1)[1] if "=" in w else "") for w in words]


def dockerfile_secrets(dockerfile: str, secrets: list[str] = ()) -> pd.DataFrame:
    """ARG, ENV and LABEL entries whose name says secret, or whose value holds a known secret.

    Each is in the image (ENV, LABEL) or in its history (an ARG a step uses),
    and in the Dockerfile's text: wherever the Dockerfile is kept. Returns
    ``line``, ``instruction``, ``name``, ``why``; never the value.
    """
    rows = []
    for item in _instructions(dockerfile):
        if item["instruction"] not in ("ARG", "ENV", "LABEL"):
            continue
        for name, value in _pairs(item["instruction"], item["value"]):
            if any(s and s in value for s in secrets):
                why = "its value is the secret"
            elif SECRET_NAME.search(name):
                why = "its name says secret" + ("" if value else " (its value given at build time)")
            else:
                continue
            rows.append({"line": item["line"], "instruction": item["instruction"],
                         "name": name, "why": why})  # fmt: skip
    return pd.DataFrame(rows, columns=["line", "instruction", "name", "why"])


def _final_stage(instructions: list[dict]) -> list[dict]:
    """The final stage's instructions, with those of the stages it builds FROM, in order."""
    stages: list[list[dict]] = []
    names: dict[str, int] = {}
    for item in instructions:
        if item["instruction"] == "FROM":
            stages.append([])
            words = [w for w in item["value"].split() if not w.startswith("--")]
            if len(words) >= 3 and words[-2].upper() == "AS":
                names[words[-1].lower()] = len(stages) - 1
        if stages:
            stages[-1].append(item)
    if not stages:
        return []
    chain, n = [], len(stages) - 1
    while True:
        chain = stages[n] + chain
        words = [w for w in stages[n][0]["value"].split() if not w.startswith("--")]
        parent = names.get(words[0].lower()) if words else None
        if parent is None or parent >= n:
            return chain
        n = parent


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
    instructions = _instructions(dockerfile)
    final = _final_stage(instructions)
    users = [i["value"].strip() for i in final if i["instruction"] == "USER"]
    return {
        "unpinned": sum(unpinned(b) for b in base_images(dockerfile)),
        "text_secrets": len(dockerfile_secrets(dockerfile, list(secrets))),
        "instructions": len(instructions),
        "layers_added": sum(i["instruction"] in ("RUN", "COPY", "ADD") for i in final),
        "user": users[-1] if users else "",
        "init": _init_of(final),
    }


def _substitute(dockerfile: str, notes: list[str]) -> str:
    """Map missing untagged/latest catalog bases to the catalog's image (offline only)."""
    by_repo = {c.default.rsplit(":", 1)[0]: c.ref for c in CATALOG.values()}
    out = dockerfile
    for base in dict.fromkeys(base_images(dockerfile)):
        if not unpinned(base) or "@" in base:
            continue
        repo = base.removesuffix(":latest")
        target = by_repo.get(repo.removeprefix("docker.io/").removeprefix("library/"))
        if target is None:
            continue
        try:
            resolve(base if ":" in base.rsplit("/", 1)[-1] else f"{base}:latest")
            continue  # present: build with it as written
        except DockerlabError:
            pass
        if registry_reachable():
            continue  # the build will pull it
        out = replace_base(out, base, target)
        notes.append(f"`{base}` (latest) is not on this engine and no registry is reachable: "
                     f"measured with {target} instead; hadolint and the pinning check read "
                     "the Dockerfile as written.")  # fmt: skip
    return out


# --------------------------------------------------------------------------- measures


def run_checks(image, env: Mapping[str, str], settle: float, grace: int) -> dict:
    """Run the image's default command: its output, zombies, stop time, uid of PID 1.

    A container that exited before ``settle`` seconds gets no zombie count, stop
    time or uid (None): nothing ran any more to measure.
    """
    out: dict[str, object] = {}
    procstat_binary()  # built before the clock starts
    with start(image, None, environment=dict(env), pids=64, role="score") as box:
        time.sleep(settle)
        status = box.status
        if status == "running":
            rows = box.top(("pid", "uid", "comm"))
            out["uid"] = int(rows[0]["uid"]) if rows else None
            out["zombies"] = count_zombies_inside(box)
            out["stop_s"], code = box.stop(timeout=grace)
        else:
            code = box.exit_code
            out.update(zombies=None, stop_s=None, uid=None)
        out["exit_code"], out["status"] = code, status
        out["output"] = box.logs()
    return out


def _network_reason(steps: list[NetworkStep]) -> str:
    """``needs the network: apk add (line 15)``: the first step that downloads."""
    return f"needs the network: {steps[0]}"


def _measure(text, files, *, secrets, env, settle, grace, works, timeout, progress,
             notes) -> tuple[dict, pd.DataFrame, str]:  # fmt: skip
    """Build the image and measure it: (values, secret hits, what the app printed)."""
    with build(_substitute(text, notes), files, timeout=timeout, progress=progress) as img:
        layers = layer_count(img)
        size = size_on_disk(img)
        analysis, hits = analyse_and_search(img, secrets)
        surface = attack_surface(img)
        ran = run_checks(img, env, settle, grace)
    output = str(ran["output"])
    if ran["status"] != "running":
        notes.append(f"The container had exited (code {ran['exit_code']}) after {settle:g} s, "
                     "so there was no app left to count zombies in or to stop.")  # fmt: skip
    elif ran["zombies"] is None:
        notes.append("Zombies could not be counted: the kit's /proc reader could not be copied "
                     "into the container or run there (a read-only root filesystem?).")  # fmt: skip
    did_run = ran["status"] == "running" or ran["exit_code"] == 0
    values = {
        "size_mb": round(size / 1e6, 2),
        "layers": layers,
        "wasted_mb": round(analysis.wasted_bytes / 1e6, 2),
        "packages": surface["packages"],
        "shells": surface["shells"],
        "secrets": len(hits),
        "works": did_run and (works(output) if callable(works) else works in output),
        "zombies": ran["zombies"],
        "stop_s": None if ran["stop_s"] is None else round(float(ran["stop_s"]), 2),
        "uid": ran["uid"],
    }
    return values, hits, output


def score(
    source,
    context=None,
    *,
    label: str | None = None,
    secrets: list[str] | None = None,
    env: Mapping[str, str] | None = None,
    settle: float = 1.5,
    grace: int = 3,
    works: str | Callable[[str], bool] | None = None,
    timeout: float = 600,
    progress: bool = False,
) -> Scorecard:
    """Score a Dockerfile on every practice of the course: its text, then its image.

    The Dockerfile's text is always read (hadolint, pins, secrets in ARG/ENV/LABEL,
    instructions and layers, USER, init). The image is built and measured when
    that can happen here; when it cannot, the scorecard is partial and its
    table says why for each row not measured: a step that needs the network
    (:func:`network_steps`: the kit's builds have none), a base image missing
    with no registry to pull it from, no BuildKit client for a Dockerfile that
    needs one.

    Args:
        source: A Dockerfile's path (or its folder), or its text.
        context: The build context: a folder, or a mapping of files (see
            :func:`dockerlab.core.building.context_tar`). Default: the Dockerfile's
            folder, as ``docker build`` takes it (``.dockerignore`` honoured;
            the capstone's folder also gets dumb-init's source).
        label: Name in tables and plots (default: the path).
        secrets: Secret values to look for (default: the capstone's fake token).
        env: Environment of the test run (default: the capstone's, which gives
            the token at run time, where it belongs).
        settle: Seconds the container runs before it is examined.
        grace: ``docker stop`` grace period, in seconds.
        works: Text the output must contain for "the app works", or a function
            of the output. Default: for the capstone, at least two reports signed
            with the run-time token (:func:`capstone_works`); otherwise any run
            that keeps going or exits 0 (``""``).
        timeout: Seconds the build may take.
        progress: Show the build's progress.

    Returns:
        The :class:`Scorecard`; nothing it built is left on the engine.

    Raises:
        BuildFailed: The Dockerfile does not parse or a step fails for another
            reason than the network (the message says why).
        BuildTimeout: The build took longer than ``timeout``.
    """
    notes: list[str] = []
    text, files, default_label, capstone = _inputs(source, context, notes)
    secrets = [CAPSTONE_TOKEN] if secrets is None else list(secrets)
    env = CAPSTONE_ENV if env is None else env
    if works is None:
        works = (lambda out: capstone_works(out, env)) if capstone else ""
    values: dict[str, object] = dict.fromkeys(m.key for m in MEASURES)
    unmeasured: dict[str, str] = {}
    findings = pd.DataFrame(columns=lint.COLUMNS)
    try:
        findings = lint.lint(text, pragmas=False)
        values["hadolint"] = int(findings["level"].isin(["error", "warning"]).sum())
        if re.search(r"#\s*hadolint\s+(global\s+)?ignore", text, re.I):
            notes.append("hadolint findings that `# hadolint ignore=` comments hide are "
                         "counted too.")  # fmt: skip
    except (lint.HadolintMissing, lint.HadolintFailed) as e:
        unmeasured["hadolint"] = str(e).splitlines()[0]
    values.update(read_dockerfile(text, secrets))
    found_in_text = dockerfile_secrets(text, secrets)
    steps = network_steps(text)
    hits = pd.DataFrame(columns=["where", "layer", "instruction", "path", "secret"])
    output, why = "", None
    if steps:
        why = _network_reason(steps)
        notes.append("Not built: the kit's builds have no network, and these steps download: "
                     + "; ".join(f"{s} `{s.command}`" for s in steps[:6])
                     + (" ..." if len(steps) > 6 else "")
                     + ". The rows read from the Dockerfile are scored; `docker build` on a "
                     "machine with internet builds it.")  # fmt: skip
    else:
        try:
            measured, hits, output = _measure(
                text, files, secrets=secrets, env=env, settle=settle, grace=grace,
                works=works, timeout=timeout, progress=progress, notes=notes)  # fmt: skip
            values.update(measured)
        except BaseImageMissing as e:
            names = re.findall(r"'([^']+)'", e.args[0]) or ["a base image"]
            why = f"the base image {' and '.join(names)} is not here and cannot be pulled"
            notes.append(f"Not built. {e}")
        except BuildKitUnavailable as e:
            why = "it needs BuildKit, and this machine has no BuildKit client"
            notes.append(f"Not built. {e}")
        except BuildFailed as e:
            if "tried to download" not in (e.hint or ""):
                raise
            why = "needs the network: " + (e.step or "a step").split(" : ", 1)[-1][:60]
            notes.append(f"Not built: a step tried to download something. {e.args[0]}")
    for m in MEASURES:
        if values.get(m.key) is None and m.key not in unmeasured:
            if why and not m.static:
                unmeasured[m.key] = why
            elif m.key in ("zombies", "stop_s", "uid") and values.get("size_mb") is not None:
                unmeasured[m.key] = "the container had exited"
    return Scorecard(label or default_label, text, values, findings, hits, notes, output,
                     unmeasured, found_in_text, steps)  # fmt: skip


# --------------------------------------------------------------------------- side by side

#: What the plot shows, per panel: (key, title). Lower is better in every one.
PLOTTED = [
    ("size_mb", "image size (MB, log)"),
    ("layers", "filesystem layers"),
    ("wasted_mb", "wasted (MB)"),
    ("packages", "OS packages"),
    ("hadolint", "hadolint warnings+errors"),
    ("secrets", "places holding the secret"),
    ("zombies", "zombies after running"),
    ("stop_s", "docker stop (s)"),
]
#: One colour per scorecard, in order: the first (the starting point) in the colour of bad
#: outcomes, the second (the improved one) in good's, then the course's and caution's.
CARD_COLORS = (BAD, GOOD, ACCENT, CAUTION)


def compare(cards: Mapping[str, Scorecard] | list[Scorecard]) -> pd.DataFrame:
    """Scorecards side by side: one row per measure, one column per card, and the target."""
    items = cards.items() if isinstance(cards, Mapping) else [(c.label, c) for c in cards]
    cols = {}
    for name, card in items:
        cols[name] = [
            "not measured" if card.values.get(m.key) is None
            else _show(card.values[m.key], m.unit, m.key) + {True: " ✓", False: " ✗", None: ""}[
                m.met(card.values[m.key])]
            for m in MEASURES
        ]  # fmt: skip
    df = pd.DataFrame(cols, index=[m.label for m in MEASURES])
    df["target"] = [m.target or "" for m in MEASURES]
    return df


def plot(cards: Mapping[str, Scorecard] | list[Scorecard], *, title: str | None = None):
    """Small multiples: one panel per measure, one bar per scorecard; lower is better.

    The uid of PID 1 is written in the title (root or not); a measure a card
    could not take is marked "not measured" where its bar would be.
    """
    items = list(cards.items() if isinstance(cards, Mapping) else [(c.label, c) for c in cards])
    fig, axes = plt.subplots(2, 4, figsize=(12.5, 6.8))
    names = [n for n, _ in items]
    colors = [CARD_COLORS[i % len(CARD_COLORS)] for i in range(len(items))]
    for ax, (key, panel) in zip(axes.flat, PLOTTED, strict=True):
        raw = [c.values.get(key) for _, c in items]
        values = [float(v or 0) for v in raw]
        bars = ax.bar(range(len(items)), values, color=colors)
        if key == "size_mb" and any(v > 0 for v in values):
            ax.set_yscale("log")
            ax.set_ylim(min(0.5, min(v for v in values if v > 0) / 3), max(values) * 4)
        else:
            ax.set_ylim(0, max(max(values) * 1.3, 1))
        ax.set_xticks(range(len(items)), names)
        labels = ["not measured" if r is None else (f"{v:.3g}" if v else "0")
                  for r, v in zip(raw, values, strict=True)]  # fmt: skip
        ax.bar_label(bars, labels=labels, fontsize=9, padding=2)
        ax.set_title(panel, fontsize=10)
    who = ", ".join(f"{n}: uid {c.values.get('uid')}" + (" (root)" if c.values.get("uid") == 0
                                                           else "") for n, c in items)  # fmt: skip
    fig.suptitle(title or f"Every practice, measured (lower is better). PID 1 runs as {who}",
                 fontweight="bold")  # fmt: skip
    return fig


__all__ = [
    "CAPSTONE",
    "CAPSTONE_ENV",
    "CAPSTONE_TOKEN",
    "MEASURES",
    "PYTHON_ALPINE",
    "TARGETS",
    "Measure",
    "NetworkStep",
    "Scorecard",
    "analyse_and_search",
    "capstone_context",
    "capstone_works",
    "compare",
    "dockerfile_secrets",
    "ledger_report",
    "network_steps",
    "plot",
    "read_context",
    "read_dockerfile",
    "run_checks",
    "score",
]
