"""The image the kit's registry runs from, on the learner's engine.

:func:`registry_image` gives the reference of a distribution registry image that is
on the engine: the official ``registry:2`` where it is there already or a registry
answers to pull it, else ``dockerlab/registry:<distribution version>``, which the
kit builds offline, once per engine, ``FROM`` the course's Debian slim base with
Debian's ``docker-registry`` binary (:func:`registry_binary`, fetched into the
kit's cache) and the kit's config copied in, labelled with its provenance.
Nothing of it runs on the notebook's machine.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from dockerlab.core import labels, transfer
from dockerlab.core.building import build
from dockerlab.core.config import cache_dir, machine_arch
from dockerlab.core.downloads import Apt, apt_sources, download_debian_packages, unpack_deb
from dockerlab.core.engine import client, platform, registry_reachable
from dockerlab.core.images import ref
from dockerlab.errors import DockerlabError, RegistryError

REGISTRY_PACKAGE = "docker-registry"
#: The official image, pulled where a registry answers.
OFFICIAL_IMAGE = "registry:2"
#: The repository of the image the kit builds offline (its tag: the distribution version).
KIT_REPOSITORY = "dockerlab/registry"
#: Where the registry reads its config and keeps its storage, in both images.
CONFIG_PATH = "/etc/docker/registry/config.yml"
STORAGE = "/var/lib/registry"
#: The config the registry runs with (its port is set when it starts).
CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: {secret}
"""
_DOCKERFILE = f"""\
FROM {{base}}
COPY registry /bin/registry
COPY config.yml {CONFIG_PATH}
RUN mkdir -p {STORAGE}
ENTRYPOINT ["/bin/registry", "serve"]
CMD ["{CONFIG_PATH}"]
"""


