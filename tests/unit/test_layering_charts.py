"""Notebook 08's charts (:mod:`dockerlab.lessons.layering`), drawn from an analysis of a
`docker save` tar the layer analyser's tests build (no engine)."""

from __future__ import annotations

import matplotlib
import pandas as pd
from test_layers_parsing import HISTORY, TARS, legacy_save

from dockerlab.inspect.layers import analyse
from dockerlab.lessons import layering

matplotlib.use("Agg")


def test_plot_has_one_panel_per_image():
    a = analyse(legacy_save(TARS, HISTORY))
    fig = layering.plot_layers({"one": a, "two": a}, title="t", caption="c")
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2


def test_plot_names_each_layer_by_its_instruction_cut_to_width():
    a = analyse(legacy_save(TARS, HISTORY))
    fig = layering.plot_layers(a, width=20)
    names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(names) == len(a.layers)
    assert names[1] == "1: RUN dd if=/dev/z…"  # 20 characters, the last an ellipsis
    assert all(len(n) <= 20 for n in names)


def test_rebuilds_chart_draws_each_order_and_each_rebuild():
    rebuilds = pd.DataFrame({"order": ["good", "good", "bad", "bad"], "seconds": [1.0, 3.0, 5.0, 7.0],
                             "cache hits": [4, 4, 1, 1]})  # fmt: skip
    fig = layering.plot_rebuilds(rebuilds, better="good", title="t", caption="c")
    times, hits = fig.axes[0], fig.axes[1]
    assert [b.get_height() for b in times.patches] == [2.0, 6.0]  # medians
    assert [b.get_height() for b in hits.patches] == [4, 1]
    assert len(times.collections[0].get_offsets()) + len(times.collections[1].get_offsets()) == 4
