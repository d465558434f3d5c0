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


def registry_binary() -> str:
    """Path of the ``docker-registry`` program, fetching it if we may.

    Looks at ``$DOCKERLAB_REGISTRY_BIN``, then ``PATH``, then the kit's cache. If
    it is nowhere and this is Debian/Ubuntu as root, Debian's ``docker-registry``
    package (distribution 2.8) is downloaded with ``apt-get download`` and
    unpacked into the kit's cache: its binary only, so no system service is
    installed or started. The kit never runs it on this machine: it goes into the
    image :func:`registry_image` builds.

    Raises:
        DockerlabError: It is missing and cannot be fetched here.
    """
    env = os.environ.get("DOCKERLAB_REGISTRY_BIN")
    if env:
        if not os.access(env, os.X_OK):
            raise RegistryError(f"DOCKERLAB_REGISTRY_BIN={env} is not an executable file.")
        return env
    cached = cache_dir() / "registry" / "usr" / "bin" / "docker-registry"
    for candidate in (shutil.which("docker-registry"), "/usr/bin/docker-registry", str(cached)):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if not (sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("apt-get")):
        raise RegistryError(
            "The registry program (docker-registry, distribution 2.8) is not installed, and "
            f"no registry answers to pull the official {OFFICIAL_IMAGE} image.",
            hint=f"Online, the kit pulls {OFFICIAL_IMAGE} itself (or `docker pull "
            f"{OFFICIAL_IMAGE}`). Offline on Debian/Ubuntu: `sudo apt-get install "
            "docker-registry`, or set DOCKERLAB_REGISTRY_BIN to a Linux `registry` binary "
            "of distribution 2.x.",
        )
    _fetch_registry_package(cached.parents[2])
    return str(cached)


def _fetch_registry_package(target: Path) -> None:
    """``apt-get download docker-registry`` (this machine's apt sources) and unpack its
    files into ``target``."""
    from dataclasses import replace

    from dockerlab.core.downloads import HOST_APT, download_debian_packages, unpack_deb

    print("Fetching Debian's docker-registry package (the distribution registry) ...", flush=True)
    hint = f"Install it by hand: `apt-get install {REGISTRY_PACKAGE}`."
    with tempfile.TemporaryDirectory(prefix="dockerlab-registry-deb-") as tmp:
        (deb,) = download_debian_packages(
            [REGISTRY_PACKAGE], Path(tmp), apt=replace(HOST_APT, hint=hint)
        )
        unpack_deb(deb, target, hint=hint)


def registry_binary_for(arch: str) -> str:
    """The ``docker-registry`` program for the Debian architecture ``arch`` (the engine's
    course platform: ``arm64`` on an Apple Silicon Mac, or the emulated arm64 engine here).

    This machine's own architecture: :func:`registry_binary`. Another: Debian trixie's
    package for ``arch``, downloaded with a private apt configuration (signatures checked
    as always) and unpacked into the kit's cache, once.
    """
    if arch == machine_arch():
        return registry_binary()
    cached = cache_dir() / f"registry-{arch}" / "usr" / "bin" / "docker-registry"
    if os.access(cached, os.X_OK):
        return str(cached)
    hint = (
        f"The lessons' registry for linux/{arch} comes from Debian's {REGISTRY_PACKAGE} "
        f"package for {arch} (deb.debian.org, once), or `docker pull {OFFICIAL_IMAGE}`."
    )
    apt = Apt(
        f"Debian trixie ({arch})",
        cache_dir() / f"apt-registry-{arch}",
        apt_sources("trixie"),
        arch=arch,
        error=RegistryError,
        hint=hint,
    )
    print(f"Fetching Debian's {REGISTRY_PACKAGE} package for {arch} ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="dockerlab-registry-deb-") as tmp:
        (deb,) = download_debian_packages([REGISTRY_PACKAGE], Path(tmp), apt=apt)
        unpack_deb(deb, cached.parents[2], hint=hint)
    return str(cached)


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
    binary = registry_binary_for(platform().split("/")[1])
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
