"""Audits over the whole test run: no container gets the Docker socket, no secret is printed.

Loaded by ``tests/conftest.py`` (``pytest_plugins``), so every run that includes
``tests/`` (``make test`` does) is audited, notebooks under nbval included.

1. **The Docker socket.** At import, docker-py's ``create_container`` is wrapped
   to record the HostConfig of every container this pytest process creates; at
   the end of the run, any bind or mount of the engine's socket (the kit's own
   predicate, ``dockerlab.containers._mounts_engine_socket``) fails the run.
2. **Secrets.** At import, before any notebook kernel or JupyterLab starts (they
   inherit the environment), the usual secret variables are replaced by random
   canaries, and ``DOCKER_CONFIG`` points to a config.json whose registry
   credential is a canary too: the learner's real values never reach the run.
   Every test's captured output and failure report, and every notebook cell's
   outputs, are searched for the canaries (also base64-encoded): a hit fails
   that test and names the canary.
"""

from __future__ import annotations

import atexit
import base64
import functools
import inspect
import json
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest
from docker.api.container import ContainerApiMixin

# --- 1. every container's HostConfig -------------------------------------------------

_records: list[dict] = []
_create_container = ContainerApiMixin.create_container
_SIGNATURE = inspect.signature(_create_container)


@functools.wraps(_create_container)
def _recording_create_container(self, *args, **kwargs):
    given = _SIGNATURE.bind(self, *args, **kwargs).arguments
    _records.append({k: given.get(k) for k in ("image", "name", "host_config")})
    return _create_container(self, *args, **kwargs)


ContainerApiMixin.create_container = _recording_create_container


def recorded() -> list[dict]:
    """Every container created so far: ``{"image", "name", "host_config"}`` (a copy)."""
    return list(_records)


def socket_mounts(records: list[dict]) -> list[str]:
    """Which recorded containers were given the Docker socket (their image and name)."""
    # Imported here, not at the top: dockerlab must first see conftest.py's DOCKERLAB_SESSION.
    from dockerlab.containers import _mounts_engine_socket

    bad = []
    for r in records:
        hc = r["host_config"] or {}
        if _mounts_engine_socket(hc.get("Binds"), hc.get("Mounts")):
            bad.append(
                f"{r['image']} ({r['name'] or 'unnamed'}): {hc.get('Binds')} {hc.get('Mounts')}"
            )
    return bad


# --- 2. canary secrets ---------------------------------------------------------------

#: A registry name that cannot exist (``.invalid``): nothing is ever sent to it.
FAKE_REGISTRY = "registry.canary.invalid"
#: Secret variables found on learners' machines and CI runners, and one of the kit's own.
CANARY_ENV = (
    "AWS_SECRET_ACCESS_KEY",
    "GITHUB_TOKEN",
    "DOCKER_AUTH_CONFIG",
    "DOCKERLAB_CANARY_SECRET",
)
#: Name -> the random secret planted for this run (``DOCKER_CONFIG``: its registry password).
CANARIES = {name: f"canary-{secrets.token_hex(12)}" for name in (*CANARY_ENV, "DOCKER_CONFIG")}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _docker_config(password: str) -> dict:
    """A docker config.json with one registry login (``auth`` is base64 of user:password)."""
    return {"auths": {FAKE_REGISTRY: {"auth": _b64(f"dockerlab-canary:{password}")}}}


def _plant() -> Path:
    """Put the canaries in the environment and a canary DOCKER_CONFIG; returns that folder."""
    real = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    folder = Path(tempfile.mkdtemp(prefix="dockerlab-canary-"))
    atexit.register(shutil.rmtree, folder, True)
    config = _docker_config(CANARIES["DOCKER_CONFIG"])
    try:  # keep the CLI's plugins (buildx: BuildKit builds), never its credentials
        extra = json.loads((real / "config.json").read_text()).get("cliPluginsExtraDirs")
    except (OSError, ValueError, AttributeError):
        extra = None
    if extra:
        config["cliPluginsExtraDirs"] = extra
    if (real / "cli-plugins").is_dir():
        (folder / "cli-plugins").symlink_to(real / "cli-plugins")
    (folder / "config.json").write_text(json.dumps(config))
    os.environ.update(
        {name: CANARIES[name] for name in CANARY_ENV},
        DOCKER_AUTH_CONFIG=json.dumps(_docker_config(CANARIES["DOCKER_AUTH_CONFIG"])),
        DOCKER_CONFIG=str(folder),
    )
    return folder


DOCKER_CONFIG = _plant()
#: Text that betrays a canary -> what it betrays (never the value itself).
_NEEDLES = {
    needle: f"{name}{how}"
    for name, value in CANARIES.items()
    for needle, how in (
        (value, ""),
        (_b64(value).rstrip("="), " (base64)"),
        (_docker_config(value)["auths"][FAKE_REGISTRY]["auth"], " (registry auth)"),
    )
}


def leaks(text: str) -> list[str]:
    """Which canaries ``text`` contains, by name (e.g. ``["GITHUB_TOKEN (base64)"]``)."""
    return sorted({what for needle, what in _NEEDLES.items() if needle in text})


_scanned = {"reports": 0, "cells": 0}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Fail a test whose output, failure report or notebook cell outputs show a canary."""
    report = yield
    places = {title: text for title, text in report.sections if title.endswith(report.when)}
    if report.longrepr:
        places["the failure report"] = str(report.longrepr)
    cell = getattr(item, "test_outputs", None) if call.when == "call" else None
    if cell is not None:  # an nbval cell: what the kernel sent back for it
        places["the cell's outputs"] = json.dumps(cell, default=str)
        _scanned["cells"] += 1
    _scanned["reports"] += 1
    found = {where: hits for where, text in places.items() if (hits := leaks(text))}
    if found:
        said = "; ".join(f"{', '.join(hits)} in {where}" for where, hits in found.items())
        original = f"\n\n{report.longrepr}" if report.failed else ""
        report.outcome = "failed"
        report.longrepr = f"A canary secret leaked ({call.when}): {said}.{original}"
    return report


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if any container it created was given the Docker socket."""
    bad = socket_mounts(_records)
    if bad:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(f"SOCKET: containers given the Docker socket: {bad}", red=True)
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(
        f"audit: Docker socket looked for in the mounts of {len(_records)} containers; "
        f"canary secrets in {_scanned['reports']} test reports and {_scanned['cells']} "
        "notebook cells"
    )
