"""dockerlab: measure Docker image best practices on a real engine, from Jupyter.

``import dockerlab as dl`` gives the names a notebook uses (``dl.build``, ``dl.run``,
``dl.measure``, ``dl.ref``, every error of :mod:`~dockerlab.errors`, ...), each loaded
from its module when first used; every module is reachable as ``dl.<module>`` too.
The modules, one idea each, in layers (core, lessons, teaching, classroom): see the map
in CONTRIBUTING.md, "Where things live".

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
