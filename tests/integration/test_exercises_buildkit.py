"""Every exercise check passes an answer written BuildKit's way: cache, bind, tmpfs and secret
mounts, heredocs and ``COPY --link`` (the last two where the engine's built-in frontend has
them: Docker 23+). The course teaches these; a check must never count them against the learner.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import dockerlab as dl
from dockerlab.exercises import PASSED, config, init, layers, smaller, stack_static, supply_chain
from dockerlab.exercises.question import Question
from dockerlab.lessons import stack

pytestmark = pytest.mark.usefixtures("nothing_left")
SYNTAX = "# syntax=docker/dockerfile:1\n"


def _heredoc(new: bool, prefix: str, script: str) -> str:
    """``RUN prefix`` with ``script`` as a heredoc where the frontend has them, else inline."""
    return f"RUN {prefix}<<EOF\nset -e\n{script}\nEOF\n" if new else f"RUN {prefix}{script}\n"


def _smaller_q1(b: dict, new: bool) -> str:
    """hello.c bind-mounted (not copied into a layer), a cache mount, a heredoc."""
    cc = "musl-gcc -static -Os -o /hello /src/hello.c && strip /hello"
    return (f"{SYNTAX}FROM {b['builder']} AS build\n"
            "RUN --mount=type=cache,target=/root/.cache true\n"
            + _heredoc(new, "--mount=type=bind,source=hello.c,target=/src/hello.c ", cc)
            + 'FROM scratch\nCOPY --from=build /hello /hello\nENTRYPOINT ["/hello"]\n')  # fmt: skip


def _stack_q1(b: dict, new: bool) -> str:
    """recurse.c bind-mounted, a cache mount, a heredoc."""
    cc = "musl-gcc -static -O0 -pthread -o /recurse /src/recurse.c"
    return (f"{SYNTAX}FROM {b['builder']} AS build\n"
            + _heredoc(new, "--mount=type=bind,source=recurse.c,target=/src/recurse.c "
                            "--mount=type=cache,target=/root/.cache ", cc)
            + 'FROM scratch\nCOPY --from=build /recurse /recurse\nENTRYPOINT ["/recurse"]\n')  # fmt: skip


def _stack_q2(b: dict, new: bool) -> str:
    return (f"{SYNTAX}FROM {b['builder']} AS build\n"
            "RUN --mount=type=bind,source=recurse.c,target=/src/recurse.c \\\n"
            f"    musl-gcc {stack.CFLAGS} -Wl,-z,stack-size=1048576 -o /recurse /src/recurse.c\n"
            f"FROM {b['alpine']}\nCOPY --from=build /recurse /usr/local/bin/recurse\n")  # fmt: skip


def _init_q1(b: dict, new: bool) -> str:
    """A bind mount of the source (no layer holds it), a cache mount, a heredoc."""
    return (f"{SYNTAX}FROM {b['builder']} AS build\nWORKDIR /src\n"
            "RUN --mount=type=bind,source=dumb-init.tar.gz,target=/tmp/dumb-init.tar.gz \\\n"
            "    tar xzf /tmp/dumb-init.tar.gz --strip-components=1\n"
            + _heredoc(new, "--mount=type=cache,target=/root/.cache ",
                       "musl-gcc -static -Os -o /dumb-init dumb-init.c")
            + f"FROM {b['alpine']}\nCOPY --from=build /dumb-init /usr/local/bin/dumb-init\n"
            'COPY app.sh /app.sh\nENTRYPOINT ["dumb-init", "--"]\nCMD ["/app.sh"]\n')  # fmt: skip


def _layers_q1(b: dict, new: bool) -> str:
    """The fixture in a tmpfs mount, so no layer ever holds it (no rm)."""
    return (f"{SYNTAX}FROM {b['alpine']}\nARG FIXTURE_KIB\nRUN --mount=type=tmpfs,target=/tmp \\\n"
            "    dd if=/dev/zero of=/tmp/fixtures.bin bs=1K count=$FIXTURE_KIB \\\n"
            " && sha256sum /tmp/fixtures.bin | cut -c1-16 > /checksum.txt\n")  # fmt: skip


def _layers_q2(b: dict, new: bool) -> str:
    """ledger.c bind-mounted, a cache mount, COPY --link."""
    link = " --link" if new else ""
    return (f"{SYNTAX}FROM {b['builder']} AS build\n"
            "RUN --mount=type=bind,source=ledger.c,target=/src/ledger.c \\\n"
            "    --mount=type=cache,target=/root/.cache \\\n"
            "    musl-gcc -O2 -o /ledger /src/ledger.c\n"
            f"FROM {b['alpine']}\nCOPY{link} --from=build /ledger /usr/local/bin/ledger\n"
            f'COPY{link} ledger.csv /app/\nCMD ["ledger", "--once", "/app/ledger.csv"]\n')  # fmt: skip


def _config_q1(b: dict, new: bool) -> str:
    """What notebook 09 teaches: a build step may use the token through a secret mount."""
    return (f"{SYNTAX}FROM {b['alpine']}\n"
            "RUN --mount=type=secret,id=api_token,required=true --mount=type=cache,target=/cache \\\n"
            "    test -s /run/secrets/api_token && date > /cache/last-build && echo ok > /fetched\n"
            "COPY app.sh /app.sh\n"
            + ("RUN <<EOF\necho built with a heredoc > /built.txt\nEOF\n" if new else "")
            + 'CMD ["/app.sh"]\n')  # fmt: skip


def _config_q2(b: dict, new: bool) -> str:
    return (f"{SYNTAX}FROM {b['alpine']}\nRUN --mount=type=cache,target=/var/cache/apk \\\n"
            "    adduser -D -u 10001 app && mkdir /data && chown app /data\n"
            'COPY --chown=10001 app.sh /app.sh\nUSER 10001\nCMD ["/app.sh"]\n')  # fmt: skip


def _supply_q1(b: dict, new: bool) -> str:
    """A cache mount and a heredoc: hadolint reads both (the kit works around its heredoc
    parsing bug)."""
    count = ("RUN --mount=type=cache,target=/tmp/cache <<EOF\nwc -c greeting.txt > size.txt\nEOF\n"
             if new else "RUN --mount=type=cache,target=/tmp/cache wc -c greeting.txt > size.txt\n")  # fmt: skip
    return (f"{SYNTAX}FROM {b['alpine']}\nWORKDIR /srv\n"
            f'COPY greeting.txt .\n{count}CMD ["cat", "/srv/greeting.txt"]\n')  # fmt: skip


def _supply_q2(b: dict, new: bool) -> str:
    link = " --link" if new else ""
    return f'{SYNTAX}FROM {b["alpine"]}\nCOPY{link} greeting.txt /\nCMD ["cat", "/greeting.txt"]\n'


ANSWERS: dict[str, tuple[Question, Callable[[dict, bool], str]]] = {
    "smaller q1": (smaller.q1, _smaller_q1),
    "stack_static q1": (stack_static.q1, _stack_q1),
    "stack_static q2": (stack_static.q2, _stack_q2),
    "init q1": (init.q1, _init_q1),
    "layers q1": (layers.q1, _layers_q1),
    "layers q2": (layers.q2, _layers_q2),
    "config q1": (config.q1, _config_q1),
    "config q2": (config.q2, _config_q2),
    "supply_chain q1": (supply_chain.q1, _supply_q1),
    "supply_chain q2": (supply_chain.q2, _supply_q2),
}


@pytest.mark.parametrize("answer", ANSWERS)
def test_a_buildkit_answer_passes(answer, bases):
    question, dockerfile = ANSWERS[answer]
    out = question.check(dockerfile(bases, dl.engine_info().major >= 23))
    assert out.status == PASSED, out.message
