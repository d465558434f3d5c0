"""The "layers and multi-stage" checks, against right answers and several wrong ones.

Among the wrong ones: answers that meet the targets (no waste, no compiler, small)
without doing the task (a checksum typed in, a report echoed).
"""

import hashlib

import pytest

from dockerlab.exercises import NOT_YET, PASSED
from dockerlab.exercises.layers import q1, q2

pytestmark = pytest.mark.usefixtures("nothing_left")


@pytest.mark.parametrize("q", [q1, q2])
def test_the_solution_passes(q, bases):
    out = q.check(q.solution_text)
    assert out.status == PASSED, out.message


def test_q1_starting_point_wastes_the_fixture(bases, monkeypatch):
    monkeypatch.setattr(q1, "fixture_kib", [5000])
    out = q1.check(q1.starting_point)
    assert out.status == NOT_YET
    assert "5.12 MB are wasted (/tmp/fixtures.bin" in out.message


def test_q1_a_checksum_typed_in_is_not_the_fixtures(bases):
    """No fixture, no waste, one layer: and no checksum of anything."""
    out = q1.check(f"FROM {bases['alpine']}\nRUN echo 0123456789abcdef > /checksum.txt\n")
    assert out.status == NOT_YET and "16 hex digits of the fixture's sha256" in out.message


def test_q1_the_default_fixtures_checksum_echoed_is_not_yet(bases, monkeypatch):
    """Issue 26's shortcut: the checksum the starting point writes by default, typed in.
    The check builds with a fixture size of its own, so the checksum is another."""
    default = hashlib.sha256(bytes(8192 << 10)).hexdigest()[:16]
    monkeypatch.setattr(q1, "fixture_kib", [6000])
    out = q1.check(f"FROM {bases['alpine']}\nRUN echo {default} > /checksum.txt\n")
    assert out.status == NOT_YET, out.message
    assert "FIXTURE_KIB=6000" in out.message and "its checksum" in out.message


def test_q1_keeping_the_fixture_is_not_yet(bases):
    out = q1.check(f"FROM {bases['alpine']}\nARG FIXTURE_KIB\nRUN dd if=/dev/zero of=/tmp/fixtures.bin bs=1K count=$FIXTURE_KIB"
                   " && sha256sum /tmp/fixtures.bin | cut -c1-16 > /checksum.txt\n")  # fmt: skip
    assert out.status == NOT_YET and "still in the final image" in out.message


def test_q1_no_checksum_is_not_yet(bases):
    out = q1.check(f"FROM {bases['alpine']}\nRUN echo hi > /checksum.txt\n")
    assert out.status == NOT_YET and "16 hex digits" in out.message


def test_q2_a_report_echoed_is_not_the_apps(bases):
    """Small, no compiler, and a line that looks like the report: not signed with the token."""
    out = q2.check(
        f"FROM {bases['alpine']}\n"
        'CMD ["echo", "report 1: 5 rows, total 1496.01 EUR, signature 00000000"]\n'
    )
    assert out.status == NOT_YET and "signed with that token" in out.message


def test_q2_starting_point_ships_gcc(bases):
    out = q2.check(q2.starting_point)
    assert out.status == NOT_YET and "gcc" in out.message


def test_q2_glibc_program_on_alpine_does_not_run(bases):
    out = q2.check(q2.solution_text.replace("musl-gcc", "gcc"))
    assert out.status == NOT_YET and "should print the ledger's report" in out.message


def test_q2_debian_final_stage_is_too_big(bases):
    out = q2.check(
        q2.solution_text.replace("musl-gcc", "gcc").replace(bases["alpine"], bases["debian_slim"])
    )
    assert out.status == NOT_YET and "the target is under 10 MB" in out.message
