"""The scorecard's rows: each practice's measure, its target, and how a value is shown.

The first rows are read from the Dockerfile's text (:mod:`dockerlab.scorecard.dockerfile_checks`),
the others measured on the image (:mod:`dockerlab.scorecard.image_checks`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    """One row of the scorecard.

    Attributes:
        key: Its key in :attr:`Scorecard.values`.
        label: The row's name.
        unit: Shown after the value.
        target: The target as text; None for a row that only informs.
        test: Whether a value meets the target.
        static: True if read from the Dockerfile's text, False if measured on the image.
    """

    key: str
    label: str
    unit: str
    target: str | None
    test: Callable[[object], bool] | None
    static: bool

    def met(self, value) -> bool | None:
        """True/False against the target; None if not measured or no target."""
        if value is None or self.test is None:
            return None
        return bool(self.test(value))


def _not_root(user) -> bool:
    return str(user).split(":")[0] not in ("", "0", "root")


#: The rows, in table order: first what the Dockerfile's text shows, then the image's measures.
MEASURES: list[Measure] = [
    Measure("hadolint", "hadolint warnings+errors", "", "0", lambda v: v == 0, True),
    Measure("unpinned", "unpinned bases", "", "0", lambda v: v == 0, True),
    Measure("text_secrets", "secrets in ARG/ENV/LABEL", "", "0", lambda v: v == 0, True),
    Measure("instructions", "instructions", "", None, None, True),
    Measure("layers_added", "layers they add (final stage)", "", "<= 4", lambda v: v <= 4, True),
    Measure("user", "USER (final stage)", "", "not root", _not_root, True),
    Measure("init", "init in ENTRYPOINT", "", "yes", bool, True),
    Measure("size_mb", "image size", "MB", "< 20", lambda v: v < 20, False),
    Measure("layers", "filesystem layers", "", "<= 5", lambda v: v <= 5, False),
    Measure("wasted_mb", "wasted bytes", "MB", "< 0.1", lambda v: v < 0.1, False),
    Measure("packages", "OS packages", "", "<= 20", lambda v: v <= 20, False),
    Measure("shells", "shells on PATH", "", "0 (or a reason)", lambda v: v == 0, False),
    Measure("secrets", "places holding a secret", "", "0", lambda v: v == 0, False),
    Measure("works", "the app works", "", "yes", bool, False),
    Measure("zombies", "zombies after running", "", "0", lambda v: v == 0, False),
    Measure("stop_s", "docker stop took", "s", "< 1", lambda v: v < 1, False),
    Measure("uid", "uid of PID 1", "", "not 0 (root)", lambda v: v != 0, False),
]
#: Each row by its key.
BY_KEY = {m.key: m for m in MEASURES}
#: The keys of the rows that have a target.
TARGETS = [m.key for m in MEASURES if m.target is not None]


def show_value(v, unit: str, key: str = "") -> str:
    """A value as the table shows it: ``5.00 MB``, ``yes``, ``none: root``."""
    if key == "user":
        return str(v) if _not_root(v) else (f"{v} (root)" if v else "none: root")
    if key == "init":
        return str(v) if v else "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.2f} {unit}".strip() if v < 100 else f"{v:,.0f} {unit}".strip()
    return f"{v} {unit}".strip()
