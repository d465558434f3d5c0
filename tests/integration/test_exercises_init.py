"""The "init and zombies" checks, against right answers and several wrong ones.

Among the wrong ones: answers that meet the targets (0 zombies, a fast stop) by not
running the app at all, so that nothing forks; and programs that print the app's line
and fork children they wait for themselves, with no init (the check's own orphans and
its stop signal tell).
"""

import pytest

from dockerlab.exercises import NOT_YET, PASSED, init
from dockerlab.exercises.init import HEARTBEAT, STOP_SIGNALS, q1, q2

pytestmark = pytest.mark.usefixtures("nothing_left")

#: The solution's first stage: dumb-init, built from its source.
DUMB_INIT = q1.solution_text.split("FROM", 2)[1]


#: The shortcut of issue 26: print the app's line, fork children and wait for them (so
#: none is an orphan, and none is left a zombie), then sleep as the app does. Twelve, well
#: over the check's process count (its estimate varies by a few with `docker exec`), so
#: that what refuses it is the check's own orphans, not that count.
FAKE_APP = f"echo '{HEARTBEAT}'; for i in $(seq 12); do sleep 0.1 & done; wait; exec sleep 30"


@pytest.mark.parametrize("signal", STOP_SIGNALS)
def test_q1_the_solution_passes_whatever_signal_the_check_picks(signal, bases, monkeypatch):
    monkeypatch.setattr(init, "pick_stop_signal", lambda: signal)
    out = q1.check(q1.solution_text)
    assert out.status == PASSED, out.message
    assert "0 zombies" in out.message and f"with {signal}" in out.message


def test_q2_the_solution_passes(bases):
    out = q2.check({"init": True})
    assert out.status == PASSED, out.message
    assert "orphans the check made" in out.message


def test_q1_a_fake_app_that_waits_for_its_children_and_stops_on_sigkill(bases):
    """Its line, twelve children (none orphaned, so no zombie), STOPSIGNAL SIGKILL for a fast
    stop, and no init: the check's own orphans are left zombies, and its signal is ignored."""
    out = q1.check(
        f'FROM {bases["alpine"]}\nSTOPSIGNAL SIGKILL\nENTRYPOINT ["sh", "-c", "{FAKE_APP}"]\n'
    )
    assert out.status == NOT_YET, out.message
    assert "the check made itself: PID 1 does not reap" in out.message
    assert "the stop signal the check picked" in out.message


#: A shell as PID 1 that reaps (its `wait` reaps any child, the check's orphans too) and
#: exits on one signal with a code it chose, without an app that dies of the signal.
SHELL_PID1 = FAKE_APP.replace("exec sleep 30", "sleep 30 & wait $!")


@pytest.mark.parametrize(
    ("trap", "signal", "expected"),
    [
        # Exits 143 on SIGTERM, as an init would after the app died of it: stopped with SIGUSR1.
        ("exit 143' TERM", "SIGUSR1", "PID 1 ignores SIGUSR1, the stop signal the check picked"),
        # Ends on the check's signal, but says nothing of the app: exit 0.
        ("exit 0' HUP", "SIGHUP", "exited with code 0, not 129"),
    ],
)
def test_q1_a_shell_pid1_that_traps_a_signal_is_not_an_init(
    trap, signal, expected, bases, monkeypatch
):
    monkeypatch.setattr(init, "pick_stop_signal", lambda: signal)
    out = q1.check(
        f'FROM {bases["alpine"]}\nENTRYPOINT ["sh", "-c", "trap \'{trap}; {SHELL_PID1}"]\n'
    )
    assert out.status == NOT_YET, out.message
    assert expected in out.message


def test_q2_a_fake_app_as_entrypoint_with_sigkill_leaves_the_checks_orphans(bases):
    """The issue's shortcut at run time: it passed when the check took the app's word."""
    out = q2.check({"entrypoint": ["sh", "-c", FAKE_APP], "stop_signal": "SIGKILL"})
    assert out.status == NOT_YET, out.message
    assert "the check made itself: PID 1 does not reap" in out.message


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
    assert "zombies are left" in out.message and "PID 1 ignores SIG" in out.message


def test_q1_a_container_that_exits_is_not_the_app(bases):
    out = q1.check(f'FROM {bases["alpine"]}\nCMD ["true"]\n')
    assert out.status == NOT_YET and "exited by itself" in out.message


def test_q1_a_fork_bomb_is_contained(bases):
    out = q1.check(f'FROM {bases["alpine"]}\nCMD ["sh", "-c", "f() {{ f | f & }}; f; sleep 5"]\n')
    assert out.status == NOT_YET


def test_q2_no_options_is_not_yet(bases):
    out = q2.check({})
    assert out.status == NOT_YET and "zombies are left" in out.message


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
