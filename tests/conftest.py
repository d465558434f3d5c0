"""Shared test set-up: the engine, the catalog, and the leak check at the end.

Integration tests run on a real Docker engine (``make test`` starts one if none
answers). The run ends by asserting that nothing it labelled is left: no
container, image (beyond the catalog bases), volume or network.
"""

from __future__ import annotations

import os
import tempfile
import uuid

import pytest

# One session id for the whole run, inherited by the notebooks' kernels (nbval), so the
# leak check sees exactly this run's resources and never a learner's open notebook.
os.environ.setdefault("DOCKERLAB_SESSION", f"test-{uuid.uuid4().hex[:8]}")
# Checks passed by the test run must not count as a learner's progress.
os.environ.setdefault(
    "DOCKERLAB_PROGRESS", os.path.join(tempfile.mkdtemp(prefix="dockerlab-"), "progress.json")
)

import dockerlab as dl  # reads DOCKERLAB_SESSION at import

pytest_plugins = ["audit_plugin"]  # audits: no container gets the Docker socket, no secret shown


@pytest.fixture(scope="session")
def engine():
    """The docker SDK client; fails the test with the kit's own message if none answers."""
    try:
        return dl.client()
    except dl.DockerlabError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def bases(engine):
    """Catalog key -> reference, after checking every base image is present."""
    missing = [k for k, ok in dl.images.present().items() if not ok]
    if missing:
        pytest.fail(f"base images missing: {missing}; run `make bases`", pytrace=False)
    return {key: dl.ref(key) for key in dl.CATALOG}


@pytest.fixture(params=["buildkit", "legacy"])
def builder(request, engine):
    """Each builder in turn (BuildKit skipped where no BuildKit client is here)."""
    if request.param not in dl.available_builders():
        pytest.skip("no BuildKit client on this machine")
    return request.param


@pytest.fixture(scope="module")
def spare(tmp_path_factory):
    """A spare private engine of the module's own, holding the catalog's alpine.

    For tests that stop, fill or misuse an engine: never the one the run uses
    (see tests/spare_engine.py). Skips where the kit starts no engines of its own.
    """
    from spare_engine import spare_engine

    with spare_engine(tmp_path_factory.mktemp("spare"), "alpine") as engine:
        yield engine


@pytest.fixture
def nothing_left(engine):
    """Use in a test that must leave nothing of this run's session on the engine."""
    yield
    left = dl.leftovers(dl.labels.SESSION_ID)
    assert not any(left.values()), f"left behind: {left}"


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if anything it made (tests and notebooks alike) was left behind."""
    try:
        left = dl.leftovers(dl.labels.SESSION_ID)
    except dl.DockerlabError:
        return
    if any(left.values()):
        dl.cleanup(dl.labels.SESSION_ID)
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(f"LEAK: the kit left these behind (now removed): {left}", red=True)
        session.exitstatus = 1


def pytest_report_header(config):
    """Name the engine this run (this lane of make test) measures on, at the top and the end."""
    try:
        course = f", course platform {dl.platform()} (emulated)" if dl.emulated() else ""
        return f"engine: {dl.engine_info().label()} (API {dl.engine_info().api}){course}"
    except dl.DockerlabError as e:
        return f"engine: none ({str(e).splitlines()[0]})"


def pytest_terminal_summary(terminalreporter):
    info = dl.engine.current_info()  # None if this run never talked to an engine
    if info is None:
        return
    terminalreporter.write_line(
        f"engine lane: Docker {info.version}, API {info.api}, {info.image_store} image store, "
        f"builder {info.default_builder}, linux/{info.arch}, cgroup v{info.cgroup}"
        + (f"; course platform {dl.platform()}, emulated by qemu" if dl.emulated() else "")
    )
