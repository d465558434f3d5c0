"""``doctor()``: is this machine ready for the course? One readable table.

Checks the engine (version, API, storage driver), BuildKit, the registry, free
disk and the catalog's base images, and says what to do about each problem.
Run it from a notebook (``dl.doctor()``) or a shell (``python -m dockerlab doctor``).
"""

from __future__ import annotations

import contextlib
import getpass
import html
import os
from dataclasses import dataclass
from pathlib import Path

import docker.errors
import pandas as pd

from dockerlab.core import images
from dockerlab.core.containers import run
from dockerlab.core.discovery import network_of
from dockerlab.core.engine import (
    buildkit_cli,
    client,
    emulated,
    engine_info,
    found,
    host,
    platform,
    registry_reachable,
)
from dockerlab.core.plotting import BAD_DARK, CAUTION_DARK, GOOD_DARK
from dockerlab.errors import DockerlabError
from dockerlab.inspect.measuring import size_on_disk

OK, WARN, FAIL = "ok", "warning", "problem"
_MARK = {OK: "✔", WARN: "⚠", FAIL: "✘"}
_COLOR = {OK: GOOD_DARK, WARN: CAUTION_DARK, FAIL: BAD_DARK}


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


def _you(address: str) -> str:
    """Who runs the notebook, and whose network the engine is on."""
    who = "root" if getattr(os, "geteuid", lambda: -1)() == 0 else "not root"
    network = {
        "this machine's": "the engine shares this machine's network (its 127.0.0.1 is yours)",
        "its own": "the engine has a network of its own (its 127.0.0.1 is not yours, as "
        "in Docker Desktop's VM)",
        "unknown": "whether the engine shares your network cannot be told from here",
    }[network_of(address)]
    return f"user {getpass.getuser()} ({who}); {network}"


def _engine_checks() -> list[Check]:
    c = client()
    info, e = c.info(), engine_info()
    where = "the kit's private engine" if e.private else "your engine"
    store = (
        "containerd image store" if e.containerd_store else f"classic image store ({e.image_store})"
    )
    checks = [
        Check("engine", OK, f"Docker {e.version} (API {e.api}) on {e.os}, {where} at {host()}"),
        Check("found", OK, f"{found().how}: {found().why}"),
        Check("you", OK, _you(host())),
        Check("store", OK, store),
        Check("platform", OK, f"linux/{e.arch}, cgroup v{e.cgroup}, "
                              + ("rootless" if e.rootless else "rootful (not rootless)")
                              + f", {info['NCPU']} CPUs, {info['MemTotal'] / 2**30:.1f} GiB"),
    ]  # fmt: skip
    if emulated():
        checks.append(
            Check(
                "course platform",
                WARN,
                f"{platform()}, emulated by qemu on this {e.arch} engine (as on an "
                "Apple Silicon Mac, but every program runs several times slower; "
                "unset DOCKERLAB_PLATFORM for the engine's own)",
            )
        )
    else:
        checks.append(
            Check("course platform", OK, f"{platform()}, the engine's own (not emulated)")
        )
    checks.append(_limits_check(info))
    checks.append(_disk_check())
    return checks


def free_kib(df_output: str) -> int | None:
    """Kibibytes available in the output of ``df -Pk PATH`` (POSIX format), or None.

    The last line is the filesystem's: ``overlay 61255492 20511236 37602148 36% /``;
    its fourth field is what is available.
    """
    lines = [line.split() for line in df_output.strip().splitlines()]
    if len(lines) < 2 or len(lines[-1]) < 6 or not lines[-1][3].isdigit():
        return None
    return int(lines[-1][3])


