"""Static binaries FROM scratch (notebook 04): which build runs on which base, charted.

The programs' ELF headers are read by :mod:`dockerlab.inspect.elf` (static or dynamic,
which loader); this lesson draws what the notebook measured with them.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap

from dockerlab.core.plotting import BAD_LIGHT, GOOD_LIGHT, caption_below


def plot_run_matrix(ran, loaders: dict[str, str | None], *, title: str = "", caption: str = ""):
    """A grid of which build ran on which base: green "runs", red "exec fails".

    Args:
        ran: A DataFrame of booleans, one row per build, one column per base image.
        loaders: Build -> the loader it asks for (PT_INTERP), None for a static build.
        title: The chart's title.
        caption: Where the numbers come from (under the chart).

    Returns:
        The matplotlib figure.
    """
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    ax.imshow(
        ran.astype(int).to_numpy(),
        cmap=ListedColormap([BAD_LIGHT, GOOD_LIGHT]),
        vmin=0,
        vmax=1,
        aspect="auto",
    )
    for i, build in enumerate(ran.index):
        for j, base in enumerate(ran.columns):
            text = "runs" if ran.loc[build, base] else "exec fails:\nno such file"
            ax.text(j, i, text, ha="center", va="center", fontsize=9)
    ax.set_xticks(range(len(ran.columns)), ran.columns)
    ax.set_yticks(
        range(len(ran.index)),
        [f"{b}\n({loaders.get(b) or 'no loader needed'})" for b in ran.index],
        fontsize=8,
    )
    ax.grid(False)
    ax.set_title(title)
    if caption:
        caption_below(fig, caption)
    return fig


__all__ = ["plot_run_matrix"]
