"""Notebook 09's chart (:mod:`dockerlab.lessons.configuration`): where each image holds a secret,
from tables shaped as :func:`dockerlab.inspect.layers.search` returns them (no engine)."""

from __future__ import annotations

import matplotlib
import pandas as pd

from dockerlab.lessons import configuration

matplotlib.use("Agg")


def test_search_hits_chart_counts_places_by_kind():
    leaky = pd.DataFrame({"where": ["layer", "layer", "config"], "layer": [1, 2, None],
                          "instruction": ["", "", ""], "path": ["/a", "/b", "config.Env[0]"]})  # fmt: skip
    clean = leaky.iloc[0:0]
    fig, where = configuration.plot_search_hits(
        {"leaky": leaky, "clean": clean}, title="t", caption="c"
    )
    assert where.to_dict("index") == {
        "leaky": {"in a layer's files": 2, "in config or history": 1},
        "clean": {"in a layer's files": 0, "in config or history": 0},
    }
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["none: clean"]  # only the clean image is marked clean
