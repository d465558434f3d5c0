"""One matplotlib style for the whole course, its colours by role, and the charts lessons share.

:func:`use_style` applies ``assets/dockerlab.mplstyle`` and the colour cycle.
Every colour of the course is defined here, once, by what it stands for (an image
family, an outcome, an answer's state, a kind of layer bytes, a severity): a lesson
module picks a role, never a colour of its own, so one meaning has one colour in
every chart. :func:`compare_bars` draws one small bar chart per measure (images
side by side), with a log scale where values span orders of magnitude, and a
caption naming where the numbers come from. matplotlib is imported when a chart
is drawn, not with the colours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

STYLE = resources.files("dockerlab") / "assets" / "dockerlab.mplstyle"

#: The course's own colour (Docker's blue): data that stands for nothing more.
ACCENT = "#1d63ed"
#: Series told apart and nothing more (phases, runs...): the style's colour cycle.
SERIES = (ACCENT, "#0db7ed", "#f29111", "#6c757d", "#d62728", "#2ca02c", "#9467bd")
#: Image families, so Debian is the same colour in every chart.
FAMILY_COLORS = {"debian": "#d70a53", "slim": "#f29111", "alpine": "#0d597f", "scratch": "#2ca02c"}
#: C libraries, in their family's colour: glibc is Debian's, musl Alpine's.
LIBC_COLORS = {"glibc": FAMILY_COLORS["debian"], "musl": FAMILY_COLORS["alpine"]}
#: Outcomes: what went well, what went wrong, what calls for care.
GOOD, BAD, CAUTION = "#2ca02c", "#d62728", "#f29111"
#: The same outcomes, light: backgrounds of cells with dark text on them (and no outcome yet).
GOOD_LIGHT, BAD_LIGHT, CAUTION_LIGHT, NEUTRAL_LIGHT = "#b9e4b9", "#f4b6b6", "#fde2b8", "#eeeeee"
#: The same outcomes, dark: words in their colour, on white or on their light background.
GOOD_DARK, BAD_DARK, CAUTION_DARK = "#1b5e20", "#c62828", "#8a4b00"
#: What is not the data (text, captions, guide lines and edges), darkest first.
INK, MUTED, GUIDE = "#333333", "#555555", "#999999"
#: The page: what is left empty, and words written on a dark fill.
PAPER = "#ffffff"
#: An exercise question's state (the exercises' ``PASSED``, ``NOT_YET``, ``NOT_ATTEMPTED``).
STATUS_COLORS = {"passed": GOOD, "not yet": CAUTION, "not attempted": NEUTRAL_LIGHT}
#: A layer's bytes: kept in the final filesystem, or wasted (deleted or replaced later).
LAYER_COLORS = {"kept": ACCENT, "wasted": BAD}
#: Vulnerability severities, most severe first (the scanners' names).
SEVERITY_COLORS = {
    "CRITICAL": "#7b0d1e",
    "HIGH": "#d70a53",
    "MEDIUM": CAUTION,
    "LOW": "#f2c811",
    "NEGLIGIBLE": "#9db4c0",
    "UNKNOWN": "#bbbbbb",
}
#: Two designs of one service: one task per container, or everything in one.
DESIGN_COLORS = {"split": GOOD, "combined": BAD}


def use_style() -> None:
    """Apply the course's chart style to every following plot."""
    import matplotlib.pyplot as plt
    from cycler import cycler

    plt.style.use(str(STYLE))
    plt.rcParams["axes.prop_cycle"] = cycler(color=list(SERIES))


def family_color(label: str) -> str:
    """The colour of the image family a label names (``"alpine 3.23"``...), else :data:`ACCENT`."""
    low = label.lower()
    for family in ("scratch", "alpine", "slim", "debian"):
        if family in low:
            return FAMILY_COLORS[family]
    return ACCENT


