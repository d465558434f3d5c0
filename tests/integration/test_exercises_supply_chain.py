"""The "pinning and linting" checks, against right answers and several wrong ones.

Among the wrong ones: answers that meet the targets (no hadolint finding, pinned,
small) without doing the task: findings silenced by ignore comments, a greeting
echoed instead of greeting.txt printed, a pin that an ARG turns into `latest`.
"""

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


def test_q1_findings_silenced_by_ignore_comments_still_count():
    out = q1.check(
        "# hadolint global ignore=DL3007,DL4000,DL3020,DL3003,DL3025\n" + q1.starting_point
    )
    assert out.status == NOT_YET and "ignore=` comments do not count" in out.message
    for code in ("DL3007", "DL4000", "DL3020", "DL3003", "DL3025"):
        assert code in out.message


def test_q1_an_echoed_greeting_is_not_greeting_txt(bases):
    """hadolint-clean, prints the greeting's usual words, size.txt typed in."""
    out = q1.check(
        f'FROM {bases["alpine"]}\nWORKDIR /srv\nRUN echo "22 greeting.txt" > size.txt\n'
        'CMD ["echo", "pinned, linted, small"]\n'
    )
    assert out.status == NOT_YET and "this time" in out.message


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


def test_q2_an_arg_that_says_latest_is_not_a_pin():
    out = q2.check(
        'ARG TAG=latest\nFROM alpine:${TAG}\nCOPY greeting.txt /\nCMD ["cat", "/greeting.txt"]\n'
    )
    assert out.status == NOT_YET and "Not pinned: alpine:latest" in out.message


def test_q2_an_echoed_greeting_is_not_greeting_txt(bases):
    out = q2.check(f'FROM {bases["alpine"]}\nCMD ["echo", "pinned, linted, small"]\n')
    assert out.status == NOT_YET and "instead of greeting.txt" in out.message


def test_q2_pinned_but_big(bases):
    out = q2.check(
        f'FROM {bases["debian_slim"]}\nCOPY greeting.txt /\nCMD ["cat", "/greeting.txt"]\n'
    )
    assert out.status == NOT_YET and "the target is under 10 MB" in out.message
