"""The scorecard's pure logic: bases, pinning, the table."""

import pandas as pd

from dockerlab import scorecard


def test_parse_bases_skips_stages_scratch_and_flags():
    text = ("FROM --platform=linux/amd64 dockerlab/builder AS build\nRUN true\n"
            "FROM build AS again\nFROM scratch\nFROM alpine:3.23\n")  # fmt: skip
    assert scorecard.parse_bases(text) == ["dockerlab/builder", "alpine:3.23"]


def test_unpinned():
    assert scorecard.unpinned("debian") and scorecard.unpinned("debian:latest")
    assert scorecard.unpinned("localhost:5000/app")  # a registry port is not a tag
    assert not scorecard.unpinned("debian:bookworm")
    assert not scorecard.unpinned("alpine@sha256:" + "0" * 64)


def test_table_marks_targets_and_unmeasured_values():
    values = {"size_mb": 5.0, "layers": 9, "uid": None}
    card = scorecard.Scorecard("x", "FROM scratch\n", values, pd.DataFrame(), pd.DataFrame())
    t = card.table()
    assert t.loc["image size", "ok"] == "✓" and t.loc["filesystem layers", "ok"] == "✗"
    assert t.loc["uid of PID 1", "value"] == "not measured"
    assert card.passed == ["size_mb"]
    assert "1/12 targets met" in str(card)
