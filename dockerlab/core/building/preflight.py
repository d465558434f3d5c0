"""Before a build starts: are its base images here, or can they be pulled?"""

from __future__ import annotations

import re
from collections.abc import Mapping

import docker.errors

from dockerlab.core.dockerfile import base_images
from dockerlab.core.engine import client, registry_reachable
from dockerlab.errors import BaseImageMissing, BuildFailed


def require_bases(
    dockerfile: str, buildargs: Mapping[str, str] | None = None, *, builder: str = "legacy"
) -> None:
    """Fail before building if a base image is missing and cannot be pulled.

    Raises:
        BaseImageMissing: Naming the image, with what to use instead.
        BuildFailed: BuildKit was asked to build FROM an image id, which it reads
            as a name on Docker Hub.
    """
    missing = []
    api = client().api
    for ref in base_images(dockerfile, buildargs):
        if builder == "buildkit" and re.fullmatch(r"(sha256:)?[0-9a-f]{12,64}", ref):
            raise BuildFailed(
                f"BuildKit builds FROM an image name, not an image id ({ref[:19]}...).",
                hint="Tag the image (build it with tag=..., or `docker tag`) and use the tag.",
            )
        try:
            api.inspect_image(ref)
        except docker.errors.NotFound:
            missing.append(ref)
        except docker.errors.APIError:
            continue  # an odd reference: the builder will say what is wrong
    if missing and not registry_reachable():
        from dockerlab.core.images import CATALOG

        have = ", ".join(f"{c.ref}" for c in CATALOG.values())
        raise BaseImageMissing(
            f"The base image {' and '.join(repr(m) for m in missing)} is not on this engine, "
            "and no registry is reachable from here to pull it.",
            hint=f"Use an image the course has ({have}: dl.ref('alpine'), ...), "
            "or run `make bases`; on a machine with internet, `docker pull` it first.",
        )


__all__ = ["require_bases"]
