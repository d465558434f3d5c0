"""A learner's exercise answers, read from a saved notebook's source without running it.

The grader never runs a learner's kernel, nor any of her code, as the instructor. It reads
each answer cell of a saved exercise notebook (``q1.check(dockerfile)``), finds the value
the check was given (``dockerfile = f\"\"\"...\"\"\"`` in that cell or an earlier one) and
takes it only if it is a **literal**: a string, a dict, a list, numbers, ``True``... as
:func:`ast.literal_eval` reads them, plus one form the course's own answers use, an
f-string whose only fields are catalog references (``{dl.ref("alpine")}``). Anything else
(a call, a name, an ``open(...)``, arithmetic) is refused with the reason, and scores
nothing: the check is then never run on it.

Files are read as root from folders a learner owns, so they are opened one path
component at a time with ``O_NOFOLLOW``: a symbolic link (to ``/etc/shadow``, to the
grades) is refused, never followed, and only regular files of at most :data:`MAX_BYTES`
are read.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dockerlab.errors import GradingError

#: The largest notebook the grader reads (a course exercise notebook saved with its
#: outputs is far smaller; the limit keeps a planted huge file from filling memory).
MAX_BYTES = 16 * 1024 * 1024
#: How the course's answer cells name the catalog: ``dl.ref("alpine")``, ``ref("alpine")``.
REF_CALLS = {("dl", "ref"), ("dockerlab", "ref"), (None, "ref")}
PACKAGE = "dockerlab.exercises"


class Blank:
    """The learner left ``____`` in place: not attempted."""

    def __repr__(self) -> str:
        return "____"


BLANK = Blank()


@dataclass(frozen=True)
class Answer:
    """One question's answer as the grader found it.

    Attributes:
        key: The question's key ("smaller.q1").
        value: The literal answer (a str, a dict...), or :data:`BLANK`; None if refused.
        refused: Why the answer was not taken (not a literal...), or "".
        source: The answer's source text as written in the notebook.
        notebook: The notebook it was read from, relative to the learner's folder.
    """

    key: str
    value: object
    refused: str
    source: str
    notebook: str


def groups() -> dict[str, object]:
    """The exercise modules by name, for the groups the course lists."""
    import importlib

    from dockerlab.exercises.course import questions

    return {
        g: importlib.import_module(f"{PACKAGE}.{g}")
        for g in dict.fromkeys(q.group for q in questions())
    }


def literal(node: ast.expr) -> object:
    """The value of an answer's expression if it is a literal, else :class:`ValueError`.

    An f-string is a literal here when its only fields are ``dl.ref("key")`` with a key of
    the catalog; ``____`` is :data:`BLANK`.
    """
    if isinstance(node, ast.Name) and node.id == "____":
        return BLANK
    return ast.literal_eval(_RefsFilled().visit(_copy(node)))


def _copy(node: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(node), mode="eval").body


class _RefsFilled(ast.NodeTransformer):
    """Each f-string made the string it means, if its fields are catalog references only."""

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.Constant:
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                parts.append(part.value)
            elif isinstance(part, ast.FormattedValue) and not part.format_spec:
                parts.append(_catalog_ref(part.value))
            else:
                raise ValueError("an f-string field that is not a catalog reference")
        return ast.Constant("".join(parts))


def _catalog_ref(node: ast.expr) -> str:
    from dockerlab.core.images import CATALOG

    if (
        isinstance(node, ast.Call)
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value in CATALOG
    ):
        f = node.func
        owner = (
            f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else None
        )
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
        if (owner, name) in REF_CALLS:
            return CATALOG[node.args[0].value].ref
    raise ValueError(f'{ast.unparse(node)} in an f-string (only dl.ref("key") may be)')


def from_notebook(text: str, notebook: str = "") -> dict[str, Answer]:
    """Every answer a saved exercise notebook gives: question key -> :class:`Answer`.

    A question answered twice keeps the last answer cell's answer (the one below).
    """
    try:
        cells = json.loads(text)["cells"]
    except (ValueError, KeyError, TypeError):
        raise GradingError(f"{notebook or 'the file'} is not a saved Jupyter notebook.") from None
    modules = groups()
    questions: dict[str, str] = {}  # a name in the notebook -> the question's key
    assigned: dict[str, ast.expr] = {}  # a name -> the last literal-or-not value given it
    found: dict[str, Answer] = {}
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # a cell that does not parse gives no answer (a check in it never ran)
        for stmt in tree.body:
            _imports(stmt, modules, questions)
            if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[-1], ast.Name):
                assigned[stmt.targets[-1].id] = stmt.value
            for call in _checks(stmt):
                key = questions.get(ast.unparse(call.func.value))
                if key and len(call.args) == 1 and not call.keywords:
                    found[key] = _answer(key, call.args[0], assigned, source, notebook)
    return found


def _imports(stmt: ast.stmt, modules: dict[str, object], questions: dict[str, str]) -> None:
    """Names of questions the notebook imports: ``from dockerlab.exercises.smaller import q1``
    (q1 -> smaller.q1) or ``from dockerlab.exercises import smaller`` (smaller.q1 -> ...)."""
    from dockerlab.exercises.question import Question

    if not isinstance(stmt, ast.ImportFrom) or stmt.level or not stmt.module:
        return
    group = stmt.module.removeprefix(PACKAGE + ".")
    for alias in stmt.names:
        local = alias.asname or alias.name
        if group in modules:
            q = getattr(modules[group], alias.name, None)
            if isinstance(q, Question):
                questions[local] = q.key
        elif stmt.module == PACKAGE and alias.name in modules:
            for name, q in vars(modules[alias.name]).items():
                if isinstance(q, Question):
                    questions[f"{local}.{name}"] = q.key


def _checks(stmt: ast.stmt) -> Iterator[ast.Call]:
    """The ``something.check(...)`` calls a top-level statement makes, in order."""
    value = getattr(stmt, "value", None)
    if isinstance(stmt, (ast.Expr, ast.Assign)) and isinstance(value, ast.Call):
        f = value.func
        if isinstance(f, ast.Attribute) and f.attr == "check":
            yield value


def _answer(
    key: str, arg: ast.expr, assigned: dict[str, ast.expr], source: str, notebook: str
) -> Answer:
    node = assigned.get(arg.id, arg) if isinstance(arg, ast.Name) and arg.id != "____" else arg
    if isinstance(arg, ast.Name) and arg.id not in assigned and arg.id != "____":
        return Answer(key, None, f"`{arg.id}` is never given a value in the notebook", "", notebook)
    text = ast.get_source_segment(source, node) or ast.unparse(node)
    try:
        return Answer(key, literal(node), "", text, notebook)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError) as e:
        why = str(e) if "f-string" in str(e) or "dl.ref" in str(e) else "it is not a literal"
        return Answer(
            key,
            None,
            f"The grader takes only a literal answer (a string, or a dict for run options); "
            f"this one could not be read without running code: {why}.",
            text,
            notebook,
        )


# ---------------------------------------------------------------- reading a learner's files


@contextlib.contextmanager
def _folder_fd(root: Path, parts: tuple[str, ...]) -> Iterator[int]:
    """A descriptor of ``root/parts...``, each part opened without following a link."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def notebooks(root: Path | str, inside: tuple[str, ...] = ()) -> dict[str, str]:
    """The ``.ipynb`` files of the folder ``root/inside...`` and its subfolders, read safely:
    relative name -> text. Links are skipped, never followed; so are files over
    :data:`MAX_BYTES` and hidden folders (``.ipynb_checkpoints``)."""
    out: dict[str, str] = {}
    try:
        with _folder_fd(Path(root), inside) as fd:
            _collect(fd, "", out, depth=0)
    except OSError:
        return out  # no such folder, or a link where a folder should be: nothing to grade
    return out


