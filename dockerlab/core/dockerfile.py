r"""A Dockerfile's text, read as the builder reads it: its instructions, stages, bases and pins.

The lessons, the exercises, hadolint's wrapper and the capstone's scorecard all ask
the same questions of a Dockerfile (which images does it build FROM? is each pinned?
what does the final stage hold? what does each RUN run?); they are answered here
once, with ``dockerfile-parse`` where it reads the file:

- **bases and pins**: :func:`bases`, :func:`base_images`, :func:`unpinned`,
  :func:`split_image`, :func:`replace_base`;
- **instructions**: :func:`instructions` (heredoc bodies blanked, so a body line is
  never taken for an instruction), :func:`final_stage` (the stages the image is
  made of), :func:`assignments` (what an ARG, ENV or LABEL sets);
- **RUN's shell**: :func:`run_scripts` (each RUN's script, heredoc bodies included)
  and :func:`simple_commands` (a script's commands, as words);
- **heredocs**: :func:`heredocs`, :func:`without_heredocs`.

Example:
    >>> base_images("ARG V=3.23\nFROM alpine:${V} AS build\nFROM build\nFROM scratch\n")
    ['alpine:3.23']
    >>> unpinned("debian"), unpinned("debian:latest"), unpinned("debian:trixie")
    (True, True, False)
"""

from __future__ import annotations

import io
import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BaseImage:
    """One ``FROM`` of a Dockerfile that names an image (not an earlier stage, not scratch).

    Attributes:
        line: 1-based line of the ``FROM``.
        image: The reference as written (build arguments substituted).
        name: Registry and repository, without tag or digest.
        tag: The tag written, or None.
        digest: The ``sha256:...`` pinned, or None.
    """

    line: int
    image: str
    name: str
    tag: str | None
    digest: str | None

    @property
    def pinned(self) -> str:
        """``digest`` (fixed bytes), ``tag`` (a name that can move), ``latest`` or ``none``."""
        if self.digest:
            return "digest"
        if self.tag is None:
            return "none"
        return "latest" if self.tag == "latest" else "tag"


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """``name[:tag][@digest]`` as (name, tag or None, digest or None).

    Example:
        >>> split_image("127.0.0.1:5000/app:1.0@sha256:abc")
        ('127.0.0.1:5000/app', '1.0', 'sha256:abc')
    """
    name, _, digest = image.partition("@")
    tag = None
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    return name, tag, digest or None


def bases(dockerfile: str, buildargs: Mapping[str, str] | None = None) -> list[BaseImage]:
    """Every ``FROM`` that names an image, in order (build stages and ``scratch`` left out).

    Read with dockerfile-parse, heredocs' bodies blanked first (a body line ``FROM x``
    is not an instruction); ``ARG`` defaults and ``buildargs`` are substituted, as the
    builder would. An unreadable Dockerfile gives an empty list (the builder will say
    what is wrong).
    """
    from dockerfile_parse import DockerfileParser

    try:
        parser = DockerfileParser(
            fileobj=io.BytesIO(without_heredocs(dockerfile).encode()),
            build_args=dict(buildargs or {}),
        )
        froms = [i for i in parser.structure if i["instruction"] == "FROM"]
        images = parser.parent_images
    except Exception:  # junk, or something dockerfile-parse cannot read
        return []
    stages: set[str] = set()
    out = []
    for instr, image in zip(froms, images, strict=False):
        words = instr["value"].split()
        alias = words[-1].lower() if len(words) >= 3 and words[-2].lower() == "as" else None
        if image and image.lower() not in stages and image.lower() != "scratch":
            name, tag, digest = split_image(image)
            out.append(BaseImage(instr["startline"] + 1, image, name, tag, digest))
        if alias:
            stages.add(alias)
    return out


def base_images(dockerfile: str, buildargs: Mapping[str, str] | None = None) -> list[str]:
    """The images a Dockerfile builds FROM, each once (see :func:`bases`).

    A base still holding an unfilled ``$ARG`` is left out: the builder would refuse it.
    """
    return list(dict.fromkeys(b.image for b in bases(dockerfile, buildargs) if "$" not in b.image))


