"""A JupyterHub for the browser tests: its process started and stopped, a learner logged in."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import requests


@contextlib.contextmanager
def running_hub(jupyterhub: Path, config: Path, url: str, folder: Path) -> Iterator[None]:
    """Run ``jupyterhub -f config`` in ``folder`` (its log in ``hub.log`` there) until it
    answers at ``url``; on exit, stop it (the hub stops the learners' servers)."""
    env = dict(os.environ, NODE_PATH="/usr/share/nodejs",  # Debian's proxy's modules
               PATH=f"{jupyterhub.parent}{os.pathsep}{os.environ['PATH']}")  # fmt: skip
    with open(folder / "hub.log", "wb") as log:
        proc = subprocess.Popen([str(jupyterhub), "-f", str(config)], cwd=folder, env=env,
                                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            deadline = time.monotonic() + 90
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
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


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
