"""The "init and zombies" checks, against right answers and several wrong ones.

Among the wrong ones: answers that meet the targets (0 zombies, a fast stop) by not
running the app at all, so that nothing forks.
"""

import pytest

from dockerlab.exercises import NOT_YET, PASSED
from dockerlab.exercises.init import HEARTBEAT, q1, q2

pytestmark = pytest.mark.usefixtures("nothing_left")

#: The solution's first stage: dumb-init, built from its source.
DUMB_INIT = q1.solution_text.split("FROM", 2)[1]


def test_q1_the_solution_passes(bases):
    out = q1.check(q1.solution_text)
    assert out.status == PASSED, out.message
    assert "0 zombies" in out.message


def test_q2_the_solution_passes(bases):
    out = q2.check({"init": True})
    assert out.status == PASSED, out.message


def test_q1_an_app_rewritten_to_sleep_is_not_the_app(bases):
    """The issue's shortcut: /app.sh became a plain sleep, so nothing forks."""
    out = q1.check(
        f"FROM{DUMB_INIT}"
        f"FROM {bases['alpine']}\n"
        "COPY --from=build /dumb-init /usr/local/bin/dumb-init\n"
        "RUN printf '#!/bin/sh\\nexec sleep 30\\n' > /app.sh && chmod +x /app.sh\n"
        'ENTRYPOINT ["dumb-init", "--"]\nCMD ["/app.sh"]\n'
    )
    assert out.status == NOT_YET and "The app did not run" in out.message


def test_q1_an_app_that_only_says_it_forked_is_not_the_app(bases):
    """Its line is there, but no orphan ever was: the process count tells."""
    out = q1.check(
        f"FROM{DUMB_INIT}"
        f"FROM {bases['alpine']}\n"
        "COPY --from=build /dumb-init /usr/local/bin/dumb-init\n"
        f"RUN printf '#!/bin/sh\\necho \"{HEARTBEAT}\"\\nexec sleep 30\\n' > /app.sh "
        "&& chmod +x /app.sh\n"
        'ENTRYPOINT ["dumb-init", "--"]\nCMD ["/app.sh"]\n'
    )
    assert out.status == NOT_YET and "orphans never existed" in out.message


def test_q1_the_app_copied_but_another_command_run(bases):
    out = q1.check(q1.solution_text.replace('CMD ["/app.sh"]', 'CMD ["sleep", "30"]'))
    assert out.status == NOT_YET and "The app did not run" in out.message


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


def test_q2_an_entrypoint_that_replaces_the_app_is_not_yet(bases):
    """The issue's shortcut: with the app replaced, there is nothing to reap."""
    out = q2.check({"init": True, "entrypoint": ["sleep", "30"]})
    assert out.status == NOT_YET and "The app did not run" in out.message
    assert "entrypoint" in out.message


def test_q2_an_entrypoint_that_fakes_the_apps_line_is_not_yet(bases):
    out = q2.check({"init": True, "entrypoint": ["sh", "-c", f"echo '{HEARTBEAT}'; exec sleep 30"]})
    assert out.status == NOT_YET and "orphans never existed" in out.message


def test_q2_unsafe_options_are_refused():
    out = q2.check({"init": True, "network": "host", "privileged": True})
    assert out.status == NOT_YET and "network, privileged" in out.message


def test_q2_not_a_dict():
    assert q2.check("init").status == NOT_YET
