"""PID 1 lesson: parsing /proc/PID/stat and the workload's log; the variant table."""

import pytest

from dockerlab.core import downloads
from dockerlab.inspect import processes
from dockerlab.lessons import pid1

# Real lines as the kernel writes them (fields after ppid shortened).
SLEEP = "1 (sleep) S 0 1 1 0 -1 4194560 107 0 0 0 0 0 0 0 20 0 1 0"
ZOMBIE = "8 (sleep) Z 1 7 1 0 -1 4227148 62 0 0 0 0 0 0 0 20 0 1 0"


def test_a_plain_line_gives_pid_name_state_and_parent():
    p = processes.parse_stat_line(SLEEP)
    assert (p.pid, p.name, p.state, p.ppid) == (1, "sleep", "S", 0)
    assert not p.zombie and processes.parse_stat_line(ZOMBIE).zombie


@pytest.mark.parametrize(
    ("name", "state", "ppid"),
    [
        ("my worker", "S", 1),  # a space in the name
        ("a) Z (b", "R", 3),  # parentheses, and a fake state inside the name
        ("x)", "Z", 1),  # a closing parenthesis at the end of the name
        ("((()))", "Z", 12),
        ("", "S", 1),  # an empty name
    ],
)
def test_names_with_spaces_and_parentheses_are_read_to_the_last_parenthesis(name, state, ppid):
    line = f"42 ({name}) {state} {ppid} 42 42 0 -1 4194560 0 0 0\n"
    p = processes.parse_stat_line(line)
    assert (p.pid, p.name, p.state, p.ppid) == (42, name, state, ppid)


@pytest.mark.parametrize("line", ["", "hello", "12 sleep S 1", "12 (sleep)", "(x) S 1 2"])
def test_what_is_not_a_stat_line_is_refused(line):
    with pytest.raises(ValueError, match="stat line"):
        processes.parse_stat_line(line)


def test_the_reader_output_is_parsed_sorted_and_zombies_counted():
    text = "\n".join([ZOMBIE, SLEEP, "9 (a) Z (b) Z 1 1 1", "10 (sh) S 1 1 1", ""])
    procs = processes.parse_stat(text)
    assert [p.pid for p in procs] == [1, 8, 9, 10]
    assert procs[2].name == "a) Z (b" and procs[2].zombie
    assert processes.count_zombies(procs) == 2
    assert processes.count_zombies([]) == 0


def test_the_workload_log_becomes_a_table_and_other_lines_are_ignored():
    log = "tick 0 1 0 0\nsh: noise\ntick 100 5 0 4\ntick 200 5 3 5\ndone 5 3 5\n"
    df = pid1.parse_orphans_log(log)
    assert list(df.columns) == ["t", "forks_ok", "forks_failed", "zombies"]
    assert df["t"].tolist() == [0.0, 0.1, 0.2]
    assert df.iloc[-1].tolist() == [0.2, 5, 3, 5]
    assert pid1.parse_orphans_log("").empty


def test_variants_cover_no_init_and_each_init():
    v = pid1.VARIANTS
    assert list(v) == ["no init", "--init (tini)", "dumb-init", "reaping shell"]
    assert v["no init"].entrypoint is None and not v["no init"].init
    assert v["--init (tini)"].init
    assert v["dumb-init"].entrypoint[0] == "dumb-init"
    f = pid1.FORWARDING
    assert f["tini -g"].environment == {"TINI_KILL_PROCESS_GROUP": "1"}
    assert "--single-child" in f["dumb-init --single-child"].entrypoint


def test_an_unknown_variant_is_named_in_the_error():
    with pytest.raises(KeyError, match="unknown variant 'systemd'"):
        pid1._pick(["systemd"], pid1.VARIANTS)


def test_the_dumb_init_checksum_is_pinned():
    assert len(downloads.DUMB_INIT_SHA256) == 64 and int(downloads.DUMB_INIT_SHA256, 16)
