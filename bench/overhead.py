"""The package's overhead: the same measurements through dockerlab and through the bare CLI.

Each pair does the same work on the same engine, alternating, N times; the
report gives medians and the ratio dockerlab / CLI (goal: within 1.2x).

    python bench/overhead.py [--runs N] [--out bench/results/overhead.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import dockerlab as dl
from dockerlab import layers
from dockerlab.engine import host

ALPINE = dl.ref("alpine")
DOCKERFILE = f'FROM {ALPINE}\nRUN echo bench > /bench.txt\nCMD ["cat", "/bench.txt"]\n'
#: The pair that compares with a floor (less work on the CLI side), not with equal work.
FLOOR = "layer analysis vs docker save alone (floor)"
SAFE = ["--network", "none", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--pids-limit", "128", "--memory", "256m"]  # fmt: skip


def _cli() -> str:
    """The docker CLI to compare with: the engine's own (legacy builder) if present."""
    for path in ("/usr/bin/docker", shutil.which("docker")):
        if path and os.path.exists(path):
            return path
    raise SystemExit("no docker CLI on PATH")


def _sh(cmd: str, **kw) -> str:
    env = dict(os.environ, DOCKER_HOST=host(), DOCKER_BUILDKIT="0")
    return subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True, env=env,
                          **kw).stdout  # fmt: skip


def pairs(cli: str, image_ref: str) -> dict[str, tuple]:
    """name -> (dockerlab callable, CLI command) doing the same measurement."""
    surface = (
        f"c=$({cli} create --network none {image_ref} true); "
        f"{cli} export $c | tar -tvf - | awk '$1 ~ /^-/ {{f++}} $1 ~ /^-..x/ {{x++}} "
        f"$1 ~ /^-..[sS]/ {{s++}} END {{print f, x, s}}'; {cli} rm $c > /dev/null"
    )
    per_layer = (
        f"d=$(mktemp -d); {cli} save {image_ref} | tar -xf - -C $d; "
        f"for l in $(grep -o '[0-9a-f]*/layer.tar' $d/manifest.json); do "
        f"tar -tvf $d/$l | awk '{{n++; s+=$3}} END {{print n, s}}'; done; rm -rf $d"
    )
    return {
        "run a container": (
            lambda: dl.run(ALPINE, ["true"]),
            f"{cli} run --rm {' '.join(SAFE)} {ALPINE} true",
        ),
        "build (cached)": (
            lambda: dl.build(DOCKERFILE, progress=False, tag="dockerlab/bench:dl"),
            f"printf '{DOCKERFILE}' | {cli} build -q -t dockerlab/bench:cli -",
        ),
        "size and layers": (
            lambda: _size(image_ref),
            f"{cli} image inspect -f '{{{{.Size}}}} {{{{len .RootFS.Layers}}}}' {image_ref}",
        ),
        "attack surface (export)": (lambda: dl.attack_surface(image_ref), surface),
        # Every file of every layer, with its size: save, unpack, list each layer.
        "layer analysis": (lambda: layers.analyse(image_ref), per_layer),
        # Not the same work: the save alone is the floor any analysis of it stands on.
        FLOOR: (lambda: layers.analyse(image_ref), f"{cli} save {image_ref} > /dev/null"),
    }


def _size(ref: str) -> tuple[int, int]:
    """Size and layer count, as dl.measure reads them."""
    img = dl.images.get(ref)
    return img.attrs["Size"], len(img.attrs["RootFS"]["Layers"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--out", default="bench/results/overhead.json")
    args = ap.parse_args()
    cli = _cli()
    results = {}
    for name, (py, sh) in pairs(cli, dl.ref("debian_slim")).items():
        py(), _sh(sh)  # warm both
        t_py, t_sh = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            py()
            t_py.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            _sh(sh)
            t_sh.append(time.perf_counter() - t0)
        med_py, med_sh = statistics.median(t_py), statistics.median(t_sh)
        results[name] = {"dockerlab_s": med_py, "cli_s": med_sh, "ratio": med_py / med_sh,
                         "runs": args.runs, "cli_command": sh}  # fmt: skip
        print(
            f"{name:<30} dockerlab {med_py:7.3f} s   CLI {med_sh:7.3f} s   ratio {med_py / med_sh:4.2f}"
        )
    dl.cleanup()
    subprocess.run([cli, "rmi", "-f", "dockerlab/bench:cli"], capture_output=True,
                   env=dict(os.environ, DOCKER_HOST=host()))  # fmt: skip
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
