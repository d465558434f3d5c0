"""Container lifecycle: diff, volumes and phase timings, on the real engine; nothing left behind."""

import time

import pytest

import dockerlab as dl
from dockerlab.lessons import lifecycle


def _ours(engine):
    flt = dl.labels.filter_for(dl.labels.SESSION_ID)
    return engine.containers.list(all=True, filters=flt) + engine.volumes.list(filters=flt)


def test_diff_lists_added_changed_and_deleted_paths(engine, bases):
    with dl.start(bases["alpine"], ["sleep", "30"]) as box:
        assert box.exec(["sh", "-c", "touch /new; echo x >> /etc/motd; rm /etc/issue"]).ok
        kinds = dict(zip(*lifecycle.changes(box)[["path", "letter"]].T.values, strict=True))
    assert kinds["/new"] == "A" and kinds["/etc/motd"] == "C" and kinds["/etc/issue"] == "D"
    assert not _ours(engine)


def test_a_volume_is_labelled_survives_its_containers_and_is_removed(engine, bases):
    with lifecycle.volume() as vol:
        mount = {vol.name: {"bind": "/data", "mode": "rw"}}
        assert dl.run(bases["alpine"], ["sh", "-c", "echo kept > /data/f"], volumes=mount).ok
        assert dl.run(bases["alpine"], ["cat", "/data/f"], volumes=mount).output == "kept\n"
        assert vol.labels[dl.labels.SESSION] == dl.labels.SESSION_ID
    assert not _ours(engine)


def test_a_volume_is_removed_even_when_the_block_fails(engine):
    with pytest.raises(RuntimeError), lifecycle.volume():
        raise RuntimeError("learner's mistake")
    assert not _ours(engine)


def test_phase_timings_time_every_phase_and_leave_nothing(engine, bases):
    df = lifecycle.phase_timings(bases["alpine"], n=3)
    assert len(df) == 12 and set(df["phase"]) == set(lifecycle.PHASES)
    assert (df["seconds"] > 0).all()
    assert (df["exit_code"] == 143).all()  # tini passed SIGTERM on: 128 + 15
    assert not _ours(engine)


def test_a_process_that_never_exits_is_killed_at_the_stop_timeout(engine, bases):
    ignore_term = ["sh", "-c", "trap '' TERM; while :; do sleep 1; done"]
    t0 = time.monotonic()
    df = lifecycle.phase_timings(bases["alpine"], n=1, command=ignore_term, stop_timeout=1)
    stop = df.loc[df["phase"] == "stop", "seconds"].item()
    assert 1 <= stop < 10 and df["exit_code"].eq(137).all()  # SIGKILL after the grace period
    assert time.monotonic() - t0 < 30
    assert not _ours(engine)


def test_a_fork_bomb_is_held_by_the_pids_limit_and_cleaned_up(engine, bases):
    bomb = ["sh", "-c", "bomb() { bomb | bomb & }; bomb; sleep 300"]
    df = lifecycle.phase_timings(bases["alpine"], n=1, command=bomb, pids=24, lifetime=1.0,
                                 stop_timeout=2)  # fmt: skip
    assert len(df) == 4 and df["seconds"].max() < 20
    assert not _ours(engine)
    # The engine is still fine: the bomb never got past its 24 processes.
    assert dl.run(bases["alpine"], ["true"]).ok


def test_a_command_that_cannot_start_fails_clearly_and_leaves_nothing(engine, bases):
    with pytest.raises(dl.DockerlabError, match="no such file"):
        lifecycle.phase_timings(bases["alpine"], n=1, command=["/no/such/program"], init=False)
    assert not _ours(engine)
