"""Audits over the whole test run: no Docker socket, no unsafe demo container, no secret shown.

Loaded by ``tests/conftest.py`` (``pytest_plugins``), so every run that includes
``tests/`` (``make test`` does) is audited, notebooks under nbval included.

1. **The Docker socket.** At import, docker-py's ``create_container`` is wrapped
   to record the HostConfig of every container this pytest process creates; at
   the end of the run, any bind or mount of the engine's socket (the kit's own
   predicate, ``dockerlab.core.containers._mounts_engine_socket``) fails the run.
   **The engine's side.** Containers made by notebook kernels (nbval, the browser
   tests), JupyterHub's learners and command-line runs never pass through this
   process: a thread follows the engine's own event stream for the whole run and
   inspects every container the moment it is created. Any of them with the
   socket fails the run; so does a container of the kit (its session label)
   without the demo defaults: no network (or another container's loopback; the
   kit's own registry alone is on the engine's network), every capability
   dropped, ``no-new-privileges``, pids and memory limits.
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
import threading
import time
from pathlib import Path

import docker
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
    from dockerlab.core.containers import _mounts_engine_socket

    bad = []
    for r in records:
        hc = r["host_config"] or {}
        if _mounts_engine_socket(hc.get("Binds"), hc.get("Mounts")):
            bad.append(
                f"{r['image']} ({r['name'] or 'unnamed'}): {hc.get('Binds')} {hc.get('Mounts')}"
            )
    return bad


class EngineWatch:
    """Every container the engine creates while the run lasts, inspected as it appears.

    ``seen`` holds ``{"id", "name", "image", "labels", "host_config"}`` per container;
    ``vanished`` counts those removed before the inspection could read them.
    """

    def __init__(self, api: docker.APIClient) -> None:
        self.api = api
        self.seen: list[dict] = []
        self.vanished = 0
        self._handled: set[str] = set()
        self.broken: str | None = None
        self._events = api.events(
            since=int(time.time()) - 1, decode=True,
            filters={"type": "container", "event": "create"},
        )  # fmt: skip
        self._thread = threading.Thread(target=self._follow, name="engine-audit", daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        try:
            for event in self._events:
                cid = event.get("id") or (event.get("Actor") or {}).get("ID")
                if cid:  # an event naming no container says nothing to audit
                    self._inspect(cid)
        except Exception as e:  # the stream broke (the engine stopped); said at the end
            if not self._closing:
                self.broken = f"{type(e).__name__}: {e}"

    _closing = False

    def _inspect(self, cid: str) -> None:
        try:
            c = self.api.inspect_container(cid)
            try:  # what the container inherits (a build step's container: everything)
                inherited = self.api.inspect_image(c["Image"])["Config"].get("Labels") or {}
            except (docker.errors.NotFound, docker.errors.NullResource):  # gone, or no image
                inherited = {}
            self.seen.append({
                "id": cid, "name": c["Name"].lstrip("/"), "image": c["Config"]["Image"],
                "labels": c["Config"].get("Labels") or {}, "inherited": inherited,
                "command": c["Config"].get("Cmd") or [],
                "host_config": c["HostConfig"],
            })  # fmt: skip
        except docker.errors.NotFound:
            self.vanished += 1
        self._handled.add(cid)

    def close(self) -> None:
        """Stop following, once every container created so far has been looked at."""
        now = int(time.time()) + 1
        recent = self.api.events(since=now - 120, until=now, decode=True,
                                 filters={"type": "container", "event": "create"})  # fmt: skip
        wanted = {event.get("id") for event in recent} - {None, ""}
        deadline = time.monotonic() + 10
        while not wanted <= self._handled and time.monotonic() < deadline and not self.broken:
            time.sleep(0.1)
        self._closing = True
        self._events.close()
        self._thread.join(timeout=10)


def made_by_kit(record: dict) -> bool:
    """True if the kit labelled this container when creating it.

    Not true of the containers the engine's (legacy) builder makes for a build's
    steps: a ``RUN`` step's inherits its labels from the step before (``FROM``
    an image the kit built: the session label too), and a metadata step's
    (``#(nop) LABEL ...``, also how a build's ``labels=`` are applied) never runs.
    """
    from dockerlab.core.labels import ROLE, SESSION  # see socket_mounts

    labels, inherited = record["labels"], record.get("inherited") or {}
    if "#(nop) " in record.get("command", []):
        return False
    return SESSION in labels and any(labels.get(k) != inherited.get(k) for k in (SESSION, ROLE))


#: The role label ``dockerlab.core.containers.registry_container`` sets (its REGISTRY_ROLE;
#: a test checks they are the same).
REGISTRY_ROLE = "registry"


def _registry_on_host(record: dict) -> bool:
    """The one exception to "no network": the kit's own registry
    (``dockerlab.core.containers.registry_container``, its role label ``registry``) on the
    engine's own network (``host``), where the engine dials it. Nothing else of its
    defaults is excused."""
    from dockerlab.core.labels import ROLE  # see socket_mounts

    network = record["host_config"].get("NetworkMode") or ""
    return network == "host" and record["labels"].get(ROLE) == REGISTRY_ROLE


def missing_defaults(record: dict) -> list[str]:
    """Which demo-container defaults a container of the kit lacks (empty: it has all)."""
    hc = record["host_config"]
    missing = []
    network = hc.get("NetworkMode") or ""
    if network != "none" and not network.startswith("container:") and not _registry_on_host(record):
        missing.append(f"network {network!r}")
    if "ALL" not in (hc.get("CapDrop") or []):
        missing.append("capabilities not dropped")
    if not any(o.startswith("no-new-privileges") for o in hc.get("SecurityOpt") or []):
        missing.append("no no-new-privileges")
    if not (hc.get("PidsLimit") or 0) > 0:
        missing.append("no pids limit")
    if not (hc.get("Memory") or 0) > 0:
        missing.append("no memory limit")
    if hc.get("Privileged") or hc.get("PidMode") == "host":
        missing.append("privileged or host pids")
    return missing


_watch: EngineWatch | None = None


def pytest_sessionstart(session):
    """Follow the run's engine (the one the kit finds, as the notebooks' kernels do)."""
    from dockerlab.core import engine

    global _watch
    try:
        _watch = EngineWatch(docker.APIClient(base_url=engine.host(), version="auto", timeout=30))
    except Exception:  # no engine: the engine tests fail with the kit's own message
        _watch = None


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
    # Keep how the CLI finds its engine (the current context, the contexts) and its plugins
    # (buildx: BuildKit builds), never its credentials.
    try:
        kept = json.loads((real / "config.json").read_text())
    except (OSError, ValueError):
        kept = {}
    for key in ("currentContext", "cliPluginsExtraDirs"):
        if isinstance(kept, dict) and kept.get(key):
            config[key] = kept[key]
    for sub in ("cli-plugins", "contexts"):
        if (real / sub).is_dir():
            (folder / sub).symlink_to(real / sub)
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
    """Fail the run if any container given the Docker socket, or a kit container without
    the demo defaults, was created during it (by this process or any other)."""
    watched = []
    if _watch is not None:
        _watch.close()
        watched = _watch.seen
    problems = [f"a container was given the Docker socket: {bad}"
                for bad in socket_mounts(_records + watched)]  # fmt: skip
    problems += [
        f"the kit's container {r['image']} ({r['name']}) lacks the demo defaults: "
        + ", ".join(missing)
        for r in watched
        if made_by_kit(r) and (missing := missing_defaults(r))
    ]
    if _watch is not None and _watch.broken:  # what came after went unseen
        problems.append(f"the engine's events could not be followed: {_watch.broken}")
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            for problem in problems:
                reporter.write_line(f"AUDIT: {problem}", red=True)
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if _watch is None:
        engine = "no engine followed"
    else:
        kit = sum(made_by_kit(r) for r in _watch.seen)
        engine = (
            f"the engine created {len(_watch.seen) + _watch.vanished} containers during the "
            f"run ({kit} of the kit's checked for the demo defaults, {_watch.vanished} gone "
            "before they could be inspected)"
        )
        if _watch.broken:
            engine += f"; the engine's event stream broke: {_watch.broken}"
    terminalreporter.write_line(
        f"audit: Docker socket looked for in the mounts of {len(_records)} containers this "
        f"process created; {engine}; canary secrets in {_scanned['reports']} test reports "
        f"and {_scanned['cells']} notebook cells"
    )