def _disk_check() -> Check:
    """Free space on the engine's own storage, as a container on it sees its root.

    A container's root filesystem lives in the engine's data root, so ``df /`` in one
    measures the disk images and builds fill, wherever the engine runs (in Docker
    Desktop's VM too, where the notebook cannot see that disk). The engine's API has no
    such number: ``/system/df`` gives only what images, containers and caches use.
    """
    key = next((k for k, here in images.present().items() if here), None)
    if key is None:
        return Check("disk", WARN, "free space unknown until a base image exists: `make bases`")
    try:
        result = run(images.ref(key), ["df", "-Pk", "/"], timeout=60)
    except (DockerlabError, docker.errors.DockerException) as e:
        return Check("disk", WARN, f"free space unknown: df in {images.ref(key)} failed ({e})")
    kib = free_kib(result.output) if result.exit_code == 0 else None
    if kib is None:
        return Check(
            "disk", WARN, f"free space unknown: df in {images.ref(key)} said nothing usable"
        )
    free = kib * 1024 / 1e9
    status = OK if free > 10 else WARN if free > 3 else FAIL
    return Check(
        "disk",
        status,
        f"{free:.0f} GB free for images on the engine's storage"
        + ("" if status == OK else ": the course needs about 3 GB"),
    )


def own_budget() -> dict[str, str]:
    """The limits of the cgroups this process runs in (a classroom's budget per learner):
    ``{"processes": "1024", "memory": "2.0 GiB"}``, only those set."""
    out = {}
    try:
        lines = open("/proc/self/cgroup").read().splitlines()  # noqa: SIM115 - tiny file
    except OSError:
        return out
    for line in lines:
        _, controllers, path = line.split(":", 2)
        hierarchy = Path("/sys/fs/cgroup") / (controllers if controllers else "")
        if controllers and "," in controllers:
            continue
        group = hierarchy / path.lstrip("/")
        for knob, what in (
            ("pids.max", "processes"),
            ("memory.limit_in_bytes", "memory"),
            ("memory.max", "memory"),
        ):
            with contextlib.suppress(OSError, ValueError):
                value = (group / knob).read_text().strip()
                if value != "max" and int(value) < 2**60:
                    out[what] = value if what == "processes" else f"{int(value) / 2**30:.1f} GiB"
    return out


def _limits_check(info: dict) -> Check:
    """Does the engine enforce each demo container's limits? If not, say what bounds them."""
    enforced = (
        info.get("CgroupDriver") != "none"
        and info.get("PidsLimit", True)
        and info.get("MemoryLimit", True)
    )
    if enforced:
        return Check(
            "limits", OK, "the engine enforces each container's limits (processes, memory, CPU)"
        )
    budget = own_budget()
    bound = (
        ", ".join(f"{v} {k}" if k == "processes" else f"{v} of {k}" for k, v in budget.items())
        if budget
        else ""
    )
    return Check(
        "limits",
        WARN,
        "this engine enforces no per-container limits (a rootless engine without "
        "cgroups ignores --memory and --pids-limit): "
        + (
            f"what bounds your containers is the budget this session runs in: at most "
            f"{bound}, engine and notebooks together"
            if bound
            else "nothing but the machine bounds your containers"
        ),
    )


def _catalog_checks() -> list[Check]:
    present = images.present()
    checks = []
    for key, entry in images.CATALOG.items():
        if present[key]:
            img = images.get(key)
            arch = img.attrs.get("Architecture", "?")
            if arch != platform().split("/")[1]:
                checks.append(
                    Check(
                        f"image {entry.ref}",
                        WARN,
                        f"is for {arch}, not the course's {platform()}: "
                        "run `python -m dockerlab bases --force`",
                    )
                )
                continue
            checks.append(
                Check(
                    f"image {entry.ref}",
                    OK,
                    f"{size_on_disk(img.id) / 1e6:.0f} MB, {arch}, {images.provenance(key)}",
                )
            )
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
    default = engine_info().default_builder
    builds = "BuildKit" if default == "buildkit" and bk else "the legacy builder"
    checks.append(
        Check(
            "builder",
            OK,
            f"builds use {builds} (as `docker build` on this engine); "
            f"BuildKit client: {bk.path} ({bk.how})",
        )
        if bk
        else Check(
            "builder",
            WARN,
            "builds use the legacy builder; no BuildKit client here: "
            "secret-mount lessons explain instead",
        )
    )
    online = registry_reachable()
    checks.append(
        Check("registry", OK, "Docker Hub reachable: official images are pulled")
        if online
        else Check("registry", WARN, "no registry reachable: base images are bootstrapped offline")
    )
    return Report(checks + _catalog_checks())
