"""The "stack and static" checks, against right answers and several wrong ones.

Among the wrong ones: programs that exit cleanly, or print what recurse prints,
without recursing (the check asks for a depth of its own, and for an ELF program).
"""

import pytest

from dockerlab.exercises import NOT_YET, PASSED
from dockerlab.exercises.stack_static import q1, q2
from dockerlab.lessons import stack

pytestmark = pytest.mark.usefixtures("nothing_left")


@pytest.mark.parametrize("q", [q1, q2])
def test_the_solution_passes(q, bases):
    out = q.check(q.solution_text)
    assert out.status == PASSED, out.message
    assert q.passed


def test_q1_a_program_that_prints_the_example_depth_is_not_yet(bases):
    """It prints what `recurse 256 100` prints, for whatever it is asked."""
    fake = 'int main(void){puts("reached depth 100 with 256-byte frames; thread stack: 1 bytes");}'
    out = q1.check(
        f"FROM {bases['builder']} AS b\n"
        f"RUN echo '{fake}' > /f.c && musl-gcc -static -include stdio.h -o /recurse /f.c\n"
        'FROM scratch\nCOPY --from=b /recurse /recurse\nENTRYPOINT ["/recurse"]\n'
    )
    assert out.status == NOT_YET and "recurse.c prints 'reached depth" in out.message


def test_q1_dynamic_binary_from_scratch_does_not_run(bases):
    out = q1.check(f"FROM {bases['builder']} AS b\nCOPY recurse.c /r.c\n"
                   "RUN gcc -pthread -o /recurse /r.c\n"
                   'FROM scratch\nCOPY --from=b /recurse /recurse\nENTRYPOINT ["/recurse"]\n')  # fmt: skip
    assert out.status == NOT_YET
    assert "dynamic, interpreter /lib64/ld-linux" in out.message


def test_q1_static_binary_on_alpine_is_not_scratch(bases):
    out = q1.check(f"FROM {bases['builder']} AS b\nCOPY recurse.c /r.c\n"
                   "RUN musl-gcc -static -pthread -o /recurse /r.c\n"
                   f'FROM {bases["alpine"]}\nCOPY --from=b /recurse /recurse\nENTRYPOINT ["/recurse"]\n')  # fmt: skip
    assert out.status == NOT_YET and "not FROM scratch" in out.message


def test_q1_no_entrypoint(bases):
    out = q1.check(f"FROM {bases['alpine']}\n")
    assert out.status == NOT_YET and "no ENTRYPOINT" in out.message


def test_q2_a_program_that_exits_cleanly_without_recursing_is_not_yet(bases):
    """No SIGSEGV and exit 0: because it never recursed."""
    out = q2.check(
        f"FROM {bases['builder']} AS b\n"
        "RUN echo 'int main(void){return 0;}' > /t.c && musl-gcc -o /recurse /t.c\n"
        f"FROM {bases['alpine']}\nCOPY --from=b /recurse /usr/local/bin/recurse\n"
    )
    assert out.status == NOT_YET and "Is /usr/local/bin/recurse the program of" in out.message


def test_q2_a_script_named_recurse_is_not_the_program(bases):
    """A wrapper (here one that only prints) is not a program built to survive."""
    out = q2.check(
        f"FROM {bases['alpine']}\n"
        "RUN printf '#!/bin/sh\\necho reached depth 400 with 1024-byte frames; thread stack\\n' "
        "> /usr/local/bin/recurse && chmod +x /usr/local/bin/recurse\n"
    )
    assert out.status == NOT_YET and "is not a program (ELF)" in out.message


def test_q2_default_musl_thread_stack_overflows(bases):
    out = q2.check(stack.dockerfile("musl"))  # recurse linked with musl's defaults
    assert out.status == NOT_YET and "SIGSEGV" in out.message


def test_q2_glibc_binary_on_alpine_is_named(bases):
    out = q2.check(f"FROM {bases['builder']} AS b\nCOPY recurse.c /r.c\n"
                   "RUN gcc -pthread -o /recurse /r.c\n"
                   f"FROM {bases['alpine']}\nCOPY --from=b /recurse /usr/local/bin/recurse\n")  # fmt: skip
    assert out.status == NOT_YET and "glibc" in out.message


def test_q2_debian_is_not_alpine(bases):
    out = q2.check(stack.dockerfile("glibc"))
    assert out.status == NOT_YET and "must be Alpine" in out.message


def test_q2_a_build_that_fails_is_not_yet(bases):
    out = q2.check(f"FROM {bases['alpine']}\nRUN musl-gcc -o /x recurse.c\n")
    assert out.status == NOT_YET and "build failed" in out.message.lower()


#: A static program that prints what recurse.c prints, for the frame and depth it is given,
#: and a thread stack, without recursing (the shortcut class "prints without doing the work").
PRINTER = (
    "int main(int c, char **v){"
    'printf("reached depth %s with %s-byte frames; thread stack: 131072 bytes\\\\n", v[2], v[1]);}'
)


def _printer(bases, final: str) -> str:
    return (
        f"FROM {bases['builder']} AS b\n"
        f"RUN printf '%s' '{PRINTER}' > /f.c && musl-gcc -static -include stdio.h -o /recurse /f.c\n"
        + final
    )


def test_q1_a_program_that_prints_any_depth_without_recursing_is_not_yet(bases):
    out = q1.check(
        _printer(bases, 'FROM scratch\nCOPY --from=b /recurse /recurse\nENTRYPOINT ["/recurse"]\n')
    )
    assert out.status == NOT_YET, out.message
    assert "does it recurse?" in out.message and "dies of SIGSEGV (exit 139)" in out.message


def test_q2_a_program_that_prints_any_depth_without_recursing_is_not_yet(bases):
    out = q2.check(
        _printer(
            bases, f"FROM {bases['alpine']}\nCOPY --from=b /recurse /usr/local/bin/recurse\n"
        ).replace("-static ", "")
    )
    assert out.status == NOT_YET, out.message
    assert "does /usr/local/bin/recurse recurse?" in out.message and "SIGSEGV" in out.message