def registry_binary(arch: str | None = None) -> str:
    """Path of the ``docker-registry`` program for the Debian architecture ``arch`` (default
    this machine's; the engine's course platform is another on an Apple Silicon Mac, or
    on the emulated arm64 engine here), fetching it if need be.

    For this machine's architecture it looks at ``$DOCKERLAB_REGISTRY_BIN``, then
    ``PATH``, then ``/usr/bin``. Then the kit's cache (``registry/`` for this machine's
    architecture, ``registry-<arch>/`` for another). If it is nowhere, Debian trixie's
    ``docker-registry`` package for ``arch`` is downloaded with a private apt
    configuration (signatures checked as always; no root needed, nothing installed) and
    unpacked into the kit's cache, once. The kit never runs it on this machine: it goes
    into the image :func:`registry_image` builds.

    Raises:
        RegistryError: It is missing and this machine cannot fetch it (no ``apt-get``: a
            Mac, or not Debian/Ubuntu); the message says what to do instead.
    """
    arch = arch or machine_arch()
    own = arch == machine_arch()
    if own and (env := os.environ.get("DOCKERLAB_REGISTRY_BIN")):
        if not os.access(env, os.X_OK):
            raise RegistryError(f"DOCKERLAB_REGISTRY_BIN={env} is not an executable file.")
        return env
    cached = cache_dir() / ("registry" if own else f"registry-{arch}") / "usr/bin/docker-registry"
    installed = (shutil.which("docker-registry"), "/usr/bin/docker-registry") if own else ()
    for candidate in (*installed, str(cached)):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    hint = (
        f"Online, the kit pulls {OFFICIAL_IMAGE} itself (or `docker pull {OFFICIAL_IMAGE}`). "
        "Offline: load the course's images from your instructor's bundle (`python -m "
        "dockerlab load FILE`), or set DOCKERLAB_REGISTRY_BIN to a Linux `registry` binary "
        "of distribution 2.x."
    )
    if not (sys.platform.startswith("linux") and shutil.which("apt-get")):
        raise RegistryError(
            f"No registry answers to pull the official {OFFICIAL_IMAGE} image, and the kit "
            f"can make its own only on Linux with apt (from Debian's {REGISTRY_PACKAGE} "
            "package).",
            hint=hint,
        )
    apt = Apt(
        f"Debian trixie ({arch})",
        cache_dir() / f"apt-registry-{arch}",
        apt_sources("trixie"),
        arch=arch,
        error=RegistryError,
        hint=f"The lessons' registry comes from Debian's {REGISTRY_PACKAGE} package for "
        f"{arch} (deb.debian.org, once). {hint}",
    )
    print(f"Fetching Debian's {REGISTRY_PACKAGE} package for {arch} ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="dockerlab-registry-deb-") as tmp:
        (deb,) = download_debian_packages([REGISTRY_PACKAGE], Path(tmp), apt=apt)
        unpack_deb(deb, cached.parents[2], hint=apt.hint)
    return str(cached)


#: The name it had when it served other architectures only.
registry_binary_for = registry_binary


def package_version(binary: str) -> str | None:
    """The Debian version of the package ``binary`` came from (``2.8.2+ds1-1``), read from
    the changelog it installs beside it; None if there is none."""
    changelog = Path(binary).resolve().parents[1] / "share/doc/docker-registry/changelog.Debian.gz"
    try:
        with gzip.open(changelog, "rt") as f:
            first = f.readline()
    except OSError:
        return None
    m = re.match(r"\S+ \(([^)]+)\)", first)
    return m[1] if m else None


def distribution_version(package: str | None) -> str:
    """The distribution version in a Debian version (``2.8.2+ds1-1`` -> ``2.8.2``), the
    tag of the kit's image; ``local`` when unknown."""
    m = re.match(r"(?:\d+:)?(\d+(?:\.\d+)*)", package or "")
    return m[1] if m else "local"


def _present(name: str) -> bool:
    """True if the engine has an image of this name (``repository:tag``)."""
    return bool(client().images.list(name=name))


def registry_image() -> str:
    """A registry image on the engine, made ready if need be; its reference.

    ``registry:2`` if the engine has it, or pulls it where a registry answers
    (:func:`dockerlab.core.engine.registry_reachable`); otherwise the kit's own
    ``dockerlab/registry:<version>``, built once per engine (:func:`build_kit_image`).

    Raises:
        RegistryError: Neither can be had here (the message says what to install).
        BuildFailed: Building the kit's image failed.
    """
    if _present(OFFICIAL_IMAGE):
        return OFFICIAL_IMAGE
    if registry_reachable():
        try:
            transfer.pull(OFFICIAL_IMAGE)
            return OFFICIAL_IMAGE
        except DockerlabError:
            pass  # a registry that answers but refuses: made offline instead
    return build_kit_image()


def build_kit_image() -> str:
    """Build ``dockerlab/registry:<version>`` offline unless the engine has it; its reference.

    ``FROM`` the course's Debian slim base, with Debian's ``docker-registry`` binary and
    the kit's config; labelled like the course's own images (kit, provenance, OCI
    annotations) and with no session, so it outlives sessions like a base.
    """
    binary = registry_binary(platform().split("/")[1])
    package = package_version(binary)
    tag = f"{KIT_REPOSITORY}:{distribution_version(package)}"
    if _present(tag):
        return tag
    base = ref("debian_slim")
    made = f"Debian's {REGISTRY_PACKAGE} {package or '(version unknown)'} on {base}"
    image_labels = {
        labels.KIT: "dockerlab",
        labels.BASE: "registry",
        labels.PROVENANCE: f"built by the kit offline: {made}",
        labels.RECIPE: "registry-1",
        "org.opencontainers.image.source": "https://packages.debian.org/docker-registry",
        "org.opencontainers.image.description": "The distribution registry, for the lessons",
        "org.opencontainers.image.created": datetime.now(timezone.utc).isoformat(
            timespec="seconds"
        ),
        "org.opencontainers.image.version": package or "unknown",
    }
    files = {
        "registry": (Path(binary).read_bytes(), 0o755),
        "config.yml": CONFIG.format(root=STORAGE, port=5000, secret="set-when-it-starts"),
    }
    build(
        _DOCKERFILE.format(base=base),
        files,
        tag=tag,
        labels=image_labels,
        builder="legacy",
        progress=False,
    )
    return tag


__all__ = [
    "CONFIG",
    "CONFIG_PATH",
    "KIT_REPOSITORY",
    "OFFICIAL_IMAGE",
    "REGISTRY_PACKAGE",
    "STORAGE",
    "build_kit_image",
    "distribution_version",
    "package_version",
    "registry_binary",
    "registry_image",
]
