"""The init exercise's stop signals: each picked one has a number, as docker names it."""

import pytest

from dockerlab.exercises.init import STOP_SIGNALS, pick_stop_signal, signal_number


@pytest.mark.parametrize(
    ("name", "number"),
    [("SIGTERM", 15), ("TERM", 15), ("sigusr1", 10), ("9", 9), ("SIGKILL", 9), ("NOPE", None)],
)
def test_signal_number_reads_docker_s_spellings(name, number):
    assert signal_number(name) == number


def test_every_stop_signal_the_check_picks_has_a_number():
    assert all(signal_number(s) for s in STOP_SIGNALS)
    assert pick_stop_signal() in STOP_SIGNALS
