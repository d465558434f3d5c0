"""What is measured on the image: build it, measure it, run it.

:func:`measure_image` builds the Dockerfile (a missing untagged or ``latest`` catalog
base replaced by the catalog's image when no registry answers, for the measurement
only), measures the image's size, layers, wasted bytes, packages, shells and
secrets, and runs its default command (:func:`run_checks`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import pandas as pd

from dockerlab.core.building import build
from dockerlab.core.containers import start
from dockerlab.core.dockerfile import base_images, replace_base, unpinned
from dockerlab.core.engine import registry_reachable
from dockerlab.core.images import CATALOG, layer_count, resolve
from dockerlab.errors import DockerlabError
from dockerlab.inspect.layers import analyse_and_search
from dockerlab.inspect.measuring import attack_surface, size_on_disk
from dockerlab.inspect.processes import count_zombies_inside, procstat_binary


def _substitute(dockerfile: str, notes: list[str]) -> str:
    """Map missing untagged/latest catalog bases to the catalog's image (offline only)."""
    by_repo = {c.default.rsplit(":", 1)[0]: c.ref for c in CATALOG.values()}
    out = dockerfile
    for base in dict.fromkeys(base_images(dockerfile)):
        if not unpinned(base) or "@" in base:
            continue
        repo = base.removesuffix(":latest")
        target = by_repo.get(repo.removeprefix("docker.io/").removeprefix("library/"))
        if target is None:
            continue
        try:
            resolve(base if ":" in base.rsplit("/", 1)[-1] else f"{base}:latest")
            continue  # present: build with it as written
        except DockerlabError:
            pass
        if registry_reachable():
            continue  # the build will pull it
        out = replace_base(out, base, target)
        notes.append(
            f"`{base}` (latest) is not on this engine and no registry is reachable: "
            f"measured with {target} instead; hadolint and the pinning check read "
            "the Dockerfile as written."
        )
    return out


def run_checks(image, env: Mapping[str, str], settle: float, grace: int) -> dict:
    """Run the image's default command: its output, zombies, stop time, uid of PID 1.

    A container that exited before ``settle`` seconds gets no zombie count, stop
    time or uid (None): nothing ran any more to measure.
    """
    out: dict[str, object] = {}
    procstat_binary()  # built before the clock starts
    with start(image, None, environment=dict(env), pids=64, role="score") as box:
        time.sleep(settle)
        status = box.status
        if status == "running":
            rows = box.top(("pid", "uid", "comm"))
            out["uid"] = int(rows[0]["uid"]) if rows else None
            out["zombies"] = count_zombies_inside(box)
            out["stop_s"], code = box.stop(timeout=grace)
        else:
            code = box.exit_code
            out.update(zombies=None, stop_s=None, uid=None)
        out["exit_code"], out["status"] = code, status
        out["output"] = box.logs()
    return out


def measure_image(
    text, files, *, secrets, env, settle, grace, works, timeout, progress, notes
) -> tuple[dict, pd.DataFrame, str]:
    """Build the image and measure it: (values, secret hits, what the app printed).

    Args:
        text: The Dockerfile's text (missing catalog bases replaced offline, noted in ``notes``).
        files: The build context's files.
        secrets, env, settle, grace, timeout, progress: As :func:`dockerlab.scorecard.score`
            takes them.
        works: Text the output must contain for "the app works", or a function of the output.
        notes: Where what was substituted or could not be measured is added.

    Returns:
        The image's rows of :data:`~dockerlab.scorecard.measures.MEASURES` (size to uid),
        where it holds a secret, and what the container printed.
    """
    with build(_substitute(text, notes), files, timeout=timeout, progress=progress) as img:
        layers = layer_count(img)
        size = size_on_disk(img)
        analysis, hits = analyse_and_search(img, secrets)
        surface = attack_surface(img)
        ran = run_checks(img, env, settle, grace)
    output = str(ran["output"])
    if ran["status"] != "running":
        notes.append(
            f"The container had exited (code {ran['exit_code']}) after {settle:g} s, "
            "so there was no app left to count zombies in or to stop."
        )
    elif ran["zombies"] is None:
        notes.append(
            "Zombies could not be counted: the kit's /proc reader could not be copied "
            "into the container or run there (a read-only root filesystem?)."
        )
    did_run = ran["status"] == "running" or ran["exit_code"] == 0
    values = {
        "size_mb": round(size / 1e6, 2),
        "layers": layers,
        "wasted_mb": round(analysis.wasted_bytes / 1e6, 2),
        "packages": surface["packages"],
        "shells": surface["shells"],
        "secrets": len(hits),
        "works": did_run and (works(output) if callable(works) else works in output),
        "zombies": ran["zombies"],
        "stop_s": None if ran["stop_s"] is None else round(float(ran["stop_s"]), 2),
        "uid": ran["uid"],
    }
    return values, hits, output
