"""Demo containers: limits, no network, timeouts, and removal, on the real engine."""

import pytest

import dockerlab as dl


def test_run_returns_output_and_exit_code_and_removes_the_container(engine, bases):
    result = dl.run(bases["alpine"], ["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert result.exit_code == 7 and not result.ok
    assert "out" in result.output and "err" in result.output
    assert not engine.containers.list(all=True, filters=dl.labels.filter_for(dl.labels.SESSION_ID))


def test_demo_containers_have_no_network_and_no_capabilities(engine, bases):
    with dl.start(bases["alpine"], ["sleep", "30"]) as box:
        attrs = box.reload().container.attrs
        host = attrs["HostConfig"]
        assert host["NetworkMode"] == "none"
        assert host["CapDrop"] == ["ALL"]
        assert "no-new-privileges" in host["SecurityOpt"]
        assert host["PidsLimit"] > 0 and host["Memory"] > 0
        ifaces = box.exec(["ls", "/sys/class/net"]).output.split()
        assert ifaces == ["lo"]
        assert "CapEff:\t0000000000000000" in box.exec(["cat", "/proc/self/status"]).output


def test_private_network_modes_are_refused(engine, bases):
    with pytest.raises(dl.DockerlabError, match="no network"):
        dl.run(bases["alpine"], "true", network="bridge")


def test_an_endless_loop_is_killed_at_the_time_limit(engine, bases):
    with pytest.raises(dl.ContainerTimeout):
        dl.run(bases["alpine"], ["sh", "-c", "while :; do :; done"], timeout=2)
    result = dl.run(bases["alpine"], ["sleep", "60"], timeout=1, raise_on_timeout=False)
    assert result.timed_out and result.exit_code == 137
    assert not engine.containers.list(all=True, filters=dl.labels.filter_for(dl.labels.SESSION_ID))


def test_a_fork_bomb_hits_the_pids_limit(engine, bases):
    bomb = "bomb() { bomb | bomb & }; bomb; sleep 2; ls /proc | grep -c '^[0-9]'"
    result = dl.run(
        bases["alpine"], ["sh", "-c", bomb], pids=32, timeout=20, raise_on_timeout=False
    )
    assert "can't fork" in result.output or "Resource temporarily unavailable" in result.output


def test_memory_hog_is_oom_killed(engine, bases):
    hog = "x=$(head -c 200000000 /dev/zero | tr '\\0' x); echo ${#x}"
    result = dl.run(bases["alpine"], ["sh", "-c", hog], memory="32m", timeout=60,
                    raise_on_timeout=False)  # fmt: skip
    assert result.oom_killed and result.exit_code == 137


def test_missing_image_is_a_clear_error_not_a_pull(engine):
    with pytest.raises(dl.ImageNotFound, match="not on this engine"):
        dl.run("dockerlab/absent:1", "true")
