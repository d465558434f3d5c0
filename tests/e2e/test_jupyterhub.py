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
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import audit_plugin
import pytest
import requests
from host_tools import debian_tool
from lab_page import RUN_DONE, notebook_json, outputs, run_all

import dockerlab as dl
from dockerlab.registry import free_port

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
    env = dict(os.environ, NODE_PATH="/usr/share/nodejs")  # where Debian keeps the proxy's modules
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    log = open(folder / "hub.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(Path(sys.executable).with_name("jupyterhub")), "-f",
                             str(folder / "jupyterhub_config.py")], cwd=folder, env=env,
                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/hub/api/", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (
                "JupyterHub did not start:\n" + (folder / "hub.log").read_text()[-3000:]
            )
            time.sleep(0.5)
        yield url, password
    finally:
        proc.terminate()  # the hub stops the learners' servers on its way out
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _log_in(browser, url: str, name: str, password: str):
    """A learner's own browser session: log in, wait for their server, open the notebook."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/hub/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"**/user/{name}/lab**", timeout=120_000)
    page.goto(f"{url}/user/{name}/lab/tree/{NOTEBOOK}?reset")
    return context, page


def test_two_learners_share_one_engine_through_jupyterhub(hub, browser, artifacts):
    url, password = hub
    sessions = {name: _log_in(browser, url, name, password) for name in LEARNERS}
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
