"""The scorecard itself: :class:`Scorecard` (the result), :func:`score` (one Dockerfile) and
:func:`compare` (scorecards side by side)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from dockerlab.assets.capstone import CAPSTONE_ENV, CAPSTONE_TOKEN, capstone_works
from dockerlab.errors import BaseImageMissing, BuildFailed, BuildKitUnavailable
from dockerlab.inspect import lint
from dockerlab.scorecard.dockerfile_checks import (
    NetworkStep,
    dockerfile_secrets,
    network_steps,
    read_dockerfile,
)
from dockerlab.scorecard.image_checks import measure_image
from dockerlab.scorecard.inputs import read_inputs
from dockerlab.scorecard.measures import BY_KEY, MEASURES, TARGETS, show_value


@dataclass
class Scorecard:
    """Every measure of one Dockerfile and its image.

    Attributes:
        label: A name for tables and plots.
        dockerfile: The Dockerfile as written.
        values: Measure key -> value (see :data:`MEASURES`); None where not measured.
        lint: hadolint's findings (every level).
        secret_hits: Where the image holds a secret: ``where``, ``layer``,
            ``instruction``, ``path``, ``secret`` (the value's first characters
            only, or the variable's name). Empty if the image was not built.
        notes: What the scorecard substituted or could not measure, and why.
        output: What the container printed while it ran.
        unmeasured: Measure key -> why it was not measured.
        dockerfile_secrets: ARG/ENV/LABEL entries that hold or name a secret:
            ``line``, ``instruction``, ``name``, ``why`` (never the value).
        network: The steps that need the network (see :func:`network_steps`).
    """

    label: str
    dockerfile: str = field(repr=False)
    values: dict[str, object]
    lint: pd.DataFrame = field(repr=False)
    secret_hits: pd.DataFrame = field(repr=False)
    notes: list[str] = field(default_factory=list)
    output: str = field(default="", repr=False)
    unmeasured: dict[str, str] = field(default_factory=dict)
    dockerfile_secrets: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    network: list[NetworkStep] = field(default_factory=list, repr=False)

    def __getitem__(self, key: str):
        return self.values[key]

    @property
    def built(self) -> bool:
        """True if the image was built and measured."""
        return self.values.get("size_mb") is not None

    def table(self) -> pd.DataFrame:
        """One row per measure: ``value``, ``target``, ``ok``, and ``from`` (Dockerfile or image)."""
        rows = []
        for m in MEASURES:
            v = self.values.get(m.key)
            if v is None:
                why = self.unmeasured.get(m.key, "")
                shown = "not measured" + (f": {why}" if why else "")
            else:
                shown = show_value(v, m.unit, m.key)
            met = m.met(v)
            rows.append(
                {
                    "measure": m.label,
                    "value": shown,
                    "target": m.target or "",
                    "ok": {True: "✓", False: "✗", None: "" if m.target is None else "–"}[met],
                    "from": "Dockerfile" if m.static else "image",
                }
            )
        return pd.DataFrame(rows).set_index("measure")

    @property
    def passed(self) -> list[str]:
        """The measures that meet their target."""
        return [k for k in TARGETS if BY_KEY[k].met(self.values.get(k))]

    @property
    def failed(self) -> list[str]:
        """The measures that were measured and miss their target."""
        return [k for k in TARGETS if BY_KEY[k].met(self.values.get(k)) is False]

    @property
    def not_measured(self) -> list[str]:
        """The measures with a target that could not be measured."""
        return [k for k in TARGETS if self.values.get(k) is None]

    @property
    def score(self) -> float:
        """The score, 0-100: the percentage of the targets met (:data:`TARGETS`; a target
        not measured is not met). ``python -m dockerlab score --fail-under N`` gates on it."""
        return round(100 * len(self.passed) / len(TARGETS), 1)

    def to_dict(self) -> dict:
        """Everything the scorecard measured, for ``score --json``: plain JSON types only.

        Keys: ``label``; ``score`` (:attr:`score`), ``met`` and ``targets`` (counts);
        ``built``; ``measures``: one object per row of :data:`MEASURES`, in table order,
        with ``key``, ``label``, ``value`` (null if not measured), ``unit``, ``target``
        (null for a row that only informs), ``from`` (``"dockerfile"`` or ``"image"``),
        ``verdict`` (``"met"``, ``"missed"``, ``"not measured"`` or ``"info"``) and
        ``message`` (the value as the table shows it, or why it was not measured);
        ``hadolint`` (findings: ``line``, ``code``, ``level``, ``message``);
        ``secrets`` (where the image holds one; never the value), ``dockerfile_secrets``,
        ``network_steps``, ``notes``.
        """
        measures = []
        for m in MEASURES:
            v = self.values.get(m.key)
            met = m.met(v)
            if v is None:
                why = self.unmeasured.get(m.key, "")
                message = "not measured" + (f": {why}" if why else "")
                verdict = "not measured" if m.target is not None else "info"
            else:
                message = show_value(v, m.unit, m.key)
                verdict = "info" if met is None else ("met" if met else "missed")
            measures.append(
                {
                    "key": m.key,
                    "label": m.label,
                    "value": _plain(v),
                    "unit": m.unit,
                    "target": m.target,
                    "from": "dockerfile" if m.static else "image",
                    "verdict": verdict,
                    "message": message,
                }
            )
        return {
            "label": str(self.label),
            "score": self.score,
            "met": len(self.passed),
            "targets": len(TARGETS),
            "built": self.built,
            "measures": measures,
            "hadolint": _records(self.lint, ["line", "code", "level", "message"]),
            "secrets": _records(self.secret_hits, ["where", "layer", "instruction", "path"]),
            "dockerfile_secrets": _records(
                self.dockerfile_secrets, ["line", "instruction", "name"]
            ),
            "network_steps": [
                {"line": s.line, "tool": s.tool, "command": s.command} for s in self.network
            ],
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        text = f"{len(self.passed)}/{len(TARGETS)} targets met"
        if self.not_measured:
            text += f", {len(self.not_measured)} not measured"
        return text

    def __str__(self) -> str:
        t = self.table().reset_index()
        widths = {c: max(len(c), *(len(str(v)) for v in t[c])) for c in t.columns}
        lines = [
            f"Scorecard: {self.label}  ({self.summary()})",
            "  ".join(c.ljust(widths[c]) for c in t.columns).rstrip(),
        ]
        lines += [
            "  ".join(str(v).ljust(widths[c]) for c, v in row.items()).rstrip()
            for _, row in t.iterrows()
        ]
        serious = (
            self.lint[self.lint["level"].isin(["error", "warning"])]
            if "level" in self.lint
            else self.lint
        )
        if len(serious) and "code" in serious:
            lines.append(
                "hadolint: " + "; ".join(f"line {r.line} {r.code}" for r in serious.itertuples())
            )
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        notes = "".join(f"<br><small>note: {n}</small>" for n in self.notes)
        return (
            f"<b>Scorecard: {self.label}</b> ({self.summary()})"
            + self.table()._repr_html_()
            + notes
        )


def _plain(value):
    """A value as plain JSON: numpy and pandas numbers as int/float, missing as None."""
    if value is None or (not isinstance(value, str | bool) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    return value


def _records(df: pd.DataFrame, columns: list[str]) -> list[dict]:
    """The rows of ``df`` as plain JSON objects, only the ``columns`` it has."""
    have = [c for c in columns if c in df.columns]
    return [
        {c: _plain(v) for c, v in zip(have, row, strict=True)}
        for row in df[have].itertuples(index=False)
    ]


def _network_reason(steps: list[NetworkStep]) -> str:
    """``needs the network: apk add (line 15)``: the first step that downloads."""
    return f"needs the network: {steps[0]}"


def score(
    source,
    context=None,
    *,
    label: str | None = None,
    secrets: list[str] | None = None,
    env: Mapping[str, str] | None = None,
    settle: float = 1.5,
    grace: int = 3,
    works: str | Callable[[str], bool] | None = None,
    timeout: float = 600,
    progress: bool = False,
) -> Scorecard:
    """Score a Dockerfile on every practice of the course: its text, then its image.

    The Dockerfile's text is always read (hadolint, pins, secrets in ARG/ENV/LABEL,
    instructions and layers, USER, init). The image is built and measured when
    that can happen here; when it cannot, the scorecard is partial and its
    table says why for each row not measured: a step that needs the network
    (:func:`network_steps`: the kit's builds have none), a base image missing
    with no registry to pull it from, no BuildKit client for a Dockerfile that
    needs one.

    Args:
        source: A Dockerfile's path (or its folder), or its text.
        context: The build context: a folder, or a mapping of files (see
            :func:`dockerlab.core.building.context_tar`). Default: the Dockerfile's
            folder, as ``docker build`` takes it (``.dockerignore`` honoured;
            the capstone's folder also gets dumb-init's source).
        label: Name in tables and plots (default: the path).
        secrets: Secret values to look for (default: the capstone's fake token).
        env: Environment of the test run (default: the capstone's, which gives
            the token at run time, where it belongs).
        settle: Seconds the container runs before it is examined.
        grace: ``docker stop`` grace period, in seconds.
        works: Text the output must contain for "the app works", or a function
            of the output. Default: for the capstone, at least two reports signed
            with the run-time token (:func:`capstone_works`); otherwise any run
            that keeps going or exits 0 (``""``).
        timeout: Seconds the build may take.
        progress: Show the build's progress.

    Returns:
        The :class:`Scorecard`; nothing it built is left on the engine.

    Raises:
        BuildFailed: The Dockerfile does not parse or a step fails for another
            reason than the network (the message says why).
        BuildTimeout: The build took longer than ``timeout``.
    """
    notes: list[str] = []
    text, files, default_label, capstone = read_inputs(source, context, notes)
    secrets = [CAPSTONE_TOKEN] if secrets is None else list(secrets)
    env = CAPSTONE_ENV if env is None else env
    if works is None:
        works = (lambda out: capstone_works(out, env)) if capstone else ""
    values: dict[str, object] = dict.fromkeys(m.key for m in MEASURES)
    unmeasured: dict[str, str] = {}
    findings = pd.DataFrame(columns=lint.COLUMNS)
    try:
        findings = lint.lint(text, pragmas=False)
        values["hadolint"] = int(findings["level"].isin(["error", "warning"]).sum())
        if re.search(r"#\s*hadolint\s+(global\s+)?ignore", text, re.I):
            notes.append(
                "hadolint findings that `# hadolint ignore=` comments hide are counted too."
            )
    except (lint.HadolintMissing, lint.HadolintFailed) as e:
        unmeasured["hadolint"] = str(e).splitlines()[0]
    values.update(read_dockerfile(text, secrets))
    found_in_text = dockerfile_secrets(text, secrets)
    steps = network_steps(text)
    hits = pd.DataFrame(columns=["where", "layer", "instruction", "path", "secret"])
    output, why = "", None
    if steps:
        why = _network_reason(steps)
        notes.append(
            "Not built: the kit's builds have no network, and these steps download: "
            + "; ".join(f"{s} `{s.command}`" for s in steps[:6])
            + (" ..." if len(steps) > 6 else "")
            + ". The rows read from the Dockerfile are scored; `docker build` on a "
            "machine with internet builds it."
        )
    else:
        try:
            measured, hits, output = measure_image(
                text,
                files,
                secrets=secrets,
                env=env,
                settle=settle,
                grace=grace,
                works=works,
                timeout=timeout,
                progress=progress,
                notes=notes,
            )
            values.update(measured)
        except BaseImageMissing as e:
            names = re.findall(r"'([^']+)'", e.args[0]) or ["a base image"]
            why = f"the base image {' and '.join(names)} is not here and cannot be pulled"
            notes.append(f"Not built. {e}")
        except BuildKitUnavailable as e:
            why = "it needs BuildKit, and this machine has no BuildKit client"
            notes.append(f"Not built. {e}")
        except BuildFailed as e:
            if "tried to download" not in (e.hint or ""):
                raise
            why = "needs the network: " + (e.step or "a step").split(" : ", 1)[-1][:60]
            notes.append(f"Not built: a step tried to download something. {e.args[0]}")
    for m in MEASURES:
        if values.get(m.key) is None and m.key not in unmeasured:
            if why and not m.static:
                unmeasured[m.key] = why
            elif m.key in ("zombies", "stop_s", "uid") and values.get("size_mb") is not None:
                unmeasured[m.key] = "the container had exited"
    return Scorecard(
        label or default_label,
        text,
        values,
        findings,
        hits,
        notes,
        output,
        unmeasured,
        found_in_text,
        steps,
    )


def compare(cards: Mapping[str, Scorecard] | list[Scorecard]) -> pd.DataFrame:
    """Scorecards side by side: one row per measure, one column per card, and the target."""
    items = cards.items() if isinstance(cards, Mapping) else [(c.label, c) for c in cards]
    cols = {}
    for name, card in items:
        cols[name] = [
            "not measured"
            if card.values.get(m.key) is None
            else show_value(card.values[m.key], m.unit, m.key)
            + {True: " ✓", False: " ✗", None: ""}[m.met(card.values[m.key])]
            for m in MEASURES
        ]
    df = pd.DataFrame(cols, index=[m.label for m in MEASURES])
    df["target"] = [m.target or "" for m in MEASURES]
    return df
