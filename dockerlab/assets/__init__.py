"""Files the lessons build into images: C programs, Dockerfiles, the chart style."""

from importlib import resources


def text(name: str) -> str:
    """The text of an asset, e.g. ``text("hello.c")``."""
    return (resources.files(__name__) / name).read_text()
