r"""A Dockerfile's text, read as the builder reads it: its bases, their pins, text or path.

The lessons, the exercises and the capstone's scorecard all ask the same
questions of a Dockerfile (which images does it build FROM? is each pinned?);
they are answered here once, with ``dockerfile-parse`` where it reads the file.

Example:
    >>> base_images("ARG V=3.23\nFROM alpine:${V} AS build\nFROM build\nFROM scratch\n")
    ['alpine:3.23']
    >>> unpinned("debian"), unpinned("debian:latest"), unpinned("debian:trixie")
    (True, True, False)
"""

from __future__ import annotations

import io
import re
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
        parser = DockerfileParser(fileobj=io.BytesIO(without_heredocs(dockerfile).encode()),
                                  build_args=dict(buildargs or {}))  # fmt: skip
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
