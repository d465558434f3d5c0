"""dockerlab: measure Docker image best practices on a real engine, from Jupyter.

``import dockerlab as dl`` gives the names a notebook uses (``dl.build``, ``dl.run``,
``dl.measure``, ``dl.ref``, every error of :mod:`~dockerlab.errors`, ...), each loaded
from its module when first used.

The package's folders are its layers, each importing only the ones above it here
(``tests/unit/test_layering.py``; CONTRIBUTING.md says why this shape):

- ``errors.py``: every error the kit raises, each with a hint for the learner;
- ``assets/``: the programs the lessons build (C sources, scripts, the chart style);
- ``core/``: the engine, images, building, running, cleaning up, downloads, plotting;
- ``inspect/``: what an image or a Dockerfile holds, measured (sizes, layers, packages,
  ELF headers, processes, hadolint, SBOM, vulnerabilities);
- ``registry/``: a registry's API, and a registry of the kit's own;
- ``engines/``: the kit's own Docker engines, and the course's base images;
- ``lessons/``: one module per practice that needs more than the layers above;
- ``exercises/`` and ``scorecard/``: checks that measure a learner's answer;
- ``classroom/``: is this machine ready, and a workshop server with one engine per learner.

Modules that lived at the top before the layers were folders keep their old names
(``from dockerlab import stack``, ``import dockerlab.building``): :data:`MOVED`; and the
names that left such a module for a lesson still answer there (``dockerlab.layers.plot_layers``):
:data:`MOVED_NAMES`.

Example:
    >>> import dockerlab as dl
    >>> dl.setup()
    >>> dl.doctor()                                  # doctest: +SKIP
    >>> dl.compare({"alpine": dl.ref("alpine")})     # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types

from dockerlab import errors
from dockerlab.errors import *  # noqa: F403  (every error, named in errors.__all__)

#: Each exported name and the module it comes from: imported when first used, so that
#: ``import dockerlab`` (and ``python -m dockerlab cleanup``) costs no matplotlib, pandas,
#: hadolint or scorecard until a notebook asks for them.
_EXPORTS = {
    "core.building": ["BuiltImage", "available_builders", "build", "describe_builders"],
    "classroom.checkup": ["doctor"],
    "core.containers": ["DemoContainer", "RunResult", "run", "start"],
    "core.engine": ["buildkit_cli", "client", "emulated", "engine_info", "platform",
                    "registry_reachable"],
    "exercises.course": ["progress"],
    "core.images": ["CATALOG", "provenance", "ref"],
    "inspect.measuring": ["attack_surface", "compare", "history", "measure", "size_on_disk",
                          "sizes"],
    "core.notebook": ["md", "setup"],
    "core.plotting": ["caption_below", "compare_bars", "use_style"],
    "scorecard": ["score"],  # the function; the package stays importable as dockerlab.scorecard
    "core.sessions": ["cleanup", "leftovers", "session"],
}  # fmt: skip
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}

#: Where each module that lived at the package's top now lives. A notebook saved from an
#: older copy of the course (``from dockerlab import stack``), a hub configuration written
#: by an older ``classroom setup`` (``dockerlab.classroom_spawner.ClassSpawner``) and
#: ``import dockerlab.building`` still work, and give the very module of the new home.
#: Never remove a line: ``tests/unit/test_public_api.py`` checks each one.
MOVED = {
    "labels": "core.labels", "engine": "core.engine", "images": "core.images",
    "dockerfile": "core.dockerfile", "building": "core.building",
    "build_progress": "core.building.progress_bar", "containers": "core.containers",
    "sessions": "core.sessions", "streams": "core.streams", "downloads": "core.downloads",
    "transfer": "core.transfer", "plotting": "core.plotting", "notebook": "core.notebook",
    "measuring": "inspect.measuring", "layers": "inspect.layers", "elf": "inspect.elf",
    "processes": "inspect.processes", "packages": "inspect.packages", "lint": "inspect.lint",
    "sbom": "inspect.sbom", "vulns": "inspect.vulns",
    "registry_client": "registry.api", "registry_server": "registry.server",
    "private_engine": "engines.private", "bases": "engines.bases",
    "capstone": "assets.capstone", "recursion": "assets.recursion",
    "stack": "lessons.stack", "pid1": "lessons.pid1", "services": "lessons.services",
    "lifecycle": "lessons.lifecycle", "freshness": "lessons.freshness",
    "checkup": "classroom.checkup", "workshop": "classroom.workshop",
    "classroom_spawner": "classroom.spawner", "class_view": "classroom.view",
}  # fmt: skip
#: Names that left a module which kept its old name, and the module each lives in now. A
#: notebook saved before the charts moved to their lessons does ``from dockerlab import
#: layers`` and then ``layers.plot_layers(...)``: the module reached by its OLD name (here,
#: ``dockerlab.layers``) is given a module ``__getattr__`` that finds these names in their new
#: homes, when first used. The new home's own source never imports a lesson (inspect sits
#: below lessons); new code imports each name from where it lives. Never remove a line:
#: ``tests/unit/test_public_api.py`` checks each one.
MOVED_NAMES = {
    "layers": {"plot_layers": "lessons.layering", "plot_rebuilds": "lessons.layering",
               "plot_search_hits": "lessons.configuration"},
    "elf": {"plot_run_matrix": "lessons.static_binaries"},
    "vulns": {"severity_chart": "lessons.scanning"},
}  # fmt: skip
_MODULES = ("images", "labels")  # modules a notebook uses as dl.images, dl.labels, ...


def _with_moved_names(old: str, module: types.ModuleType) -> types.ModuleType:
    """``module``, reached by its old name ``old``, finding the names that left it
    (:data:`MOVED_NAMES`) in their new homes; its own ``__getattr__``, if any, comes after."""
    moved = MOVED_NAMES.get(old)
    own = vars(module).get("__getattr__")
    if not moved or getattr(own, "moved_names", None) is moved:
        return module

    def forward(name: str):
        if name in moved:
            return getattr(importlib.import_module(f"{__name__}.{moved[name]}"), name)
        if own is not None:
            return own(name)
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

    forward.moved_names = moved
    module.__getattr__ = forward
    return module


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``dockerlab.<old name>`` (and what lies under it) as its new home's module."""

    def find_spec(self, fullname, path=None, target=None):
        old = fullname.removeprefix(f"{__name__}.")
        top, _, rest = old.partition(".")
        if old == fullname or top not in MOVED:
            return None
        new = f"{__name__}.{MOVED[top]}" + (f".{rest}" if rest else "")
        return importlib.util.spec_from_loader(fullname, self, origin=new)

    def create_module(self, spec):
        module = importlib.import_module(spec.origin)  # the module itself, not a copy
        return _with_moved_names(spec.name.removeprefix(f"{__name__}."), module)

    def exec_module(self, module):
        pass  # already run, under its own name


if not any(isinstance(f, _MovedModules) for f in sys.meta_path):
    sys.meta_path.insert(0, _MovedModules())


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    elif name in MOVED:  # from dockerlab import stack
        value = _with_moved_names(name, importlib.import_module(f".{MOVED[name]}", __name__))
    elif name in _MODULES or importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f".{name}", __name__)  # dl.core, dl.exercises, ...
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__version__ = "0.1.0"

__all__ = sorted([*errors.__all__, *_HOME, *_MODULES, "errors"])
