"""dockerlab: measure Docker image best practices on a real engine, from Jupyter.

The modules, one idea each:

- engine and set-up: :mod:`~dockerlab.engine` (connection, registry and BuildKit checks),
  :mod:`~dockerlab.private_engine` (the kit's own engine where none runs),
  :mod:`~dockerlab.checkup` (is this machine ready?), :mod:`~dockerlab.images` (the catalog)
  and :mod:`~dockerlab.bases` (pulling or bootstrapping it offline)
- building and running: :mod:`~dockerlab.building` (Dockerfile text, progress, clear failures),
  with BuildKit or the legacy builder, :mod:`~dockerlab.containers` (demo
  containers with limits and no network), :mod:`~dockerlab.sessions` (labels and cleanup)
- measuring: :mod:`~dockerlab.measuring` (size, layers, attack surface),
  :mod:`~dockerlab.layers` (what each layer adds, wastes and hides), :mod:`~dockerlab.elf`
  (static or dynamic, and which loader), :mod:`~dockerlab.streams` (reading the engine's tar
  streams fast), :mod:`~dockerlab.sbom` (package inventory),
  :mod:`~dockerlab.vulns` (scanner and OSV results), :mod:`~dockerlab.lint` (hadolint)
- one module per practice: :mod:`~dockerlab.stack`, :mod:`~dockerlab.pid1`,
  :mod:`~dockerlab.services`, :mod:`~dockerlab.lifecycle`, :mod:`~dockerlab.registry`,
  :mod:`~dockerlab.freshness`
- teaching: :mod:`~dockerlab.exercises` (checks that measure the learner's answer),
  :mod:`~dockerlab.scorecard` (the capstone scorecard), :mod:`~dockerlab.workshop` (preparing a
  classroom), :mod:`~dockerlab.classroom` (a user and a rootless engine per learner on a
  workshop server), :mod:`~dockerlab.plotting` (one chart style), :mod:`~dockerlab.notebook`
- :mod:`~dockerlab.errors`: ``DockerlabError`` and its kin

Example:
    >>> import dockerlab as dl
    >>> dl.setup()
    >>> dl.doctor()                                  # doctest: +SKIP
    >>> dl.compare({"alpine": dl.ref("alpine")})     # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import importlib.util

from . import errors
from .errors import *  # noqa: F403  (every error, named in errors.__all__)

#: Each exported name and the module it comes from: imported when first used, so that
#: ``import dockerlab`` (and ``python -m dockerlab cleanup``) costs no matplotlib, pandas,
#: hadolint or scorecard until a notebook asks for them.
_EXPORTS = {
    "building": ["BuiltImage", "available_builders", "build", "describe_builders"],
    "checkup": ["doctor"],
    "containers": ["DemoContainer", "RunResult", "run", "start"],
    "engine": ["buildkit_cli", "client", "emulated", "engine_info", "platform",
               "registry_reachable"],
    "exercises.progress_file": ["progress"],
    "images": ["CATALOG", "provenance", "ref"],
    "measuring": ["attack_surface", "compare", "history", "measure", "size_on_disk", "sizes"],
    "notebook": ["md", "setup"],
    "plotting": ["caption_below", "compare_bars", "use_style"],
    "scorecard": ["score"],  # the function; the module stays importable as dockerlab.scorecard
    "sessions": ["cleanup", "leftovers", "session"],
}  # fmt: skip
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}
_MODULES = ("images", "labels")  # modules a notebook uses as dl.images, dl.labels, ...


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    elif name in _MODULES or importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f".{name}", __name__)  # dl.layers, dl.building, ...
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__version__ = "0.1.0"

__all__ = sorted([*errors.__all__, *_HOME, *_MODULES, "errors"])
