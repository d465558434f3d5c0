"""One matplotlib style for the whole course, and the charts lessons share.

:func:`use_style` applies ``assets/dockerlab.mplstyle``. :func:`compare_bars`
draws one small bar chart per measure (images side by side), with a log scale
where values span orders of magnitude, and a caption naming where the numbers
come from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib import resources

import matplotlib.pyplot as plt
import pandas as pd

STYLE = resources.files("dockerlab") / "assets" / "dockerlab.mplstyle"
#: Colours per image family, so Debian is the same colour in every chart.
FAMILY_COLORS = {"debian": "#d70a53", "slim": "#f29111", "alpine": "#0d597f", "scratch": "#2ca02c"}


def use_style() -> None:
    """Apply the course's chart style to every following plot."""
    plt.style.use(str(STYLE))


def _color(label: str) -> str:
    low = label.lower()
    for family in ("scratch", "alpine", "slim", "debian"):
        if family in low:
            return FAMILY_COLORS[family]
    return "#1d63ed"


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
    titles = titles or {}
    ncols = min(4, len(columns))
    nrows = math.ceil(len(columns) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 3.3 * nrows), squeeze=False)
    labels = [str(i) for i in df.index]
    colors = [_color(lbl) for lbl in labels]
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
                ax.annotate("0", (i, 0), xycoords=("data", "axes fraction"), ha="center",
                            va="bottom", fontsize=9, xytext=(0, 2), textcoords="offset points")  # fmt: skip
    for ax in axes.flat[len(columns) :]:
        ax.set_visible(False)
    if suptitle:
        fig.suptitle(suptitle, fontweight="bold")
    if caption:
        caption_below(fig, caption)
    return fig


def caption_below(fig, text: str) -> None:
    """Write a small grey line under a figure: where its numbers come from.

    When the kit is talking to an engine, the caption ends with which one the
    numbers were measured on (version, image store, platform): they differ by engine.
    """
    from .engine import current_info, requested_platform  # no connection is made for it

    info = current_info()
    if info is not None and info.label() not in text:
        text = f"{text.rstrip()} Engine: {info.label()}."
        wanted = requested_platform()
        if wanted and wanted.split("/")[1] != info.arch:
            text += f" Measured on {wanted}, emulated by qemu."
    fig.text(0.01, -0.01, text, fontsize=8, color="#555", ha="left", va="top", wrap=True)


def _fmt(v: float) -> str:
    if v == 0:
        return ""
    return f"{v:.3g}" if v < 100 else f"{v:,.0f}"
