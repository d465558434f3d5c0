"""No typed-in measurement: every number the course's prose states is measured or sourced.

A Markdown cell of a notebook or exercise source may not state a **size, time,
ratio, depth or count** (a number with a unit: ``3.9 MB``, ``10 s``, ``64 times``,
``400 levels``, ``5 zombies``) unless one of these holds:

- it is **generated**: printed by a code cell, or Markdown a code cell writes
  (``dl.md(f"...")``); such numbers never appear in a Markdown cell;
- its paragraph (a list item counts as one) **cites a source**: a link to the
  course's sources page (``docs/sources.md``) or a ``source:``/``sources:`` note;
- it is **someone else's words**: inside quotation marks (the article's "80kB");
- it is a **setting of the notebook**: the same value is set by the notebook's own
  code (``frame=256``, ``depth=1000``, ``2 * MiB``), not checked by it (numbers in
  ``assert`` statements and comparisons do not count);
- in an exercise, it is what the **question sets**: a target or a setting of its
  check, in bold (``**under 1 MB**``, ``grace period **3 s**``) or in the
  question's heading (``## Q1: ship a program in under 1 MB``).

A magnitude or ratio **in words** is a measurement too, and follows the same rule
(generated, cited, or quoted; never a setting): fractions (``a third``, ``two
thirds``), factors (``a factor of two``, ``three times``, ``twice as long``,
``tenfold``), rough counts (``hundreds of``, ``thousands more``, ``dozens``, ``a
handful``, ``a few hundred``), ``orders of magnitude``, shares (``most of it``, ``a
fraction of``), comparisons (``about as long as``, ``many times smaller``).

Not measurements, so never flagged: numbers without a unit (versions such as
``musl 1.1.21`` or ``Docker 20.10``, years and dates in citations, step numbers,
exit codes such as ``137``), and anything in code (inline code, fenced code, link
targets). Ratios and percentages are never settings: they are always results.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*ROOT.glob("notebooks/src/*.py"), *ROOT.glob("exercises/src/*.py"),
                  *ROOT.glob("instructor/src/*.py")])  # fmt: skip

BYTES = {"b": 1, "byte": 1, "bytes": 1, "kb": 1000, "kib": 1024, "mb": 10**6, "mib": 2**20,
         "gb": 10**9, "gib": 2**30, "kilobytes": 1000, "megabytes": 10**6, "gigabytes": 10**9}  # fmt: skip
SECONDS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1, "sec": 1, "second": 1,
           "seconds": 1, "minute": 60, "minutes": 60, "day": 86400, "days": 86400}  # fmt: skip
RATIO = r"×|x|times|%|percent"
COUNT = (r"levels?|(?:lower )?layers?|(?:history )?entries|packages?|files?|commands?|"
         r"applets?|symlinks?|links|zombies?|process(?:es| slots)|findings?|"
         r"vulnerabilit(?:y|ies)|CVEs?|components?|containers?|threads?|frames?")  # fmt: skip
UNIT = "|".join(
    [*sorted((re.escape(u) for u in [*BYTES, *SECONDS] if u != "b"), key=len, reverse=True),
     "B", RATIO, COUNT]
)  # fmt: skip
#: A number (``1,000``, ``3.9``, ``128``) and its unit (``MB``, ``-byte``, `` times``).
MEASURE = re.compile(
    r"(?<![\w.,/:#@$])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s|-)?(" + UNIT + r")(?![\w])",
    re.IGNORECASE,
)
#: Numbers in words, for "three times smaller" (never "three times each": a repetition).
_WORD_NUMBER = (
    "two|three|four|five|six|seven|eight|nine|ten|a hundred|a thousand|hundreds|thousands"
)
#: A magnitude or ratio typed as words (``a third``, ``a factor of two``, ``hundreds of``).
MAGNITUDE = re.compile(
    r"\b(?:"
    r"(?:a|one|two|three|four)\s+(?:third|quarter|fifth|tenth)s?"
    r"|(?:a\s+)?factor\s+of"
    r"|(?:" + _WORD_NUMBER + r"|many|several)\s+times\s+"
    r"(?:smaller|larger|bigger|faster|slower|more|less|fewer|longer|shorter|as|the)"
    r"|(?:twice|thrice|half|about|roughly|nearly|almost)\s+as\s+"
    r"(?:long|fast|slow|big|large|small|much|many|heavy)\s+as"
    r"|(?:two|three|four|five|ten|hundred|thousand)fold|\w+-fold"
    r"|hundreds|thousands|millions|billions|dozens?"
    r"|a\s+few\s+(?:hundred|thousand|dozen)"
    r"|a\s+handful"
    r"|orders?\s+of\s+magnitude"
    r"|most\s+of\s+(?:it|them|its|their)"
    r"|a\s+(?:small\s+|tiny\s+|large\s+)?fraction\s+of"
    r")\b",
    re.IGNORECASE,
)
#: What is code or a link target, never prose: fenced blocks, inline code, URLs, comments.
CODE = re.compile(r"```.*?```|`[^`\n]*`|\]\([^)]*\)|<!--.*?-->|https?://\S+", re.S)
QUOTED = re.compile(r"\"[^\"]{0,300}\"|“[^”]{0,300}”")
CITED = re.compile(r"sources\.md|\bsources?:", re.I)
#: What an exercise's question sets: bold spans, and headings.
SET_BY_QUESTION = re.compile(r"\*\*[^*]+\*\*|^#+ .*$", re.M)


def paragraphs(markdown: str) -> list[str]:
    """Blank-line separated blocks; each list item is a paragraph of its own."""
    out = []
    for block in re.split(r"\n\s*\n", markdown):
        items = re.split(r"\n(?=\s*(?:[-*+]|\d+\.)\s)", block)
        out.extend(item for item in items if item.strip())
    return out


def _numbers_in(text: str) -> set[float]:
    return {float(n.replace(",", "")) for n in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", text)}


class _Settings(ast.NodeVisitor):
    """Numbers a notebook's code sets (not those it checks): constants outside asserts
    and comparisons, strings that are a number or hold ``option=N``, and ``N * KiB``."""

    def __init__(self) -> None:
        self.values: set[float] = set()

    def visit_Assert(self, node: ast.Assert) -> None:  # an expectation, not a setting
        return

    def visit_Compare(self, node: ast.Compare) -> None:
        return

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bool):
            return
        if isinstance(node.value, (int, float)):
            self.values.add(float(node.value))
        elif isinstance(node.value, str):  # a number alone, or an option's value (count=20)
            text = node.value.strip()
            if re.fullmatch(r"\d+(?:\.\d+)?", text):
                self.values.add(float(text))
            self.values |= {float(n) for n in re.findall(r"=(\d+(?:\.\d+)?)\b", text)}

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Mult) and isinstance(node.left, ast.Constant):
            name = getattr(node.right, "id", None) or getattr(node.right, "attr", "")
            unit = BYTES.get(str(name).lower())
            if unit and isinstance(node.left.value, (int, float)):
                self.values.add(float(node.left.value) * unit)
        self.generic_visit(node)


def settings(code: str) -> set[float]:
    """The numbers the notebook's code cells set."""
    visitor = _Settings()
    for cell in code.split("\n# %%"):
        lines = [ln for ln in cell.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            visitor.visit(ast.parse("\n".join(lines)))
        except SyntaxError:
            continue
    return visitor.values


def _is_setting(number: str, unit: str, values: set[float]) -> bool:
    u = unit.lower()
    if re.fullmatch(RATIO, u):
        return False
    v = float(number.replace(",", ""))
    # Sizes count in bytes (``128 KiB`` is 131072, whatever else says 128); times and
    # counts as written, or in seconds (``100 ms`` is 100 or 0.1).
    candidates = {v * BYTES[u]} if u in BYTES else {v, v * SECONDS.get(u, 1)}
    return any(abs(c - s) <= 1e-9 * max(1.0, abs(s)) for c in candidates for s in values)


def offenders(markdown: str, code: str = "", exercise: bool = False) -> list[str]:
    """The measurements typed into ``markdown`` with no source, as ``"number unit"``.

    Args:
        markdown: The Markdown cells' text.
        code: The code cells' text (what the notebook sets).
        exercise: True for an exercise (what its questions set is allowed).
    """
    values = settings(code)
    found = []
    for para in paragraphs(markdown):
        prose = CODE.sub(" ", para)
        if CITED.search(para):
            continue
        prose = QUOTED.sub(" ", prose)
        targets: set[float] = set()
        if exercise:
            for t in SET_BY_QUESTION.findall(prose):
                targets |= _numbers_in(t)
        for m in MEASURE.finditer(prose):
            number, unit = m.group(1), m.group(2)
            if float(number.replace(",", "")) in targets or _is_setting(number, unit, values):
                continue
            found.append(" ".join(m.group(0).split()))
        found.extend(" ".join(m.group(0).split()) for m in MAGNITUDE.finditer(prose))
    return found


def split_cells(path: Path) -> tuple[str, str]:
    """(Markdown cells, code cells) of a jupytext source, each joined with blank lines."""
    nb = jupytext.read(path)
    md = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = "\n# %%\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return md, code


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_no_typed_in_measurement(path):
    md, code = split_cells(path)
    found = offenders(md, code, exercise=path.parent.parent.name == "exercises")
    assert not found, (
        f"{path.relative_to(ROOT)} states measurements in Markdown with no source: {found}. "
        "Print them from the measurement (a code cell, or dl.md(f'...')), cite "
        "docs/sources.md in the same paragraph, or stop giving the number."
    )


# ------------------------------------------------------------- the rule, on examples


@pytest.mark.parametrize(
    "text",
    [
        "our push measured the same 3.9 MB a registry stores.",
        "Two parallel lines, about 64 times apart.",
        "each level costs its buffer plus about 80 bytes",
        "Try musl at 256-byte frames around 390 and 400\nlevels; then glibc around 25,000 levels.",
        "The one-`RUN`-per-command image holds 20 MB more.",
        "a grace period (10 s unless told otherwise)",
        "images of around 127-128 layers stop building",
        "it is 8x smaller",
        "- **Alpine** was under 6 MB in 2021 (5.60 MB).",
    ],
)
def test_the_rule_catches_typed_in_measurements(text):
    assert offenders(text)


@pytest.mark.parametrize(
    "text",
    [
        "musl 1.1.21 (Jan 2019) and Python 3.11; Docker 20.10 and Engine 29.",
        "1. **default attributes**: the crash.\n2. the fix",
        "exit status 139, or exit code **137** (128 + 9).",
        'The article warns of "just 80kB" against "2MB" ("250×" more).',
        "musl gives a thread 128 KiB (source: [sources](../docs/sources.md#musl-thread-stack)).",
        "glibc's default is the `ulimit -s` (Sources: glibc `sysdeps/nptl/pthread_early_init.h`), 8 MiB.",
        "Run `recurse 1024 400` and `dd bs=1M count=20` in code.",
        "See [notebook 08](08-layers-and-multistage.ipynb) and https://example.org/10-files.",
    ],
)
def test_the_rule_leaves_versions_dates_steps_exit_codes_quotes_sources_and_code(text):
    assert offenders(text) == []


def test_numbers_the_notebook_sets_are_settings_and_numbers_it_checks_are_not():
    code = "frames = [128, 512]\nout = probe(frame=256, depth=1000)\nlim = 2 * MiB\nassert x < 80\n"
    assert offenders("1,000 levels of 256-byte frames, then 2 MiB", code) == []
    assert offenders("each level costs about 80 bytes", code) == ["80 bytes"]  # only checked
    assert offenders("musl's 128 KiB stack", code) == ["128 KiB"]  # 128 is set, 131072 is not
    assert offenders("about 64 times more", "ratio = 64\n") == ["64 times"]  # ratios: results


def test_what_a_question_sets_is_allowed_in_exercises_only():
    text = "## Q1: ship a program in under 1 MB\n\nWrite an image that weighs **under 1 MB**."
    assert offenders(text, exercise=True) == []
    assert offenders(text) == ["1 MB", "1 MB"]
    assert offenders("Debian alone would be over 100 MB.", exercise=True) == ["100 MB"]


@pytest.mark.parametrize(
    "text",
    [
        "`-slim` cuts Debian's size by a third or more.",
        "Each image shrinks by a factor of two to three when compressed.",
        "`ls`, `cp` and hundreds more are symbolic links.",
        "It is called hundreds of times, and the loop thousands of times.",
        "Starting takes a few hundred milliseconds, about as long as a build step.",
        "The run takes a second, most of it in `docker start`.",
        "The scanner found dozens of packages, and a handful of fixes.",
        "Every step cuts size by orders of magnitude.",
        "Alpine is many times smaller than Debian.",
        "it takes twice as long as the other",
    ],
)
def test_the_rule_catches_magnitudes_typed_as_words(text):
    assert offenders(text)


@pytest.mark.parametrize(
    "text",
    [
        'The article says the Alpine variant "is only half of that".',
        "Two thirds, on record (source: [sizes](../docs/sources.md#image-sizes-on-record)).",
        'The article\'s "hundreds of times" smaller.',
        "Run `seq 1000 | head` and read `most of it` in code.",
        "This builds on the third notebook, one step at a time, most days.",
        "We time three ways back, three times each (a repetition, not a ratio).",
    ],
)
def test_magnitude_words_in_quotes_code_or_cited_paragraphs_pass(text):
    assert offenders(text) == []


def test_magnitude_words_are_never_settings():
    # a word is a result even where the code sets the same value
    assert offenders("a factor of two", "factor = 2\n") == ["a factor of"]
