"""The "pinning and linting" checks, against right answers and several wrong ones."""

import pytest

from dockerlab.exercises import NOT_YET, PASSED
from dockerlab.exercises.supply_chain import q1, q2

pytestmark = pytest.mark.usefixtures("nothing_left")


@pytest.mark.parametrize("q", [q1, q2])
def test_the_solution_passes(q, bases):
    out = q.check(q.solution_text)
    assert out.status == PASSED, out.message


def test_q1_starting_point_lists_its_findings():
    out = q1.check(q1.starting_point)
    assert out.status == NOT_YET
    for code in ("DL3007", "DL4000", "DL3020", "DL3003", "DL3025"):
        assert code in out.message


def test_q1_clean_but_different_is_not_yet(bases):
    out = q1.check(f'FROM {bases["alpine"]}\nCMD ["echo", "hi"]\n')
    assert out.status == NOT_YET and "does not do the same" in out.message


def test_q1_unparsable_dockerfile_is_not_yet():
    out = q1.check("FORM alpine\n")
    assert out.status == NOT_YET and "DL1000" in out.message


@pytest.mark.parametrize("base", ["alpine", "alpine:latest"])
def test_q2_unpinned(base):
    out = q2.check(f'FROM {base}\nCMD ["true"]\n')
    assert out.status == NOT_YET and base in out.message


def test_q2_pinned_but_big(bases):
    out = q2.check(
        f'FROM {bases["debian_slim"]}\nCOPY greeting.txt /\nCMD ["cat", "/greeting.txt"]\n'
    )
    assert out.status == NOT_YET and "the target is under 10 MB" in out.message
