"""The ephemeral lesson's pure parts: docker diff and phase summaries (no engine)."""

import pandas as pd
import pytest

import dockerlab as dl
from dockerlab.lessons.lifecycle import parse_changes, summarize


def test_diff_kinds_become_words_and_letters_sorted_by_path():
    raw = [{"Path": "/etc/issue", "Kind": 2}, {"Path": "/etc", "Kind": 0},
           {"Path": "/etc/app.conf", "Kind": 1}]  # fmt: skip
    df = parse_changes(raw)
    assert df["path"].tolist() == ["/etc", "/etc/app.conf", "/etc/issue"]
    assert df["kind"].tolist() == ["changed", "added", "deleted"]
    assert df["letter"].tolist() == ["C", "A", "D"]


def test_no_changes_is_an_empty_table_with_columns():
    df = parse_changes(None)
    assert df.empty and list(df.columns) == ["path", "kind", "letter"]


def test_an_unknown_diff_kind_is_a_clear_error():
    with pytest.raises(dl.DockerlabError, match="Unknown docker diff kind"):
        parse_changes([{"Path": "/x", "Kind": 7}])


def test_summary_has_phases_in_life_order_and_a_replace_cycle():
    rows = []
    for container, scale in ((0, 1.0), (1, 2.0), (2, 3.0)):
        for phase, s in (("create", 0.01), ("start", 0.1), ("stop", 0.02), ("remove", 0.01)):
            rows.append({"container": container, "phase": phase, "seconds": s * scale,
                         "exit_code": 143})  # fmt: skip
    summary = summarize(pd.DataFrame(rows))
    assert summary.index.tolist() == ["create", "start", "stop", "remove", "replace"]
    assert summary.loc["start", "median_ms"] == 200.0
    assert summary.loc["replace", "min_ms"] == 140.0 and summary.loc["replace", "max_ms"] == 420.0
