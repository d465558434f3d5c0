"""Layers and multi-stage builds (notebook 08): the charts of what each layer keeps and wastes.

The numbers come from the layer analyser, :mod:`dockerlab.inspect.layers`; this module
draws them as the lesson shows them:

- :func:`plot_layers`: each layer's size, split into the bytes that reach the final
  filesystem and those a later layer overwrites or deletes, one panel per image;
- :func:`plot_rebuilds`: the rebuild time and the cache hits after a one-line change, for
  each order of a Dockerfile's ``COPY`` lines.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd

from dockerlab.core.plotting import BAD, GOOD, INK, LAYER_COLORS, caption_below
from dockerlab.inspect.layers import LayerAnalysis


def plot_layers(
    analyses: LayerAnalysis | Mapping[str, LayerAnalysis],
    *,
    title: str | None = None,
    caption: str | None = None,
    width: int = 46,
):
    """Layer sizes as stacked bars, kept bytes vs wasted bytes; one panel per image.

    Args:
        analyses: One analysis, or label -> analysis for side-by-side panels.
        title: A title over the panels.
        caption: A line under the figure (say where numbers come from).
        width: Instructions are cut to this many characters.

    Returns:
        The matplotlib Figure.
    """
    if isinstance(analyses, LayerAnalysis):
        analyses = {analyses.image: analyses}
    n = len(analyses)
    tallest = max(len(a.layers) for a in analyses.values())
    fig, axes = plt.subplots(
        1, n, figsize=(min(5.4 * n, 16.5), 1.6 + 0.36 * tallest), squeeze=False, sharex=True
    )
    top = max(a.layers["size"].max() for a in analyses.values()) / 1e6
    for ax, (label, a) in zip(axes[0], analyses.items(), strict=True):
        df = a.layers
        names = [
            _cut(f"{i}: {ins}", width) for i, ins in zip(df.index, df["instruction"], strict=True)
        ]
        kept, wasted = df["kept_bytes"] / 1e6, df["wasted_bytes"] / 1e6
        y = list(range(len(df)))  # layer 0 at the top, as in a Dockerfile
        ax.barh(
            y, kept, height=0.7, color=LAYER_COLORS["kept"], label="kept: in the final filesystem"
        )
        ax.barh(
            y,
            wasted,
            height=0.7,
            left=kept,
            color=LAYER_COLORS["wasted"],
            label="wasted: overwritten or deleted by a later layer",
        )
        for yi, k, w in zip(y, kept, wasted, strict=True):
            text = f"{k + w:.2f} MB" + (f" ({w:.1f} wasted)" if w >= 0.01 else "")
            ax.annotate(
                text,
                (k + w, yi),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        ax.set_yticks(y, names, fontsize=8)
        ax.set_ylim(tallest - 0.5, -0.5)  # same bar thickness in every panel
        ax.set_xlim(0, top * 2.1 + 0.01)
        ax.set_xlabel("layer size (MB)")
        ax.grid(axis="x", alpha=0.35)
        ax.grid(axis="y", visible=False)
        ax.set_title(f"{label}\n{len(a.layers)} layers, efficiency {a.efficiency:.0%}", fontsize=10)
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(
        handles,
        names,
        loc="upper center",
        ncol=2,
        fontsize=9,
        bbox_to_anchor=(0.5, 1.0 if not title else 0.95),
    )
    if title:
        fig.suptitle(title, fontweight="bold", y=1.04)
    if caption:
        caption_below(fig, caption)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


def plot_rebuilds(rebuilds: pd.DataFrame, *, better: str, title: str = "", caption: str = ""):
    """Rebuilds after a one-line change, per Dockerfile order: median time and cache hits.

    Args:
        rebuilds: One row per rebuild: ``order`` (which Dockerfile), ``seconds``,
            ``cache hits``.
        better: The order that should win (drawn in the colour of good outcomes, the
            others in the colour of bad ones).
        title: Over both charts.
        caption: Where the numbers come from (under the charts).

    Returns:
        The matplotlib Figure: the median rebuild time (each rebuild a dot) and the
        median number of steps served from the cache.
    """
    stats = rebuilds.groupby("order", sort=False).agg(
        median_seconds=("seconds", "median"), cache_hits=("cache hits", "median")
    )
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    colors = [GOOD if order == better else BAD for order in stats.index]
    for ax, col, heading, fmt in [
        (axes[0], "median_seconds", "rebuild time after a one-line change (s)", "{:.1f}"),
        (axes[1], "cache_hits", "steps served from the cache", "{:.0f}"),
    ]:
        bars = ax.bar(stats.index, stats[col], color=colors)
        ax.bar_label(bars, labels=[fmt.format(v) for v in stats[col]])
        ax.set_title(heading)
    axes[1].yaxis.get_major_locator().set_params(integer=True)
    for i, order in enumerate(stats.index):
        pts = rebuilds.loc[rebuilds["order"] == order, "seconds"]
        axes[0].scatter(
            [i] * len(pts), pts, color=INK, s=12, zorder=3, label="each rebuild" if i else None
        )
    axes[0].legend(fontsize=8, loc="upper center")
    if title:
        fig.suptitle(title, fontweight="bold")
    if caption:
        caption_below(fig, caption)
    return fig


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


__all__ = ["plot_layers", "plot_rebuilds"]
