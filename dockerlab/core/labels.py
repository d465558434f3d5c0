"""Labels that mark what the kit creates, in a reserved namespace.

Every image, container and volume the kit creates carries a session label
(:data:`SESSION`), so :func:`dockerlab.cleanup` removes exactly what the kit made and
nothing of the learner's own. Base images carry :data:`BASE` instead of a session:
they are the course's catalog and outlive sessions.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import socket
import uuid
from pathlib import Path

NAMESPACE = "org.dockerlab"
KIT = f"{NAMESPACE}.kit"
SESSION = f"{NAMESPACE}.session"
ROLE = f"{NAMESPACE}.role"
BASE = f"{NAMESPACE}.base"
PROVENANCE = f"{NAMESPACE}.provenance"
RECIPE = f"{NAMESPACE}.recipe"


def learner() -> str:
    """Who is learning: DOCKERLAB_LEARNER, JupyterHub's user, or the login name."""
    name = os.environ.get("DOCKERLAB_LEARNER") or os.environ.get("JUPYTERHUB_USER")
    if not name:
        try:
            name = getpass.getuser()
        except Exception:  # no login name (some containers)
            name = "learner"
    return re.sub(r"[^a-zA-Z0-9_.-]", "-", name)[:32]


def _host_tag() -> str:
    """A short tag of where this process's number means something: this boot of this
    kernel and this process namespace (the machine's name itself is not shown).

    A host name alone is not enough: two containers (two JupyterHub servers, say) can share
    a name and a kernel, each with its own process numbers; their sessions on one engine
    must never look like each other's. The kernel's boot id is random per boot and per
    machine, and the process namespace's inode tells namespaces of one kernel apart.
    """
    parts = [socket.gethostname()]
    try:
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))
    except OSError:  # not Linux: a Mac's or Windows' kernel numbers processes for itself
        pass
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:8]


#: One id per Python process, unless DOCKERLAB_SESSION names a shared one: the learner's
#: name, a random part, and which process on which machine owns it
#: (``alice-3f2a9c1e.4711@9b1c07d2``). Learners sharing one engine (a workshop server,
#: JupyterHub) each get their own, and cleanup() removes only that session's resources;
#: once the owning process has ended (a restarted kernel), :func:`owner_gone` says so.
SESSION_ID: str = (
    os.environ.get("DOCKERLAB_SESSION")
    or f"{learner()}-{uuid.uuid4().hex[:8]}.{os.getpid()}@{_host_tag()}"
)


def owner_gone(session: str) -> bool:
    """True if ``session`` belongs to a process of this machine that has ended.

    False whenever that cannot be known for sure: a session named by
    DOCKERLAB_SESSION, another machine's, or a process that still exists (or
    whose number was reused): its resources are then never touched.
    """
    _, dot, owner = session.rpartition(".")
    pid, at, host = owner.partition("@")
    if not (dot and at and pid.isdigit()) or host != _host_tag():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


_SESSION_FORMAT = re.compile(r"(?P<learner>.+)-[0-9a-f]{8}\.\d+@[0-9a-f]+")


def learner_of(session: str) -> str | None:
    """The learner whose kernel made ``session`` (``alice`` for ``alice-3f2a9c1e.4711@9b1c``),
    or None for a session named by DOCKERLAB_SESSION (a test run, a shared name)."""
    m = _SESSION_FORMAT.fullmatch(session)
    return m["learner"] if m else None


def own_session(session: str) -> bool:
    """True if ``session`` is the current learner's (:func:`learner`), or the one this
    process runs in: what ``python -m dockerlab cleanup`` removes without ``--all-sessions``."""
    return session == SESSION_ID or learner_of(session) == learner()


def session_labels(role: str = "demo", session: str | None = None) -> dict[str, str]:
    """Labels for a container or volume that belongs to one session of the kit.

    Args:
        role: What the resource is for ("demo", "measure", "exercise", ...).
        session: Session id; the current process's by default.

    Returns:
        A dict to pass as ``labels=`` to the docker SDK.
    """
    return {KIT: "dockerlab", SESSION: session or SESSION_ID, ROLE: role}


def build_labels(session: str | None = None) -> dict[str, str]:
    """Labels for an image the kit builds: just the session.

    The legacy builder turns each build label into a LABEL step, which shows in
    ``docker history``; one label keeps the lessons' history counts honest
    (:func:`dockerlab.history` leaves that entry out).
    """
    return {SESSION: session or SESSION_ID}


def is_kit_history_entry(created_by: str) -> bool:
    """True for the history entry the kit's own build label adds."""
    return f"LABEL {SESSION}=" in created_by


def base_labels(key: str, provenance: str, recipe: str) -> dict[str, str]:
    """Labels for a catalog base image the kit made itself."""
    return {KIT: "dockerlab", BASE: key, PROVENANCE: provenance, RECIPE: recipe}


def filter_for(session: str | None = None) -> dict[str, list[str]]:
    """A docker ``filters=`` dict matching the kit's session resources.

    Args:
        session: One session's id, or None for every session of the kit.
    """
    if session is None:
        return {"label": [SESSION]}
    return {"label": [f"{SESSION}={session}"]}
