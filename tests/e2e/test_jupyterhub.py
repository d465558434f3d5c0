"""A class on one engine: two learners on a real JupyterHub run the same notebook at once.

The hub (JupyterHub from PyPI, Debian's configurable-http-proxy) serves each
learner a JupyterLab of their own from the project's environment
(``SimpleLocalProcessSpawner``); both share the run's Docker engine, as on a
workshop server. Each learner logs in from their own browser session and runs
notebook 07 (containers, a volume, throwaway timings) at the same moment.
Checked: both run without an error, each learner's resources carry their own
session (named after ``JUPYTERHUB_USER``), and neither leaves anything behind.
"""

from __future__ import annotations

import secrets
import shutil
import sys
from pathlib import Path

import audit_plugin
import pytest
from hub_process import finished_notebook, log_in, proxy, running_hub, write_config
from lab_page import run_all

import dockerlab as dl

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "07-ephemeral-containers.ipynb"
LEARNERS = ("alice", "bob")
#: The test's own hub: every learner a local process of this machine's user, in a home
#: under the hub's folder, with this run's engine.
_SPAWNER = """
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{folder}/home/{{username}}"
c.Spawner.notebook_dir = "{folder}/home/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.environment = {environment!r}
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory, engine):
    """A JupyterHub on 127.0.0.1 whose learners share this run's engine; yields (url, password)."""
    proxy()  # skips the test where there is none
    folder = tmp_path_factory.mktemp("hub")
    for name in LEARNERS:  # each learner's home holds a copy of the notebook
        (folder / "home" / name).mkdir(parents=True)
        shutil.copy(ROOT / "notebooks" / NOTEBOOK, folder / "home" / name / NOTEBOOK)
    password = secrets.token_hex(8)
    environment = {  # the spawner passes on only these (and what the hub itself sets)
        "DOCKER_HOST": dl.engine.host(),
        "DOCKERLAB_PROGRESS": str(folder / "progress.json"),
    }
    singleuser = str(Path(sys.executable).with_name("jupyterhub-singleuser"))
    url = write_config(folder / "jupyterhub_config.py", password=password, lab_args=["--allow-root"],
                       then=_SPAWNER.format(folder=folder, singleuser=singleuser,
                                            environment=environment))  # fmt: skip
    jupyterhub = Path(sys.executable).with_name("jupyterhub")
    with running_hub(jupyterhub, folder / "jupyterhub_config.py", url, folder):
        yield url, password


def test_two_learners_share_one_engine_through_jupyterhub(hub, browser, artifacts):
    url, password = hub
    sessions = {name: log_in(browser, url, name, password, NOTEBOOK) for name in LEARNERS}
    try:
        for _, page in sessions.values():  # start both before waiting: they run at once
            run_all(page)
        for name, (_, page) in sessions.items():
            shown = finished_notebook(page, name, LEARNERS, artifacts / f"jupyterhub-{name}.png",
                                      timeout_ms=400_000)  # fmt: skip
            assert not audit_plugin.leaks(shown)
    finally:
        for context, _ in sessions.values():
            context.close()
    assert not _left_by_learners(), "the learners' notebooks left resources behind"


def _left_by_learners() -> list[str]:
    """Containers, images and volumes whose session belongs to one of the learners."""
    c, flt = dl.client(), dl.labels.filter_for(None)
    found = [*c.containers.list(all=True, filters=flt), *c.images.list(filters=flt),
             *c.volumes.list(filters=flt)]  # fmt: skip
    ours = tuple(f"{name}-" for name in LEARNERS)
    return [x.id for x in found
            if ((x.attrs.get("Labels") or x.attrs.get("Config", {}).get("Labels") or {})
                .get(dl.labels.SESSION, "").startswith(ours))]  # fmt: skip
