"""A JupyterHub for the browser tests: its config, its process started and stopped, a learner
logged in."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from host_tools import debian_tool
from lab_page import RUN_DONE, notebook_json, outputs
from servers import LAB_ARGS, serving

import dockerlab as dl
from dockerlab.registry.server import free_port

CHP_PACKAGE = "node-configurable-http-proxy"  # Debian's build of JupyterHub's proxy


def proxy() -> str:
    """Debian's configurable-http-proxy, installed with apt-get if missing (root only);
    the test is skipped where it cannot be had."""
    path = debian_tool("configurable-http-proxy", CHP_PACKAGE)
    if path is None:
        pytest.skip(f"JupyterHub's proxy is missing: `sudo apt-get install {CHP_PACKAGE}`")
    return path


def write_config(path: Path, *, password: str, first: str = "", then: str = "",
                 lab_args: Sequence[str] = ()) -> str:  # fmt: skip
    """Write a test hub's config to ``path``, and return the hub's address.

    What every test hub has: the hub, its API and Debian's proxy on free ports of
    127.0.0.1, its database and cookie secret beside the config, the dummy
    authenticator with ``password``, and :data:`LAB_ARGS` for each learner's JupyterLab.

    Args:
        path: The config file; the hub's files go in its folder.
        password: Every learner's password.
        first: Config lines before those (``load_subconfig(...)`` of a generated config).
        then: The test's own config lines, after those (its spawner...).
        lab_args: JupyterLab options before :data:`LAB_ARGS` (``--allow-root``).
    """
    folder, port = path.parent, free_port()
    path.write_text("\n".join([
        "c = get_config()  # noqa: F821",
        first,
        'c.JupyterHub.ip = "127.0.0.1"',
        f"c.JupyterHub.port = {port}",
        'c.JupyterHub.hub_ip = "127.0.0.1"',
        f"c.JupyterHub.hub_port = {free_port()}",
        f'c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"',
        f"c.ConfigurableHTTPProxy.command = [{proxy()!r}]",
        f'c.JupyterHub.db_url = "sqlite:///{folder}/hub.sqlite"',
        f'c.JupyterHub.cookie_secret_file = "{folder}/cookie_secret"',
        'c.JupyterHub.authenticator_class = "dummy"  # the test\'s; a class uses PAM or OAuth',
        f"c.DummyAuthenticator.password = {password!r}",
        f"c.Spawner.args = {[*lab_args, *LAB_ARGS]!r}",
        then,
        "",
    ]))  # fmt: skip
    return f"http://127.0.0.1:{port}"


def running_hub(jupyterhub: Path, config: Path, url: str, folder: Path):
    """Run ``jupyterhub -f config`` in ``folder`` (its log in ``hub.log`` there) until it
    answers at ``url``; on exit, stop it (the hub stops the learners' servers)."""
    env = dict(os.environ, NODE_PATH="/usr/share/nodejs",  # Debian's proxy's modules
               PATH=f"{jupyterhub.parent}{os.pathsep}{os.environ['PATH']}")  # fmt: skip
    return serving([str(jupyterhub), "-f", str(config)], f"{url}/hub/api/", folder / "hub.log",
                   cwd=folder, env=env, what="JupyterHub")  # fmt: skip


def log_in(browser, url: str, name: str, password: str, notebook: str):
    """A learner's own browser session: log in, wait for their server, open ``notebook``
    (its path under the server's notebook folder)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/hub/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"**/user/{name}/lab**", timeout=180_000)
    page.goto(f"{url}/user/{name}/lab/tree/{notebook}?reset")
    return context, page


def finished_notebook(page, name: str, learners: Sequence[str], screenshot: Path,
                      timeout_ms: int) -> str:  # fmt: skip
    """Wait for learner ``name``'s notebook to finish running, then check what it shows: no
    error, and in the volume labels notebook 07 prints only ``name``'s own session, no other
    learner's. Returns its outputs as JSON text."""
    page.wait_for_function(RUN_DONE, timeout=timeout_ms, polling=1000)
    nb = notebook_json(page)
    page.screenshot(path=str(screenshot))
    errors = [f"{o['ename']}: {o['evalue']}" for o in outputs(nb, "error")]
    assert not errors, f"{name} sees errors: {errors}"
    shown = json.dumps(outputs(nb))
    assert f"'{dl.labels.SESSION}': '{name}-" in shown, f"no {name}- session in the output"
    for other in (n for n in learners if n != name):
        assert f"'{dl.labels.SESSION}': '{other}-" not in shown, f"{name} sees {other}'s session"
    return shown
