"""Scanning images (notebook 11): known vulnerabilities per image and severity, charted.

The findings and their counts come from :mod:`dockerlab.inspect.vulns`
(:func:`~dockerlab.inspect.vulns.severity_counts`); this lesson draws them.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from dockerlab.core.plotting import SEVERITY_COLORS, caption_below
from dockerlab.inspect.vulns import SEVERITIES


def severity_chart(counts: pd.DataFrame, *, title: str | None = None, caption: str | None = None):
    """Stacked bars: distinct vulnerabilities per image, by severity.

    Args:
        counts: What :func:`severity_counts` returns.
        title: Over the chart.
        caption: Under it (say where the data came from, and when).

    Returns:
        The matplotlib Figure.
    """
    fig, ax = plt.subplots(figsize=(1.6 * len(counts) + 3, 3.6))
    x = list(range(len(counts)))
    bottom = [0] * len(counts)
    for sev in SEVERITIES:
        values = counts[sev].tolist() if sev in counts else [0] * len(counts)
        if not any(values):
            continue
        ax.bar(x, values, bottom=bottom, color=SEVERITY_COLORS[sev], label=sev.lower())
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for i, total in enumerate(bottom):
        ax.annotate(
            str(total),
            (i, total),
            ha="center",
            va="bottom",
            fontsize=9,
            xytext=(0, 2),
            textcoords="offset points",
        )
    ax.set_xticks(x, [str(i) for i in counts.index], rotation=0)
    ax.set_ylabel("distinct vulnerabilities")
    ax.set_ylim(0, max([*bottom, 1]) * 1.15)
    if any(bottom):
        ax.legend(title="severity", loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    ax.set_title(title or "Known vulnerabilities per image")
    if caption:
        caption_below(fig, caption)
    return fig


__all__ = ["severity_chart"]