def _collect(fd: int, prefix: str, out: dict[str, str], depth: int) -> None:
    for name in sorted(os.listdir(fd)):
        if name.startswith("."):
            continue
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode) and depth < 4:
            with contextlib.suppress(OSError):
                inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                try:
                    _collect(inner, f"{prefix}{name}/", out, depth + 1)
                finally:
                    os.close(inner)
        elif stat.S_ISREG(st.st_mode) and name.endswith(".ipynb") and st.st_size <= MAX_BYTES:
            with contextlib.suppress(OSError, UnicodeDecodeError):
                out[prefix + name] = _read_file(fd, name)


def _read_file(fd: int, name: str) -> str:
    f = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
    try:
        st = os.fstat(f)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:
            raise OSError("not a regular file of a notebook's size")
        with os.fdopen(os.dup(f), "rb") as stream:
            return stream.read(MAX_BYTES + 1)[:MAX_BYTES].decode()
    finally:
        os.close(f)


def learner_answers(root: Path | str, inside: tuple[str, ...] = ()) -> dict[str, Answer]:
    """Every answer in a learner's notebooks under ``root/inside...``: key -> answer.

    Where two notebooks answer one question (a copy saved under another name), an answer
    that was attempted wins over a blank, then the later file in name order.
    """
    found: dict[str, Answer] = {}
    for name, text in notebooks(root, inside).items():
        try:
            answers = from_notebook(text, name)
        except GradingError:
            continue  # a file named .ipynb that is no notebook: nothing in it to grade
        for key, answer in answers.items():
            if key not in found or found[key].value is BLANK or answer.value is not BLANK:
                found[key] = answer
    return found
