"""What a notebook does with a running demo container, without the SDK's object: top, wait,
exit code, restart, restart policy, copy-in, a detached exec; and the errors when it is gone."""

import pytest

import dockerlab as dl


def test_top_lists_the_containers_processes_by_column(engine, bases):
    with dl.start(bases["alpine"], ["sleep", "30"]) as box:
        assert box.exit_code is None  # running
        rows = box.top(("uid", "comm"))
        assert [row["comm"] for row in rows] == ["sleep"]
        assert set(rows[0]) == {"pid", "uid", "comm"} and rows[0]["pid"].isdigit()


def test_wait_returns_the_exit_code_and_kills_at_the_time_limit(engine, bases):
    with dl.start(bases["alpine"], ["sh", "-c", "exit 3"]) as box:
        assert box.wait(timeout=30) == 3 and box.exit_code == 3
    with dl.start(bases["alpine"], ["sleep", "60"]) as box:
        with pytest.raises(dl.ContainerTimeout, match="still ran after 1 s"):
            box.wait(timeout=1)
        assert box.exit_code == 137  # killed by the kit, removed at the block's end


def test_copy_in_writes_files_a_program_can_run(engine, bases):
    with dl.start(bases["alpine"], ["sleep", "30"]) as box:
        box.copy_in("/tmp", {"hello.sh": "#!/bin/sh\necho copied in\n"}, mode=0o755)
        assert box.exec(["/tmp/hello.sh"]).output == "copied in\n"
        with pytest.raises(dl.DockerlabError, match="relative"):
            box.copy_in("/tmp", {"../etc/passwd": b"x"})
        with pytest.raises(dl.DockerlabError, match="no folder /absent"):
            box.copy_in("/absent", {"x": b"x"})
    with (
        dl.start(bases["alpine"], ["sleep", "30"], read_only=True) as box,
        pytest.raises(dl.DockerlabError, match="could not copy x into /tmp"),
    ):
        box.copy_in("/tmp", {"x": b"x"})


def test_restart_and_restart_policy(engine, bases):
    with dl.start(bases["alpine"], ["sh", "-c", "echo started; sleep 30"]) as box:
        box.restart(timeout=0)
        assert box.status == "running" and box.logs().count("started") == 2
        with pytest.raises(dl.DockerlabError, match="one of no, always"):
            box.set_restart_policy("sometimes")
        box.set_restart_policy("on-failure", max_retries=2)
        assert box.inspect()["HostConfig"]["RestartPolicy"] == {
            "Name": "on-failure", "MaximumRetryCount": 2}  # fmt: skip


def test_exec_detached_does_not_wait(engine, bases):
    with dl.start(bases["alpine"], ["sleep", "30"]) as box:
        box.exec_detached(["sh", "-c", "sleep 2; echo done > /tmp/done"])
        assert box.exec(["cat", "/tmp/done"]).exit_code != 0  # not yet
        assert box.exec(["sh", "-c", "sleep 3; cat /tmp/done"]).output == "done\n"


def test_a_container_removed_from_outside_is_container_gone(engine, bases):
    box = dl.start(bases["alpine"], ["sleep", "30"])
    engine.containers.get(box.id).remove(force=True)
    for use in (box.top, box.wait, box.restart, lambda: box.copy_in("/", {"x": b"x"})):
        with pytest.raises(dl.ContainerGone):
            use()
