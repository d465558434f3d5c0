"""End-to-end set-up: a real JupyterLab server and a real headless Chromium.

The server runs from the project's environment on 127.0.0.1 with a random
token, serving a temporary COPY of the notebooks (running them in the browser
saves outputs, which must never touch the committed files). Chromium is
Debian's, installed here when missing (Linux, root), and driven by Playwright.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from pathlib import Path

import pytest
from host_tools import debian_tool
from servers import LAB_ARGS, serving

from dockerlab.registry.server import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path to Debian's Chromium, installed with apt-get if missing (root only)."""
    path = debian_tool("chromium", "chromium")
    if path is None:
        pytest.fail("Chromium is needed for the browser tests: `sudo apt-get install chromium`.",
                    pytrace=False)  # fmt: skip
    return path


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """A running JupyterLab on a copy of the notebooks; yields (base_url, token, folder)."""
    folder = tmp_path_factory.mktemp("lab")
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy(nb, folder / nb.name)
    port, token = free_port(), secrets.token_hex(16)
    jupyter = Path(sys.executable).with_name("jupyter")
    cmd = [
        str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
        *LAB_ARGS, "--ServerApp.disable_check_xsrf=False",
        # A clean JupyterLab: no workspace or settings restored from earlier use of this machine.
        f"--LabApp.workspaces_dir={folder.parent / 'workspaces'}",
        f"--LabApp.user_settings_dir={folder.parent / 'settings'}",
    ]  # fmt: skip
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    with serving(cmd, f"http://127.0.0.1:{port}/api/status", folder.parent / "jupyterlab.log",
                 cwd=folder, what="JupyterLab", params={"token": token}, start_timeout=60,
                 stop_timeout=20):  # fmt: skip
        yield f"http://127.0.0.1:{port}", token, folder


@pytest.fixture(scope="session")
def browser(chromium):
    """A headless Chromium that makes no background connections (the network is closed)."""
    from playwright.sync_api import sync_playwright

    flags = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, headless=True, args=flags)
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
