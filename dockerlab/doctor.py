"""``doctor()``: is this machine ready for the course? One readable table.

Checks the engine (version, API, storage driver), BuildKit, the registry, free
disk and the catalog's base images, and says what to do about each problem.
Run it from a notebook (``dl.doctor()``) or a shell (``python -m dockerlab doctor``).
"""

from __future__ import annotations

import html
import os
import shutil
from dataclasses import dataclass

import pandas as pd

from . import images
from .engine import buildkit_cli, client, host, is_private, registry_reachable
from .errors import DockerlabError

OK, WARN, FAIL = "ok", "warning", "problem"
_MARK = {OK: "✔", WARN: "⚠", FAIL: "✘"}
_COLOR = {OK: "#2e7d32", WARN: "#b26a00", FAIL: "#c62828"}


@dataclass
class Check:
    name: str
    status: str
    detail: str


class Report:
    """The doctor's findings; shows as a table in Jupyter and as text in a shell."""

    def __init__(self, checks: list[Check]) -> None:
        self.checks = checks

    @property
    def ok(self) -> bool:
        """True when nothing is a problem (warnings allowed)."""
        return all(c.status != FAIL for c in self.checks)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.__dict__ for c in self.checks], columns=["name", "status", "detail"])

    def __getitem__(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def __str__(self) -> str:
        width = max(len(c.name) for c in self.checks)
        return "\n".join(f"{_MARK[c.status]} {c.name:<{width}}  {c.detail}" for c in self.checks)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td style='color:{_COLOR[c.status]};font-weight:bold'>{_MARK[c.status]}</td>"
            f"<td style='text-align:left'>{html.escape(c.name)}</td>"
            f"<td style='text-align:left'>{html.escape(c.detail)}</td></tr>"
            for c in self.checks
        )
        return f"<table class='dockerlab-doctor'><tr><th></th><th>check</th><th>finding</th></tr>{rows}</table>"


def _engine_checks() -> list[Check]:
    c = client()
    v, info = c.version(), c.info()
    where = "the kit's private engine" if is_private() else "your engine"
    checks = [
        Check("engine", OK, f"Docker {v['Version']} (API {v['ApiVersion']}), {where} at {host()}"),
        Check("storage", OK, f"{info['Driver']} driver, cgroup v{info.get('CgroupVersion', '?')}, "
                             f"{info['NCPU']} CPUs, {info['MemTotal'] / 2**30:.1f} GiB"),
    ]  # fmt: skip
    root = info.get("DockerRootDir", "/")
    path = root if os.path.isdir(root) else "/"
    free = shutil.disk_usage(path).free / 1e9
    status = OK if free > 10 else WARN if free > 3 else FAIL
    checks.append(Check("disk", status, f"{free:.0f} GB free for images ({path})"
                        + ("" if status == OK else ": the course needs about 3 GB")))  # fmt: skip
    return checks


def _catalog_checks() -> list[Check]:
    present = images.present()
    checks = []
    for key, entry in images.CATALOG.items():
        if present[key]:
            img = images.get(key)
            checks.append(Check(f"image {entry.ref}", OK,
                                f"{img.attrs['Size'] / 1e6:.0f} MB, {images.provenance(key)}"))  # fmt: skip
        else:
            checks.append(Check(f"image {entry.ref}", FAIL, "missing: run `make bases`"))
    return checks


def doctor() -> Report:
    """Check the engine, BuildKit, registry, disk and base images.

    Returns:
        A :class:`Report`; ``report.ok`` is False if something blocks the course.

    Example:
        >>> dl.doctor()  # doctest: +SKIP
        ✔ engine   Docker 20.10.24 (API 1.41), ...
    """
    try:
        checks = _engine_checks()
    except DockerlabError as e:
        return Report([Check("engine", FAIL, str(e).replace("\n", " "))])
    bk = buildkit_cli()
    checks.append(
        Check("buildkit", OK, f"{bk.path} ({bk.how})")
        if bk
        else Check(
            "buildkit", WARN, "no BuildKit-capable docker CLI: secret-mount lessons explain instead"
        )
    )
    online = registry_reachable()
    checks.append(
        Check("registry", OK, "Docker Hub reachable: official images are pulled")
        if online
        else Check("registry", WARN, "no registry reachable: base images are bootstrapped offline")
    )
    return Report(checks + _catalog_checks())
