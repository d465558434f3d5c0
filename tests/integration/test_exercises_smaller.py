"""The "smaller images" checks, against right answers and several wrong ones.

After learntools: a check must pass the right answer, and tell each wrong one
apart with a message that says what was measured. None of them may raise or
leave anything behind. Among the wrong ones: answers that meet the target (the
size, the pin) without doing the task (another program that prints the greeting
only, an image that prints nothing).
"""

import re

import pytest

from dockerlab.exercises import NOT_YET, PASSED
from dockerlab.exercises.smaller import q1, q2, q3

pytestmark = pytest.mark.usefixtures("nothing_left")


@pytest.mark.parametrize("q", [q1, q2, q3])
def test_the_solution_passes(q, bases):
    assert q.check(q.solution_text).status == PASSED
    assert q.passed


def test_q1_too_big_reports_the_measured_size(bases):
    out = q1.check(
        f'FROM {bases["builder"]}\nCOPY hello.c /h.c\nRUN gcc -o /hello /h.c\nENTRYPOINT ["/hello"]\n'
    )
    assert out.status == NOT_YET and "MB; the target is under 1 MB" in out.message


def test_q1_another_program_that_prints_the_greeting_is_not_yet(bases):
    """Tiny, and it prints the greeting: but it is not hello.c, which lists / next."""
    out = q1.check(
        f"FROM {bases['builder']} AS b\n"
        "RUN echo 'int main(void){puts(\"hello from a static binary\");return 0;}' > /h.c "
        "&& musl-gcc -static -include stdio.h -o /hello /h.c\n"
        'FROM scratch\nCOPY --from=b /hello /hello\nENTRYPOINT ["/hello"]\n'
    )
    assert out.status == NOT_YET and "Ship the program of hello.c" in out.message


def test_q1_dynamic_binary_from_scratch_does_not_run(bases):
    dockerfile = (f"FROM {bases['builder']} AS b\nCOPY hello.c /h.c\nRUN gcc -o /hello /h.c\n"
                  "FROM scratch\nCOPY --from=b /hello /hello\nENTRYPOINT [\"/hello\"]\n")  # fmt: skip
    out = q1.check(dockerfile)
    assert out.status == NOT_YET
    assert "no such file or directory" in out.message.lower()


def test_q1_syntax_error_and_failing_build_are_not_yet(bases):
    assert "unknown instruction" in q1.check("FORM scratch\n").message.lower()
    failing = q1.check(f"FROM {bases['alpine']}\nRUN exit 4\n")
    assert failing.status == NOT_YET and re.search(r"(non-zero code|exit code): 4", failing.message)


def test_q1_a_build_that_never_ends_is_stopped(bases, monkeypatch):
    monkeypatch.setattr(q1, "timeout", 5)
    out = q1.check(f"FROM {bases['alpine']}\nRUN sleep 600\n")
    assert out.status == NOT_YET and "too long" in out.message


@pytest.mark.parametrize("base", ["alpine", "alpine:latest", "docker.io/library/alpine"])
def test_q2_unpinned_bases_are_named(base):
    out = q2.check(f'FROM {base}\nCMD ["true"]\n')
    assert out.status == NOT_YET and base in out.message


def test_q2_an_arg_that_says_latest_is_not_a_pin():
    out = q2.check('ARG TAG=latest\nFROM alpine:${TAG}\nCMD ["cat", "/etc/alpine-release"]\n')
    assert out.status == NOT_YET and "Not pinned: alpine:latest" in out.message


def test_q2_pinned_but_printing_nothing_is_not_yet(bases):
    """Pinned, and it runs cleanly: but it does not print the release, the task."""
    out = q2.check(f'FROM {bases["alpine"]}\nCMD ["true"]\n')
    assert out.status == NOT_YET and "it should print the Alpine release" in out.message


def test_q2_pinned_but_not_alpine_is_not_yet(bases):
    out = q2.check(f'FROM {bases["debian_slim"]}\nCMD ["cat", "/etc/debian_version"]\n')
    assert out.status == NOT_YET and "not Alpine" in out.message


def test_q2_stage_names_are_not_bases(bases):
    dockerfile = (
        f'FROM {bases["alpine"]} AS first\nFROM first\nCMD ["cat", "/etc/alpine-release"]\n'
    )
    assert q2.check(dockerfile).status == PASSED


def test_q3_five_layers_is_not_yet(bases):
    out = q3.check(q3.starting_point)
    assert out.status == NOT_YET and "5 layers" in out.message


def test_q3_one_layer_with_the_wrong_result_is_not_yet(bases):
    out = q3.check(f"FROM {bases['alpine']}\nRUN mkdir /app && echo one > /app/one.txt\n")
    assert out.status == NOT_YET and "same result" in out.message


def test_q2_a_command_that_prints_the_release_it_knows_is_not_yet(bases):
    """The image prints its base's release without reading /etc/alpine-release."""
    import dockerlab as dl

    release = dl.run(bases["alpine"], ["cat", "/etc/alpine-release"]).output.strip()
    out = q2.check(f'FROM {bases["alpine"]}\nCMD ["echo", "{release}"]\n')
    assert out.status == NOT_YET, out.message
    assert "the check wrote" in out.message and "-check." in out.message


def test_q3_an_entrypoint_that_prints_the_expected_listing_is_not_yet(bases):
    """One layer, no /app: an ENTRYPOINT prints what the check's probe would print."""
    script = "#!/bin/sh\\nprintf 'app /app/one.txt\\\\napp /app/two.txt\\\\none\\\\ntwo\\\\n'\\n"
    fake = f'FROM {bases["alpine"]}\nRUN printf "{script}" > /fake && chmod +x /fake\n'
    out = q3.check(fake + 'ENTRYPOINT ["/fake"]\n')
    assert out.status == NOT_YET and "does not hold the same result" in out.message
