"""What :func:`~dockerlab.scorecard.score` reads: a Dockerfile (its path or text) and its build context."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dockerlab.assets.capstone import CAPSTONE
from dockerlab.core.building import FileSpec
from dockerlab.core.building.context import read_context
from dockerlab.core.dockerfile import looks_like_text
from dockerlab.errors import InvalidOption


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


def read_inputs(source, context, notes: list[str]) -> tuple[str, dict[str, FileSpec], str, bool]:
    """(Dockerfile text, context files, label, is it the capstone's context?)."""
    path = None
    if isinstance(source, Path) or (isinstance(source, str) and not looks_like_text(source)):
        path = Path(source)
        if path.is_dir():
            path = path / "Dockerfile"
        if not path.is_file():
            raise InvalidOption(
                f"No Dockerfile at {path}.",
                hint="Give a Dockerfile's path, its folder, or its text.",
            )
        text, label = path.read_text(), str(path)
    elif isinstance(source, str):
        text, label = source, "Dockerfile text"
    else:
        raise InvalidOption("score() takes a Dockerfile's path or its text.")
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
            raise InvalidOption(f"The build context {folder} is not a folder.")
        capstone = folder.resolve() == CAPSTONE.resolve()
        files = capstone_context() if capstone else read_context(folder, notes)
    return text, files, label, capstone
