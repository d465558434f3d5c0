"""The public API: what ``import dockerlab as dl`` gives, and what it costs.

- every exported name resolves, and none is a function named like its own module
  (``dl.build`` once hid ``dockerlab.build``);
- every error the kit defines lives in errors.py and is exported;
- ``import dockerlab`` and the cleanup command import no matplotlib, pandas, hadolint
  wrapper or scorecard (they load when a notebook first uses them).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import dockerlab as dl
from dockerlab import errors

PACKAGE = Path(dl.__file__).parent


def test_every_exported_name_resolves():
    missing = [name for name in dl.__all__ if not hasattr(dl, name)]
    assert not missing, f"dockerlab.__all__ names what it does not have: {missing}"
    assert set(dl.__all__) <= set(dir(dl)), "tab completion (dir) must show every export"


def test_an_unknown_name_is_an_attribute_error():
    try:
        dl.no_such_thing  # noqa: B018
    except AttributeError as e:
        assert "no_such_thing" in str(e)
    else:
        raise AssertionError("dl.no_such_thing did not raise AttributeError")


def test_no_exported_function_shares_its_modules_name():
    modules = {p.stem for p in PACKAGE.rglob("*.py")} | {p.name for p in PACKAGE.iterdir() if p.is_dir()}  # fmt: skip
    clashes = [n for n in dl.__all__ if n in modules and not isinstance(getattr(dl, n), type(dl))]
    assert not clashes, f"exported names that hide a module of the same name: {clashes}"


def _error_classes() -> dict[str, str]:
    """Every class in the package deriving from an Error/Exception base: name -> module file."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if bases & ({"Exception", "DockerlabError"} | set(errors.__all__)):
                    out[node.name] = str(path.relative_to(PACKAGE))
    return out


def test_every_error_lives_in_errors_py_and_is_exported():
    found = _error_classes()
    assert "BuildFailed" in found and "HadolintMissing" in found  # the scan sees them
    elsewhere = {name: where for name, where in found.items() if where != "errors.py"}
    assert not elsewhere, f"errors defined outside errors.py: {elsewhere}"
    assert set(found) <= set(errors.__all__) <= set(dl.__all__)
    assert all(issubclass(getattr(dl, name), dl.DockerlabError) for name in errors.__all__)


def _imported_by(code: str) -> set[str]:
    probe = (
        f"import sys\n{code}\n"
        "print(' '.join(m for m in ('matplotlib', 'pandas', 'dockerlab.inspect.lint', "
        "'dockerlab.scorecard', 'dockerlab.inspect.layers', 'dockerlab.lessons.pid1', "
        "'dockerlab.lessons.stack', 'dockerlab.lessons.layering') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          env={"DOCKER_HOST": "unix:///nonexistent", "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_import_dockerlab_is_cheap():
    assert _imported_by("import dockerlab as dl; dl.DockerlabError") == set()


def test_the_cleanup_command_is_cheap():
    assert _imported_by("from dockerlab import sessions, labels; sessions.cleanup") == set()


def test_a_name_loads_its_module_when_first_used():
    assert _imported_by("import dockerlab as dl; dl.score") >= {"dockerlab.scorecard"}


def test_a_module_is_reachable_as_an_attribute():
    assert _imported_by("import dockerlab as dl; dl.layers.analyse") >= {"dockerlab.inspect.layers"}


def test_every_moved_module_keeps_its_old_name():
    """A notebook saved from an older copy of the course, or an older hub's configuration,
    imports the modules by the names they had at the package's top: each gives the very
    module of its new home, however it is imported."""
    import importlib

    assert len(dl.MOVED) >= 36  # never remove a line (a saved notebook may use it)
    for old, new in dl.MOVED.items():
        home = importlib.import_module(f"dockerlab.{new}")
        assert importlib.import_module(f"dockerlab.{old}") is home, old
        assert getattr(dl, old) is home, old
        exec(f"from dockerlab import {old} as m", scope := {})
        assert scope["m"] is home, old
    from dockerlab.classroom_spawner import ClassSpawner  # the hub's spawner_class string

    from dockerlab.classroom.spawner import ClassSpawner as now

    assert ClassSpawner is now


def test_every_name_that_left_a_moved_module_answers_under_its_old_name():
    """A notebook saved before the charts moved to their lessons (``from dockerlab import
    layers``, then ``layers.plot_layers(...)``) still draws; the new home's source never
    imports the lesson (test_layering), and a name that never existed is still an error."""
    import importlib

    assert dl.MOVED_NAMES["layers"].keys() >= {"plot_layers", "plot_rebuilds", "plot_search_hits"}
    for old, names in dl.MOVED_NAMES.items():
        assert old in dl.MOVED, old
        for name, home in names.items():
            moved = getattr(importlib.import_module(f"dockerlab.{home}"), name)
            exec(f"from dockerlab import {old} as m", scope := {})
            assert getattr(scope["m"], name) is moved, (old, name)
            assert getattr(importlib.import_module(f"dockerlab.{old}"), name) is moved
            assert getattr(getattr(dl, old), name) is moved
            with pytest.raises(AttributeError):
                getattr(scope["m"], f"{name}_never_defined")


def test_a_moved_name_of_a_module_loads_its_lesson_only_when_used():
    assert "dockerlab.lessons.layering" not in _imported_by(
        "from dockerlab import layers; layers.analyse"
    )
    assert "dockerlab.lessons.layering" in _imported_by(
        "from dockerlab import layers; layers.plot_layers"
    )


def test_a_moved_name_loads_only_when_used():
    assert _imported_by("import dockerlab.building") == set()  # core.building: no pandas
    assert _imported_by("from dockerlab import stack") >= {"dockerlab.lessons.stack"}


def test_nothing_raises_the_base_error_itself():
    """Each failure has a narrow error (UnsafeOption, LessonError, ...) a caller can catch by
    its type; DockerlabError is only their base."""
    raised = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                name = getattr(node.exc.func, "id", getattr(node.exc.func, "attr", ""))
                if name == "DockerlabError":
                    raised.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not raised, f"raise a narrow error of errors.py instead of DockerlabError: {raised}"
