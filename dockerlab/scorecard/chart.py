"""Scorecards drawn side by side: one panel per measure, one bar per scorecard."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt

from dockerlab.core.plotting import ACCENT, BAD, CAUTION, GOOD
from dockerlab.scorecard.card import Scorecard

#: What the plot shows, per panel: (key, title). Lower is better in every one.
PLOTTED = [
    ("size_mb", "image size (MB, log)"),
    ("layers", "filesystem layers"),
    ("wasted_mb", "wasted (MB)"),
    ("packages", "OS packages"),
    ("hadolint", "hadolint warnings+errors"),
    ("secrets", "places holding the secret"),
    ("zombies", "zombies after running"),
    ("stop_s", "docker stop (s)"),
]
#: One colour per scorecard, in order: the first (the starting point) in the colour of bad
#: outcomes, the second (the improved one) in good's, then the course's and caution's.
CARD_COLORS = (BAD, GOOD, ACCENT, CAUTION)


def plot(cards: Mapping[str, Scorecard] | list[Scorecard], *, title: str | None = None):
    """Small multiples: one panel per measure, one bar per scorecard; lower is better.

    The uid of PID 1 is written in the title (root or not); a measure a card
    could not take is marked "not measured" where its bar would be.
    """
    items = list(cards.items() if isinstance(cards, Mapping) else [(c.label, c) for c in cards])
    fig, axes = plt.subplots(2, 4, figsize=(12.5, 6.8))
    names = [n for n, _ in items]
    colors = [CARD_COLORS[i % len(CARD_COLORS)] for i in range(len(items))]
    for ax, (key, panel) in zip(axes.flat, PLOTTED, strict=True):
        raw = [c.values.get(key) for _, c in items]
        values = [float(v or 0) for v in raw]
        bars = ax.bar(range(len(items)), values, color=colors)
        if key == "size_mb" and any(v > 0 for v in values):
            ax.set_yscale("log")
            ax.set_ylim(min(0.5, min(v for v in values if v > 0) / 3), max(values) * 4)
        else:
            ax.set_ylim(0, max(max(values) * 1.3, 1))
        ax.set_xticks(range(len(items)), names)
        labels = [
            "not measured" if r is None else (f"{v:.3g}" if v else "0")
            for r, v in zip(raw, values, strict=True)
        ]
        ax.bar_label(bars, labels=labels, fontsize=9, padding=2)
        ax.set_title(panel, fontsize=10)
    who = ", ".join(
        f"{n}: uid {c.values.get('uid')}" + (" (root)" if c.values.get("uid") == 0 else "")
        for n, c in items
    )
    fig.suptitle(
        title or f"Every practice, measured (lower is better). PID 1 runs as {who}",
        fontweight="bold",
    )
    return fig
