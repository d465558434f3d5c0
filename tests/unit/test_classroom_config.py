"""The classroom's JupyterHub configuration and budget parts that need no root (the set-up
itself, with real users and engines, is tests/integration/test_classroom.py)."""

import types

import pytest

from dockerlab import classroom
from dockerlab.errors import DockerlabError


def test_the_hub_configuration_runs_each_learner_as_themself_on_their_engine(tmp_path, monkeypatch):
    monkeypatch.setattr(classroom, "HOME", tmp_path)
    path = classroom.hub_config(["alice", "bob"], tmp_path / "venv")
    parts = {name: types.SimpleNamespace() for name in ("JupyterHub", "Authenticator", "Spawner")}

    def get_config():
        return types.SimpleNamespace(**parts)

    namespace = {"get_config": get_config}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # the file JupyterHub loads
    hub, spawner = parts["JupyterHub"], parts["Spawner"]
    assert hub.spawner_class == "jupyterhub.spawner.LocalProcessSpawner"  # servers as the users
    assert parts["Authenticator"].allowed_users == {"alice", "bob"}
    assert spawner.cmd == [str(tmp_path / "bin" / "in-budget"),
                           str(tmp_path / "venv" / "bin" / "jupyterhub-singleuser")]  # fmt: skip
    root = namespace["pwd"].getpwnam("root")
    fake = types.SimpleNamespace(user=types.SimpleNamespace(name="root"))
    assert spawner.environment["DOCKER_HOST"](fake) == f"unix:///run/user/{root.pw_uid}/docker.sock"
    assert spawner.environment["DOCKERLAB_LEARNER"](fake) == "root"


def test_a_learners_name_must_be_a_login():
    for bad in ("Alice", "../x", "a b", "", "x" * 40):
        with pytest.raises(DockerlabError, match="cannot be a learner's login"):
            classroom._user(bad)


def test_the_class_chart_has_a_row_per_learner_and_counts_what_each_passed():
    import pandas as pd

    table = pd.DataFrame({"alice": ["2026-12-02T10:00:00+00:00", "", ""],
                          "bob": ["", "", ""]},
                         index=["smaller: Q1 a", "smaller: Q2 b", "config: Q1 c"])  # fmt: skip
    fig = classroom.plot_progress(table)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["alice (1/3)", "bob (0/3)"]
