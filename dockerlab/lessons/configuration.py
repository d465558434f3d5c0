"""Configuration and secrets (notebook 09): where each image holds a secret, charted.

:func:`dockerlab.inspect.layers.search` finds every place an image holds a value (a
layer's files, deleted ones included, and the image config and history);
:func:`plot_search_hits` counts those places per image, split by where.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd

from dockerlab.core.plotting import BAD, CAUTION, GOOD, caption_below


def plot_search_hits(hits: Mapping[str, pd.DataFrame], *, title: str = "", caption: str = ""):
    """Per image, how many places hold what a search looked for, split by where.

    Args:
        hits: Image label -> the DataFrame :func:`~dockerlab.inspect.layers.search`
            returned for it.
        title: The chart's title.
        caption: Where the numbers come from (under the chart).

    Returns:
        (the figure, the counts: one row per image, columns "in a layer's files"
        and "in config or history").
    """
    where = pd.DataFrame(
        {
            name: {
                "in a layer's files": int((h["where"] == "layer").sum()),
                "in config or history": int((h["where"] == "config").sum()),
            }
            for name, h in hits.items()
        }
    ).T
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.6 * len(where)))
    y = list(range(len(where)))
    in_files, in_config = where["in a layer's files"], where["in config or history"]
    ax.barh(y, in_files, color=BAD, label="in a layer's files (deleted ones included)")
    ax.barh(y, in_config, left=in_files, color=CAUTION, label="in the image config or history")
    for yi, total in zip(y, in_files + in_config, strict=True):
        if total == 0:
            ax.annotate(
                "none: clean",
                (0, yi),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                color=GOOD,
                fontweight="bold",
            )
    ax.set_yticks(y, where.index)
    ax.set_ylim(len(where) - 0.5, -0.5)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("places found")
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", alpha=0.35)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title)
    if caption:
        caption_below(fig, caption)
    return fig, where


__all__ = ["plot_search_hits"]
