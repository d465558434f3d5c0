"""The classroom's JupyterHub configuration and budget parts that need no root (the set-up
itself, with real users and engines, is tests/integration/test_classroom.py)."""

import types
from pathlib import Path

import pytest

from dockerlab.classroom import learners as classroom
from dockerlab.classroom import view as class_view
from dockerlab.errors import DockerlabError


def test_the_hub_configuration_runs_each_learner_as_themself_on_their_engine(tmp_path, monkeypatch):
    monkeypatch.setattr(classroom, "HOME", tmp_path)
    path = classroom.hub_config(["alice", "bob"], tmp_path / "venv", "512m")
    parts = {name: types.SimpleNamespace()
             for name in ("JupyterHub", "Authenticator", "Spawner", "ClassSpawner",
                          "ConfigurableHTTPProxy")}  # fmt: skip

    def get_config():
        return types.SimpleNamespace(**parts)

    namespace = {"get_config": get_config}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # the file JupyterHub loads
    hub, spawner = parts["JupyterHub"], parts["Spawner"]
    assert hub.spawner_class == "dockerlab.classroom.spawner.ClassSpawner"  # servers as the users
    assert parts["ClassSpawner"].private_size == "512m"  # their own /tmp, in their budget
    assert parts["Authenticator"].allowed_users == {"alice", "bob"}
    # The hub's secrets and this file, in a folder only root may open.
    assert path.parent == tmp_path / "hub" and oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert hub.db_url == f"sqlite:///{tmp_path}/hub/jupyterhub.sqlite"
    assert Path(hub.cookie_secret_file).parent == tmp_path / "hub"
    assert Path(parts["ConfigurableHTTPProxy"].pid_file).parent == tmp_path / "hub"
    assert spawner.cmd == [str(tmp_path / "bin" / "in-budget"),
                           str(tmp_path / "venv" / "bin" / "jupyterhub-singleuser")]  # fmt: skip
    root = namespace["pwd"].getpwnam("root")
    fake = types.SimpleNamespace(user=types.SimpleNamespace(name="root"))
    assert spawner.environment["DOCKER_HOST"](fake) == f"unix:///run/user/{root.pw_uid}/docker.sock"
    assert spawner.environment["DOCKERLAB_LEARNER"](fake) == "root"


def test_setup_refuses_a_class_whose_disks_the_machines_free_space_cannot_hold(
    tmp_path, monkeypatch, capsys
):
    import shutil

    monkeypatch.setattr(classroom, "HOME", tmp_path / "class")
    fits = classroom.Budget(disk="1m", home="1m")
    classroom._check_disks(["alice", "bob"], fits)  # 2 MiB each: this machine has that
    shown = capsys.readouterr().out
    assert "0.0 GiB per learner" in shown and "GiB free" in shown
    free = shutil.disk_usage(tmp_path).free
    too_big = classroom.Budget(disk=str(free), home="1g")  # one learner: more than is free
    with pytest.raises(classroom.ClassroomError, match="0 learners of this budget fit"):
        classroom._check_disks(["alice"], too_big)
    assert not (tmp_path / "class").exists()  # refused before anything was made


def test_a_learners_name_must_be_a_login():
    for bad in ("Alice", "../x", "a b", "", "x" * 40):
        with pytest.raises(DockerlabError, match="cannot be a learner's login"):
            classroom._user(bad)


def test_the_class_view_shows_passed_not_yet_and_not_attempted_per_learner(tmp_path, monkeypatch):
    from dockerlab.exercises import course
    from dockerlab.exercises import progress_file as prog

    monkeypatch.setattr(classroom, "HOME", tmp_path)
    learners = [classroom.Learner(n, 1000, 1000, str(tmp_path / n)) for n in ("alice", "bob")]
    classroom.Class(learners=learners).save()
    q1, q2 = course.questions()[:2]
    monkeypatch.setenv(
        "DOCKERLAB_PROGRESS", str(tmp_path / "alice/.local/share/dockerlab/progress.json")
    )
    prog.record(q1.key, passed=False)  # alice's own checks write her file
    prog.record(q1.key, passed=True)
    prog.record(q2.key, passed=False)
    table = class_view.class_progress()
    first, second = q1.label, q2.label
    mine = "self-reported only: "  # no regrade yet: every cell is what her own file says
    assert table.loc[first, "alice"].startswith(mine + "passed ")
    assert "(2 tries)" in table.loc[first, "alice"]
    assert table.loc[second, "alice"].startswith(mine + "not yet (1 try, last ")
    assert (table["bob"] == mine + "not attempted").all()
    assert (table["alice"] == mine + "not attempted").sum() == len(table) - 2
    fig = class_view.plot_progress(table)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"alice (1/{len(table)})",
                                                             f"bob (0/{len(table)})"]  # fmt: skip
    grid = ax.images[0].get_array()
    assert list(grid[0][:3]) == [2, 1, 0] and set(grid[1]) == {0}  # passed, not yet, not tried
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "not attempted",
        "not yet",
        "passed",
    ]


def test_the_class_spawner_is_the_local_process_spawner_with_private_folders():
    from jupyterhub.spawner import LocalProcessSpawner

    from dockerlab.classroom.spawner import ClassSpawner

    assert issubclass(ClassSpawner, LocalProcessSpawner)  # each server as its learner


def test_a_class_folder_under_a_private_folder_is_refused(tmp_path):
    with pytest.raises(DockerlabError, match="under /var/tmp"):
        classroom._outside_private_folders(Path("/var/tmp/class"))
    classroom._outside_private_folders(Path("/srv/dockerlab-class"))  # fine
