"""Which builder a build uses: BuildKit or the legacy builder, and which are here."""

from __future__ import annotations

import os
import re

from dockerlab.core.engine import buildkit_cli, engine_info
from dockerlab.errors import BuildFailed, BuildKitUnavailable

#: The two builders: ``"buildkit"`` and ``"legacy"``.
BUILDERS = ("buildkit", "legacy")
#: What only BuildKit understands, and how to recognise it in a Dockerfile.
_BUILDKIT_ONLY = (
    (re.compile(r"^\s*#\s*syntax\s*=", re.I | re.M), "a `# syntax=` line"),
    (re.compile(r"^\s*RUN\s+(?:--\w+=?\S*\s+)*--mount[= ]", re.I | re.M), "RUN --mount"),
    (
        re.compile(r"^\s*RUN\s+(?:--\w+=?\S*\s+)*--(?:network|security)[= ]", re.I | re.M),
        "RUN --network/--security",
    ),
    (re.compile(r"^\s*(?:RUN|COPY)\b[^\n]*<<-?\s*['\"]?\w+", re.I | re.M), "a heredoc (<<EOF)"),
    (
        re.compile(
            r"^\s*(?:COPY|ADD)\s+(?:--\w+=?\S*\s+)*--(?:link|parents|exclude)\b", re.I | re.M
        ),
        "COPY --link/--parents/--exclude",
    ),
)


def needs_buildkit(dockerfile: str) -> str | None:
    """What in ``dockerfile`` only BuildKit understands, or None.

    Example:
        >>> needs_buildkit("FROM alpine\\nRUN --mount=type=secret,id=t cat /run/secrets/t")
        'RUN --mount'
    """
    for pattern, what in _BUILDKIT_ONLY:
        if pattern.search(dockerfile):
            return what
    return None


def choose_builder(
    dockerfile: str = "", builder: str | None = None, *, secrets: bool = False
) -> str:
    """Which builder a build of ``dockerfile`` uses here: ``"buildkit"`` or ``"legacy"``.

    ``builder`` (or ``DOCKERLAB_BUILDER``) forces one; otherwise what ``docker
    build`` uses on this engine (BuildKit on Engine 23+ and Docker Desktop),
    and BuildKit for a Dockerfile that needs it or a build with secrets.

    Raises:
        BuildFailed: ``builder="legacy"`` for a Dockerfile only BuildKit can build.
        BuildKitUnavailable: BuildKit is needed and no BuildKit client is here.
    """
    wanted = builder or os.environ.get("DOCKERLAB_BUILDER") or None
    if wanted not in (None, *BUILDERS):
        raise ValueError(f"builder must be one of {BUILDERS}, not {wanted!r}")
    why = needs_buildkit(dockerfile) or ("secrets" if secrets else None)
    if wanted == "legacy" and why:
        raise BuildFailed(
            f"The legacy builder cannot build this Dockerfile: it uses {why}.",
            hint="Build it with BuildKit: leave out builder='legacy'.",
        )
    if wanted is None:
        default = engine_info().default_builder
        wanted = "buildkit" if why or (default == "buildkit" and buildkit_cli()) else "legacy"
    if wanted == "buildkit" and buildkit_cli() is None:
        raise BuildKitUnavailable(
            "This build needs BuildKit"
            + (f" (the Dockerfile uses {why})" if why else "")
            + ", and this machine has no BuildKit client."
        )
    return wanted


def available_builders() -> list[str]:
    """The builders that work here (``"legacy"`` always; ``"buildkit"`` with a client)."""
    return (["buildkit"] if buildkit_cli() else []) + ["legacy"]


def describe_builders() -> str:
    """One line: the builder ``docker build`` uses on this engine, and what else is here."""
    info, cli = engine_info(), buildkit_cli()
    default = "BuildKit" if info.default_builder == "buildkit" and cli else "the legacy builder"
    line = f"`docker build` on Docker {info.version} uses {default}."
    if cli is None:
        return line + " No BuildKit client here: BuildKit-only lessons are explained, not run."
    how = {
        "buildx": "docker buildx build",
        "standalone buildx": "docker-buildx build",
        "DOCKER_BUILDKIT=1": "DOCKER_BUILDKIT=1 docker build",
    }[cli.how]
    return line + f" BuildKit builds run with {cli.path} ({how}); the legacy builder is here too."


__all__ = [
    "BUILDERS",
    "available_builders",
    "choose_builder",
    "describe_builders",
    "needs_buildkit",
]