def unpinned(base: str) -> bool:
    """True for a base with no tag, the tag ``latest``, and no digest."""
    if "@sha256:" in base:
        return False
    last = base.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")


def looks_like_text(source: str) -> bool:
    """True if ``source`` is a Dockerfile's text rather than the path of one."""
    return "\n" in source or bool(re.match(r"\s*(FROM|ARG|#)\s", source, re.I))


def read(dockerfile: str | Path) -> str:
    """A Dockerfile's text: ``dockerfile`` itself, or the file it names (a Path, or a
    one-line string naming a file)."""
    if isinstance(dockerfile, Path):
        return dockerfile.read_text()
    if not looks_like_text(dockerfile) and Path(dockerfile).is_file():
        return Path(dockerfile).read_text()
    return dockerfile


def replace_base(dockerfile: str, base: str, target: str) -> str:
    """The Dockerfile with every ``FROM base`` (any ``--platform``-style flags kept) made ``FROM target``."""
    pattern = re.compile(rf"(?im)^(\s*FROM\s+(?:--\S+\s+)*){re.escape(base)}(?=\s|$)")
    return pattern.sub(lambda m: m.group(1) + target, dockerfile)


# --------------------------------------------------------------------------- heredocs

#: A heredoc's opening in a RUN/COPY/ADD line: ``<<EOF``, ``<<-EOF``, ``<<"EOF"``
#: (not the shell's here-string ``<<<``).
_HEREDOC = re.compile(r"(?<!<)<<(?!<)(-?)\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_HEREDOC_INSTRUCTION = re.compile(r"^\s*(RUN|COPY|ADD)\b", re.I)


@dataclass(frozen=True)
class Heredoc:
    """One heredoc of a Dockerfile (line numbers from 1).

    Attributes:
        line: The line of the instruction that opens it.
        first: Its first body line.
        end: The line holding its terminator (``EOF``).
        body: The body's lines.
    """

    line: int
    first: int
    end: int
    body: tuple[str, ...]


def heredocs(dockerfile: str) -> list[Heredoc]:
    """Every heredoc of RUN, COPY and ADD instructions, in order.

    The heredoc syntax of BuildKit's Dockerfile frontend: ``<<NAME`` (or
    ``<<-NAME``, whose body and terminator may be indented with tabs) opens a
    body that ends at a line holding only ``NAME``; several on one line are
    read one after the other.
    """
    lines = dockerfile.splitlines()
    out: list[Heredoc] = []
    i, in_instruction = 0, False
    while i < len(lines):
        line = lines[i]
        in_instruction = in_instruction or bool(_HEREDOC_INSTRUCTION.match(line))
        opens = _HEREDOC.findall(line) if in_instruction else []
        # A line ending with a backslash goes on in the next one.
        in_instruction = in_instruction and not opens and line.rstrip().endswith("\\")
        start, i = i, i + 1
        for dash, _quote, name in opens:
            first = i
            while i < len(lines) and (lines[i].lstrip("\t") if dash else lines[i]) != name:
                i += 1
            out.append(Heredoc(start + 1, first + 1, i + 1, tuple(lines[first:i])))
            i += 1
    return out


def without_heredocs(dockerfile: str) -> str:
    """The Dockerfile with every heredoc's body and terminator blanked (same line numbers).

    For readers that do not know heredocs (dockerfile-parse would take a body
    line ``FROM debian`` for an instruction).
    """
    lines = dockerfile.splitlines()
    for doc in heredocs(dockerfile):
        for n in range(doc.first, min(doc.end, len(lines)) + 1):
            lines[n - 1] = ""
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- instructions


def instructions(dockerfile: str) -> list[dict]:
    r"""The Dockerfile's instructions, in order (dockerfile-parse; heredoc bodies blanked;
    comments left out).

    Returns:
        One dict per instruction: ``instruction`` (upper case: ``"RUN"``), ``line`` (its
        first line, from 1) and ``value`` (the rest, continuation lines joined). An
        unreadable Dockerfile gives an empty list (hadolint and the builder say what is
        wrong).

    Example:
        >>> text = "FROM alpine:3.23\nRUN <<EOF\nFROM x\nEOF\n"
        >>> [(i["instruction"], i["line"], i["value"]) for i in instructions(text)]
        [('FROM', 1, 'alpine:3.23'), ('RUN', 2, '<<EOF')]
    """
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(fileobj=io.BytesIO(without_heredocs(dockerfile).encode()))
    try:
        structure = parser.structure
    except Exception:  # something dockerfile-parse cannot read: hadolint and the build say what
        return []
    return [
        {"instruction": s["instruction"], "line": s["startline"] + 1, "value": s["value"]}
        for s in structure
        if s["instruction"] != "COMMENT"
    ]


def final_stage(items: list[dict]) -> list[dict]:
    """The final stage's instructions, with those of the stages it builds FROM, in order.

    Args:
        items: The Dockerfile's :func:`instructions`.

    Returns:
        The instructions the final image is made of: its own stage's, after those of
        the stage it names in its ``FROM`` (``FROM base``), and so on back to a stage
        that starts from an image. Instructions before the first ``FROM`` are left out.
    """
    stages: list[list[dict]] = []
    names: dict[str, int] = {}
    for item in items:
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


def assignments(instruction: str, value: str) -> list[tuple[str, str]]:
    """The (name, value) pairs an ARG, ENV or LABEL sets (``A=1 B="x y"``, or ENV's ``A 1``).

    Example:
        >>> assignments("ENV", 'A=1 B="x y"'), assignments("ENV", "A 1"), assignments("ARG", "T")
        ([('A', '1'), ('B', 'x y')], [('A', '1')], [('T', '')])
    """
    try:
        words = shlex.split(value)
    except ValueError:
        words = value.split()
    if not words:
        return []
    if instruction in ("ENV", "LABEL") and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    return [(w.split("=", 1)[0], w.split("=", 1)[1] if "=" in w else "") for w in words]


# --------------------------------------------------------------------------- RUN's shell


def _shell(value: str) -> str:
    """A RUN's command: the exec form's words joined, or the shell form as written."""
    if value.lstrip().startswith("["):
        try:
            words = json.loads(value)
            return " ".join(shlex.quote(str(w)) for w in words)
        except ValueError:
            pass
    return re.sub(r"^(\s*--\w+(=\S*)?\s+)+", "", value)  # RUN --mount=... flags


def run_scripts(dockerfile: str) -> dict[int, str]:
    r"""The script each RUN runs, by the RUN's line (from 1).

    The shell form as written (``--mount=...``-style flags left out) or the exec form's
    words joined; then, on lines of their own, the bodies of the heredocs the RUN's
    line opens (``RUN <<EOF``).

    Example:
        >>> run_scripts('FROM alpine:3.23\nRUN ["apk", "add", "curl"]\nRUN <<EOF\nmake\nEOF\n')
        {2: 'apk add curl', 3: '<<EOF\nmake'}
    """
    bodies: dict[int, list[str]] = {}
    for doc in heredocs(dockerfile):
        bodies.setdefault(doc.line, []).extend(doc.body)
    scripts = {}
    for item in instructions(dockerfile):
        if item["instruction"] != "RUN":
            continue
        script = _shell(item["value"])
        if item["line"] in bodies:
            script += "\n" + "\n".join(bodies[item["line"]])
        scripts[item["line"]] = script
    return scripts


def simple_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script, as words (split at ; && || | & and newlines).

    Read line by line with :mod:`shlex` (quotes kept together, ``#`` comments left
    out); a line with an open quote is added split at its spaces, after the words
    read before the error.

    Example:
        >>> simple_commands("set -e; apk add curl && wget -q 'a b' # fetch")
        [['set', '-e'], ['apk', 'add', 'curl'], ['wget', '-q', 'a b']]
    """
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
