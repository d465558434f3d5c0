"""dockerlab: measure Docker image best practices on a real engine, from Jupyter.

The modules, one idea each:

- :mod:`~dockerlab.engine`: the connection to Docker, registry and BuildKit checks
- :mod:`~dockerlab.private_engine`: the kit's own engine on Linux machines with none
- :mod:`~dockerlab.doctor`: is this machine ready? one table
- :mod:`~dockerlab.images`: the catalog of base images; :mod:`~dockerlab.bases` makes them
- :mod:`~dockerlab.build`: build from Dockerfile text, with progress and clear failures
- :mod:`~dockerlab.measure`: size, layers, history, attack surface
- :mod:`~dockerlab.containers`: run demo containers with limits and no network
- :mod:`~dockerlab.session`: labels and cleanup of what the kit made
- :mod:`~dockerlab.plotting`: the course's chart style
- :mod:`~dockerlab.errors`: ``DockerlabError`` and its kin

Example:
    >>> import dockerlab as dl
    >>> dl.setup()
    >>> dl.doctor()                                  # doctest: +SKIP
    >>> dl.compare({"alpine": dl.ref("alpine")})     # doctest: +SKIP
"""

from . import errors, images, labels
from .build import BuiltImage, build
from .containers import DemoContainer, RunResult, run, start
from .doctor import doctor
from .engine import buildkit_cli, client, registry_reachable
from .errors import (
    BuildFailed,
    BuildTimeout,
    ContainerTimeout,
    DockerlabError,
    EngineNotRunning,
    ImageNotFound,
)
from .exercises.progress import progress
from .images import CATALOG, provenance, ref
from .measure import attack_surface, compare, history, measure
from .notebook import setup
from .plotting import compare_bars, use_style
from .session import cleanup, leftovers, session

__version__ = "0.1.0"

__all__ = [
    "CATALOG",
    "BuildFailed",
    "BuildTimeout",
    "BuiltImage",
    "ContainerTimeout",
    "DemoContainer",
    "DockerlabError",
    "EngineNotRunning",
    "ImageNotFound",
    "RunResult",
    "attack_surface",
    "build",
    "buildkit_cli",
    "cleanup",
    "client",
    "compare",
    "compare_bars",
    "doctor",
    "errors",
    "history",
    "images",
    "labels",
    "leftovers",
    "measure",
    "progress",
    "provenance",
    "ref",
    "registry_reachable",
    "run",
    "session",
    "setup",
    "start",
    "use_style",
]
