"""The "init and zombies" checks, against right answers and several wrong ones."""

import pytest

from dockerlab.exercises import NOT_YET, PASSED
from dockerlab.exercises.init import q1, q2

pytestmark = pytest.mark.usefixtures("nothing_left")


def test_q1_the_solution_passes(bases):
    out = q1.check(q1.solution_text)
    assert out.status == PASSED, out.message
    assert "0 zombies" in out.message


def test_q2_the_solution_passes(bases):
    out = q2.check({"init": True})
    assert out.status == PASSED, out.message


def test_q1_no_init_leaves_zombies_and_stops_slowly(bases):
    out = q1.check(f'FROM {bases["alpine"]}\nCOPY app.sh /app.sh\nCMD ["/app.sh"]\n')
    assert out.status == NOT_YET
    assert "5 zombies" in out.message and "PID 1 ignores SIGTERM" in out.message


def test_q1_a_container_that_exits_is_not_the_app(bases):
    out = q1.check(f'FROM {bases["alpine"]}\nCMD ["true"]\n')
    assert out.status == NOT_YET and "exited by itself" in out.message


def test_q1_a_fork_bomb_is_contained(bases):
    out = q1.check(f'FROM {bases["alpine"]}\nCMD ["sh", "-c", "f() {{ f | f & }}; f; sleep 5"]\n')
    assert out.status == NOT_YET


def test_q2_no_options_is_not_yet(bases):
    out = q2.check({})
    assert out.status == NOT_YET and "5 zombies" in out.message


def test_q2_sigkill_stops_fast_but_leaves_zombies(bases):
    out = q2.check({"stop_signal": "SIGKILL"})
    assert out.status == NOT_YET
    assert "zombies" in out.message and "docker stop" not in out.message


def test_q2_unsafe_options_are_refused():
    out = q2.check({"init": True, "network": "host", "privileged": True})
    assert out.status == NOT_YET and "network, privileged" in out.message


def test_q2_not_a_dict():
    assert q2.check("init").status == NOT_YET
