"""The browser tests' servers (JupyterLab, JupyterHub): started, waited for, stopped."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
import requests

#: What every test's JupyterLab gets: the app exposed to the page helpers, no news, no
#: update checks.
LAB_ARGS = ("--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")  # fmt: skip


@contextlib.contextmanager
def serving(cmd: Sequence[str], url: str, log: Path, *, cwd: Path, what: str,
            env: Mapping[str, str] | None = None, params: Mapping[str, str] | None = None,
            start_timeout: float = 90, stop_timeout: float = 60) -> Iterator[None]:  # fmt: skip
    """Run ``cmd`` in ``cwd`` (its output in ``log``) until ``url`` answers; stop it on exit.

    Fails the test, with the end of the log, if it exits or does not answer in
    ``start_timeout`` seconds. Stopped with SIGTERM, then SIGKILL after ``stop_timeout``.
    """
    with open(log, "wb") as out:
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=None if env is None else dict(env),
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                with contextlib.suppress(requests.ConnectionError):
                    if requests.get(url, params=params, timeout=2).ok:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{what} did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
