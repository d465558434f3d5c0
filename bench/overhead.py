"""The package's overhead: the same measurements through dockerlab and through the bare CLI.

Each pair does the same work on the same engine, alternating, N times; the
report gives medians and the ratio dockerlab / CLI (goal: within 1.2x; a cached build and
the layer analysis against the bare ``docker save``: within 1.1x).

    python bench/overhead.py [--runs N] [--out FILE]

Results go to ``bench/results/<engine>/overhead.json`` (one folder per engine
measured, see :func:`results_dir`), with the engine's description beside them.
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
from dockerlab.core import config
from dockerlab.core.engine import host
from dockerlab.inspect import layers

ALPINE = dl.ref("alpine")
DOCKERFILE = f'FROM {ALPINE}\nRUN echo bench > /bench.txt\nCMD ["cat", "/bench.txt"]\n'
#: The pair that compares with a floor (less work on the CLI side), not with equal work.
FLOOR = "layer analysis vs docker save alone (floor)"
SAFE = ["--network", "none", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--pids-limit", "128", "--memory", "256m"]  # fmt: skip


def results_dir() -> Path:
    """``bench/results/<engine>``: one folder per engine measured (``docker-28.5.2-containerd``)."""
    e = dl.engine_info()
    name = f"docker-{e.version.split('+')[0]}-{e.image_store}-{e.arch}"
    if dl.emulated():  # the course run for another platform (28-arm64): results of their own
        name += "-emulating-" + dl.platform().split("/")[1]
    return Path(__file__).resolve().parent / "results" / name


def write_results(kind: str, results: dict, out: str | None) -> Path:
    """Write ``results`` with the engine they were measured on."""
    path = Path(out) if out else results_dir() / f"{kind}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    e = dl.engine_info()
    (path.parent / "engine.json").write_text(json.dumps(
        {"label": e.label() + (f", {dl.platform()} emulated" if dl.emulated() else ""),
         "version": e.version, "api": e.api, "image_store": e.image_store,
         "default_builder": e.default_builder, "arch": e.arch, "platform": dl.platform()},
        indent=2))  # fmt: skip
    path.write_text(json.dumps(results, indent=2))
    return path


def _cli() -> str:
    """The docker CLI to compare with: the kit's Docker 28 CLI for its 28 engine, else the
    one on PATH (Debian 12's /usr/bin/docker first: the CLI of its 20.10 engine)."""
    own = config.kit_docker_cli() if dl.engine_info().major >= 23 else None
    for path in (str(own) if own else None, "/usr/bin/docker", shutil.which("docker")):
        if path and os.path.exists(path):
            return path
    raise SystemExit("no docker CLI on PATH")


def _build_cli(cli: str) -> str:
    """The CLI build doing what dl.build does here: the same builder, to the engine's store."""
    if dl.building.choose_builder() == "buildkit":
        bk = dl.buildkit_cli()
        load = " --load --provenance=false" if bk.buildx else ""
        return f"{' '.join(bk.command())} -q{load} --network none -t dockerlab/bench:cli -"
    return f"DOCKER_BUILDKIT=0 {cli} build -q --network none -t dockerlab/bench:cli -"


def _sh(cmd: str, **kw) -> str:
    env = dict(os.environ, DOCKER_HOST=host())
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
        # legacy layout: <id>/layer.tar; OCI (Engine 25+): blobs/sha256/<digest>, maybe gzip
        f"for l in $(grep -oE '\"Layers\":\\[[^]]*' $d/manifest.json "
        f"| grep -oE '[0-9a-f]{{64}}/layer.tar|blobs/sha256/[0-9a-f]{{64}}'); do "
        f"tar -tvf $d/$l | awk '{{n++; s+=$3}} END {{print n, s}}'; done; rm -rf $d"
    )
    return {
        "run a container": (
            lambda: dl.run(ALPINE, ["true"]),
            f"{cli} run --rm {' '.join(SAFE)} {ALPINE} true",
        ),
        "build (cached)": (
            lambda: dl.build(DOCKERFILE, progress=False, tag="dockerlab/bench:dl"),
            f"printf '{DOCKERFILE}' | {_build_cli(cli)} > /dev/null",
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
    """Unpacked size and layer count, as dl.measure reads them."""
    img = dl.images.get(ref)
    return dl.size_on_disk(img.id), len(img.attrs["RootFS"]["Layers"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--out", default=None, help="default: bench/results/<engine>/overhead.json")
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
    print("wrote", write_results("overhead", results, args.out))


if __name__ == "__main__":
    main()
