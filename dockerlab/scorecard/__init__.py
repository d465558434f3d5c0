"""The capstone's scorecard: one Dockerfile, scored on every practice of the course.

:func:`score` reads a Dockerfile, builds it with its build context on the real
engine where it can, measures the image, runs it, and returns a
:class:`Scorecard`. Two parts:

- **read from the Dockerfile** (always, even when it cannot be built here):
  **hadolint** findings (warnings and errors; :mod:`dockerlab.inspect.lint`),
  **unpinned** bases (no tag, ``latest``, no digest), **secrets in ARG, ENV
  and LABEL** (a name that says secret, ``*TOKEN*``, ``*PASSWORD*``..., or a
  known secret's value), the number of **instructions** and the **layers**
  the final stage's RUN, COPY and ADD add, the final **USER**, and whether an
  **init** starts the container (ENTRYPOINT);
- **measured on the image** (when it builds): **size** (MB on disk),
  **layers**, **wasted** bytes (written in one layer, deleted or overwritten
  in a later one: :func:`dockerlab.inspect.layers.analyse`), **packages**
  (dpkg/apk database), **shells** on PATH, **secrets** (every layer's files,
  deleted ones included, and the config: env, labels, history; the secret's
  common encodings too: :mod:`dockerlab.inspect.secret_forms`), and the
  default command **run** for a moment (with ``env``, no network, limits):
  did the app do its work, how many **zombies** it left, how long ``docker
  stop`` took, and the **uid** of its PID 1.

A Dockerfile that cannot be built here still gets its first part, and the
table names each row that was not measured, and why: a step that needs the
network (the kit's builds have none: ``apk add``, ``apt-get``, ``dnf``/``yum``,
``pip``, ``npm``, ``curl``/``wget``, ``git``, ``ADD`` of a URL), or a base
image that is missing while no registry answers (:class:`~dockerlab.errors.BaseImageMissing`).

:func:`compare` puts scorecards side by side and :func:`plot` draws them.
``python -m dockerlab score PATH`` prints the table (``--compare A B``: two; ``--json``:
:meth:`Scorecard.to_dict`; ``--fail-under N``: exit 1 when :attr:`Scorecard.score`, the
percentage of targets met, is under N; exit 3 when the Dockerfile does not build).

Bases that are not on the engine: with no registry reachable, an untagged or
``latest`` base whose repository is in the catalog (``debian``, ``alpine``,
``dockerlab/builder``) is built from the catalog's image instead
(``debian`` -> ``debian:bookworm``), **for the measurement only**: hadolint
and the pinning check still read the Dockerfile as written, and the scorecard
says what it substituted (its ``notes``). The engine is left untouched (no
``latest`` tag is created on it).

One module per job: :mod:`~dockerlab.scorecard.measures` (the rows and their targets),
:mod:`~dockerlab.scorecard.dockerfile_checks` (what the Dockerfile's text shows),
:mod:`~dockerlab.scorecard.image_checks` (build, measure, run),
:mod:`~dockerlab.scorecard.inputs` (the Dockerfile and its build context),
:mod:`~dockerlab.scorecard.card` (:class:`Scorecard`, :func:`score`, :func:`compare`) and
:mod:`~dockerlab.scorecard.chart` (:func:`plot`). The Dockerfile is read by
:mod:`dockerlab.core.dockerfile` and a folder's build context by
:mod:`dockerlab.core.building.context`; the names this package had are all still here.

Example:
    >>> from dockerlab import scorecard
    >>> card = scorecard.score(scorecard.CAPSTONE / "Dockerfile")   # doctest: +SKIP
    >>> print(card)                                          # doctest: +SKIP
"""

from __future__ import annotations

from dockerlab.assets.capstone import (
    CAPSTONE,
    CAPSTONE_ENV,
    CAPSTONE_TOKEN,
    PYTHON_ALPINE,
    capstone_works,
    ledger_report,
)
from dockerlab.core.building.context import MAX_CONTEXT_FILE, dockerignore, ignored, read_context
from dockerlab.inspect.layers import analyse_and_search
from dockerlab.scorecard.card import Scorecard, compare, score
from dockerlab.scorecard.chart import CARD_COLORS, PLOTTED, plot
from dockerlab.scorecard.dockerfile_checks import (
    INITS,
    NetworkStep,
    dockerfile_secrets,
    network_steps,
    read_dockerfile,
)
from dockerlab.scorecard.image_checks import run_checks
from dockerlab.scorecard.inputs import capstone_context
from dockerlab.scorecard.measures import MEASURES, TARGETS, Measure

__all__ = [
    "CAPSTONE",
    "CAPSTONE_ENV",
    "CAPSTONE_TOKEN",
    "CARD_COLORS",
    "INITS",
    "MAX_CONTEXT_FILE",
    "MEASURES",
    "PLOTTED",
    "PYTHON_ALPINE",
    "TARGETS",
    "Measure",
    "NetworkStep",
    "Scorecard",
    "analyse_and_search",
    "capstone_context",
    "capstone_works",
    "compare",
    "dockerfile_secrets",
    "dockerignore",
    "ignored",
    "ledger_report",
    "network_steps",
    "plot",
    "read_context",
    "read_dockerfile",
    "run_checks",
    "score",
]
