"""Every file a notebook or exercise cites is in the repository, and every link to one resolves.

Learners open the course from a clone: a source they are pointed at must be there.
Relative links (``[sources](../docs/sources.md#musl-thread-stacks)``,
``[notebook 08](08-layers-and-multistage.ipynb)``) must name a file the repository
tracks, and an anchor must be a heading of that file. A Markdown file named in the
text (`` `facts.md` ``) must exist too, and the kit's internal notes are never cited.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*ROOT.glob("notebooks/src/*.py"), *ROOT.glob("exercises/src/*.py"),
                  *ROOT.glob("instructor/src/*.py")])  # fmt: skip
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
NAMED_MD = re.compile(r"`([\w./-]+\.md)`")
#: Notes the course's authors keep outside the repository: never something to cite.
INTERNAL = re.compile(r"facts\.md|engine notes|shared/docs|/work/", re.I)


def tracked() -> set[str]:
    """The repository's files (``git ls-files``), or every file when git is not there."""
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout  # fmt: skip
        return set(out.split("\n")) - {""}
    except (OSError, subprocess.CalledProcessError):
        return {str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file()}


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading (what JupyterLab and GitHub both link to)."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(m[1]) for m in re.finditer(r"^#+\s+(.*)$", path.read_text(), re.M)}


def where_shown(src: Path) -> Path:
    """The folder of the notebook generated from ``src`` (links resolve from there)."""
    return src.parent.parent  # notebooks/src/x.py -> notebooks/, exercises/src -> exercises/


def markdown_of(src: Path) -> str:
    return "\n\n".join(c.source for c in jupytext.read(src).cells if c.cell_type == "markdown")


@pytest.fixture(scope="module")
def files() -> set[str]:
    return tracked()


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_relative_link_names_a_file_of_the_repository(src, files):
    broken = []
    for target in LINK.findall(markdown_of(src)):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web page, or a heading of the notebook itself
        name, _, anchor = target.partition("#")
        path = (where_shown(src) / name).resolve()
        rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
        if rel not in files:
            broken.append(f"{target}: {rel} is not in the repository")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}: {rel} has no heading #{anchor}")
    assert not broken, f"{src.relative_to(ROOT)}: {broken}"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_no_notebook_cites_a_file_that_is_not_in_the_repository(src, files):
    text = src.read_text()  # code cells too: a caption can cite a source
    internal = sorted(set(INTERNAL.findall(text)))
    assert not internal, f"{src.relative_to(ROOT)} cites notes learners do not have: {internal}"
    names = {n.rsplit("/", 1)[-1] for n in files}
    missing = sorted(
        {m for m in NAMED_MD.findall(markdown_of(src)) if m.rsplit("/", 1)[-1] not in names}
    )
    assert not missing, (
        f"{src.relative_to(ROOT)} names Markdown files not in the repository: {missing}"
    )


def test_the_sources_page_ships_and_has_the_sections_notebooks_link_to(files):
    assert "docs/sources.md" in files
    linked = {
        target.partition("#")[2]
        for src in SOURCES
        for target in LINK.findall(markdown_of(src))
        if "sources.md#" in target
    }
    assert linked, "the notebooks link to the sources page"
    assert linked <= anchors(ROOT / "docs" / "sources.md")


def test_the_checks_would_see_a_dead_link_and_an_internal_note():
    assert INTERNAL.search("(see the kit's `facts.md`)") and INTERNAL.search("The engine notes")
    assert slug("musl thread stacks") == "musl-thread-stacks"
    assert slug("PID 1 and signals") == "pid-1-and-signals"