def compare_bars(
    df: pd.DataFrame,
    columns: Sequence[str],
    *,
    titles: dict[str, str] | None = None,
    log: bool = True,
    caption: str | None = None,
    suptitle: str | None = None,
):
    """Small multiples: one bar chart per column, one bar per row of ``df``.

    Args:
        df: One row per image (index = labels), one column per measure.
        columns: The measures to chart, in order.
        titles: Readable titles per column (default: the column names).
        log: Log scale (zero values are drawn as a marked empty slot).
        caption: A line under the figure (say where numbers come from).
        suptitle: A title over all charts.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    titles = titles or {}
    ncols = min(4, len(columns))
    nrows = math.ceil(len(columns) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 3.3 * nrows), squeeze=False)
    labels = [str(i) for i in df.index]
    colors = [family_color(lbl) for lbl in labels]
    x = list(range(len(labels)))
    for ax, col in zip(axes.flat, columns, strict=False):
        values = df[col].astype(float)
        heights = values.where(values > 0) if log else values
        bars = ax.bar(x, heights.fillna(0) if not log else heights, color=colors)
        if log:
            ax.set_yscale("log")
            positive = values[values > 0]
            low = min(0.5, positive.min() / 3) if len(positive) else 0.5
            ax.set_ylim(bottom=low, top=max(positive.max() * 3 if len(positive) else 1, 1))
        ax.set_xticks(x, labels, rotation=30, ha="right")
        ax.set_title(titles.get(col, col))
        ax.bar_label(bars, labels=[_fmt(v) for v in values], fontsize=8, padding=2)
        for i, v in enumerate(values):
            if v == 0:
                ax.annotate(
                    "0",
                    (i, 0),
                    xycoords=("data", "axes fraction"),
                    ha="center",
                    va="bottom",
                    fontsize=9,
                    xytext=(0, 2),
                    textcoords="offset points",
                )
    for ax in axes.flat[len(columns) :]:
        ax.set_visible(False)
    if suptitle:
        fig.suptitle(suptitle, fontweight="bold")
    if caption:
        caption_below(fig, caption)
    return fig


def breakdown_bars(
    panels: Mapping[str, Mapping[str, float | Mapping[str, float]]],
    *,
    unit: str = "MB",
    xlabel: str = "",
    suptitle: str | None = None,
    caption: str | None = None,
):
    """Horizontal bars, one panel per title: each bar one value, or the parts it is made of.

    A bar given as ``{part: value}`` is drawn as its parts stacked (each named on it
    where it is wide enough); every bar ends with its total. Bars take the colour
    of the image family their label names (:func:`family_color`), first bar on top.

    Args:
        panels: Panel title -> {bar label -> a value, or {part name -> value}}.
        unit: Written after each total.
        xlabel: Under every panel.
        suptitle: A title over all panels.
        caption: A line under the figure (say where numbers come from).

    Returns:
        The matplotlib Figure.

    Example:
        >>> breakdown_bars({"tools": {"debian": {"coreutils": 7.1, "grep": 1.3},  # doctest: +SKIP
        ...                           "alpine: busybox": 0.8}}, xlabel="installed size (MB)")
    """
    import matplotlib.pyplot as plt

    def parts_of(bar: float | Mapping[str, float]) -> Mapping[str, float]:
        return bar if isinstance(bar, Mapping) else {"": float(bar)}

    widths = [1 + 0.1 * max(len(parts_of(b)) for b in bars.values()) for bars in panels.values()]
    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=(11, 0.8 + 1.2 * max(map(len, panels.values()))),
        squeeze=False,
        gridspec_kw={"width_ratios": widths},
    )
    for ax, (title, bars) in zip(axes[0], panels.items(), strict=True):
        totals = {label: sum(parts_of(bar).values()) for label, bar in bars.items()}
        top = max(totals.values()) or 1
        for y, (label, bar) in enumerate(bars.items()):
            left, color = 0.0, family_color(label)
            for i, (part, value) in enumerate(parts_of(bar).items()):
                ax.barh(
                    y, value, left=left, color=color, alpha=max(0.3, 1 - 0.06 * i), edgecolor=PAPER
                )
                if part and value > top / 20:
                    ax.text(
                        left + value / 2, y, part, ha="center", va="center", color=PAPER, fontsize=8
                    )
                left += value
            ax.text(left, y, f" {_fmt(totals[label])} {unit}", va="center")
        ax.set_yticks(range(len(bars)), list(bars))
        ax.set_ylim(len(bars) - 0.5, -0.5)  # the first bar on top
        ax.set_xlim(0, top * 1.3)
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.grid(axis="y", visible=False)
    if suptitle:
        fig.suptitle(suptitle, fontweight="bold")
    if caption:
        caption_below(fig, caption)
    fig.tight_layout()
    return fig


def caption_below(fig, text: str) -> None:
    """Write a small grey line under a figure: where its numbers come from.

    When the kit is talking to an engine, the caption ends with which one the
    numbers were measured on (version, image store, platform): they differ by engine.
    """
    from dockerlab.core.engine import (  # no connection is made for it
        current_info,
        requested_platform,
    )

    info = current_info()
    if info is not None and info.label() not in text:
        text = f"{text.rstrip()} Engine: {info.label()}."
        wanted = requested_platform()
        if wanted and wanted.split("/")[1] != info.arch:
            text += f" Measured on {wanted}, emulated by qemu."
    fig.text(0.01, -0.01, text, fontsize=8, color=MUTED, ha="left", va="top", wrap=True)


def _fmt(v: float) -> str:
    if v == 0:
        return ""
    return f"{v:.3g}" if v < 100 else f"{v:,.0f}"
