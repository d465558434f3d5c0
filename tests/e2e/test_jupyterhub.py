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

import json
import secrets
import shutil
import sys
from pathlib import Path

import audit_plugin
import pytest
from host_tools import debian_tool
from hub_process import log_in, running_hub
from lab_page import RUN_DONE, notebook_json, outputs, run_all

import dockerlab as dl
from dockerlab.registry_server import free_port

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "07-ephemeral-containers.ipynb"
LEARNERS = ("alice", "bob")
CHP_PACKAGE = "node-configurable-http-proxy"  # Debian's build of JupyterHub's proxy


def _proxy() -> str:
    """Debian's configurable-http-proxy, installed with apt-get if missing (root only)."""
    path = debian_tool("configurable-http-proxy", CHP_PACKAGE)
    if path is None:
        pytest.skip(f"JupyterHub's proxy is missing: `sudo apt-get install {CHP_PACKAGE}`")
    return path


_CONFIG = """
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = "sqlite:///{folder}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{folder}/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{folder}/home/{{username}}"
c.Spawner.notebook_dir = "{folder}/home/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ["--allow-root", "--LabApp.expose_app_in_browser=True",
                  "--LabApp.news_url=None",
                  "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.environment = {environment!r}
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory, engine):
    """A JupyterHub on 127.0.0.1 whose learners share this run's engine; yields (url, password)."""
    proxy = _proxy()
    folder = tmp_path_factory.mktemp("hub")
    for name in LEARNERS:  # each learner's home holds a copy of the notebook
        (folder / "home" / name).mkdir(parents=True)
        shutil.copy(ROOT / "notebooks" / NOTEBOOK, folder / "home" / name / NOTEBOOK)
    port, password = free_port(), secrets.token_hex(8)
    environment = {  # the spawner passes on only these (and what the hub itself sets)
        "DOCKER_HOST": dl.engine.host(),
        "DOCKERLAB_PROGRESS": str(folder / "progress.json"),
    }
    (folder / "jupyterhub_config.py").write_text(_CONFIG.format(
        port=port, hub_port=free_port(), proxy_port=free_port(), proxy=proxy, folder=folder,
        password=password, singleuser=str(Path(sys.executable).with_name("jupyterhub-singleuser")),
        environment=environment))  # fmt: skip
    url = f"http://127.0.0.1:{port}"
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
            page.wait_for_function(RUN_DONE, timeout=400_000, polling=1000)
            nb = notebook_json(page)
            page.screenshot(path=str(artifacts / f"jupyterhub-{name}.png"))
            errors = [f"{o['ename']}: {o['evalue']}" for o in outputs(nb, "error")]
            assert not errors, f"{name} sees errors: {errors}"
            shown = json.dumps(outputs(nb))
            assert not audit_plugin.leaks(shown)
            # The notebook prints its volume's labels: the session is the learner's own.
            other = next(n for n in LEARNERS if n != name)
            assert f"'{dl.labels.SESSION}': '{name}-" in shown, f"no {name}- session in the output"
            assert f"'{dl.labels.SESSION}': '{other}-" not in shown
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
