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

from . import errors, images, labels
from .building import BuiltImage, available_builders, build, describe_builders
from .checkup import doctor
from .containers import DemoContainer, RunResult, run, start
from .engine import buildkit_cli, client, emulated, engine_info, platform, registry_reachable
from .errors import (
    BaseImageMissing,
    BuildFailed,
    BuildKitUnavailable,
    BuildTimeout,
    ContainerGone,
    ContainerTimeout,
    DockerlabError,
    EngineNotRunning,
    EngineStopped,
    ImageNotFound,
)
from .exercises.progress_file import progress
from .images import CATALOG, provenance, ref
from .measuring import attack_surface, compare, history, measure, size_on_disk, sizes
from .notebook import md, setup
from .plotting import caption_below, compare_bars, use_style
from .scorecard import score  # the function; the module stays importable as dockerlab.scorecard
from .sessions import cleanup, leftovers, session

__version__ = "0.1.0"

__all__ = [
    "CATALOG",
    "BaseImageMissing",
    "BuildFailed",
    "BuildKitUnavailable",
    "BuildTimeout",
    "BuiltImage",
    "ContainerGone",
    "ContainerTimeout",
    "DemoContainer",
    "DockerlabError",
    "EngineNotRunning",
    "EngineStopped",
    "ImageNotFound",
    "RunResult",
    "attack_surface",
    "available_builders",
    "build",
    "buildkit_cli",
    "caption_below",
    "cleanup",
    "client",
    "compare",
    "compare_bars",
    "describe_builders",
    "doctor",
    "emulated",
    "engine_info",
    "errors",
    "history",
    "images",
    "labels",
    "leftovers",
    "md",
    "measure",
    "platform",
    "progress",
    "provenance",
    "ref",
    "registry_reachable",
    "run",
    "score",
    "session",
    "setup",
    "size_on_disk",
    "sizes",
    "start",
    "use_style",
]
