"""Setup time: from a fresh clone to a working `make lab` (environment made, bases present).

Clones the repository into a temporary folder and times, separately:
1. the environment: `make .venv/.installed` (venv + requirements + package);
2. the base images from nothing: `python -m dockerlab bases` with an empty kit
   cache, so a private engine of its own starts and every base is made (pulled
   where a registry answers, bootstrapped offline where not);
3. the second run of the same, which must only find them cached.
Only meaningful on Linux as root with no Docker of your own (it starts a
private engine); elsewhere step 2 uses your engine and its images.

    python bench/setup_time.py [--out bench/results/setup.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], cwd: Path, env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/results/setup.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clone, cache = Path(tmp) / "clone", Path(tmp) / "cache"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "VIRTUAL_ENV")}
        env["DOCKERLAB_CACHE"] = str(cache)
        venv = timed(["make", ".venv/.installed"], clone, env)
        bases = [str(clone / ".venv/bin/python"), "-m", "dockerlab", "with-engine", "--",
                 str(clone / ".venv/bin/python"), "-m", "dockerlab", "bases"]  # fmt: skip
        cold = timed(bases, clone, env)
        warm = timed(bases, clone, env)
        subprocess.run(["rm", "-rf", str(cache)], check=False)
    result = {"environment_s": venv, "bases_cold_s": cold, "bases_second_run_s": warm,
              "fresh_clone_to_lab_s": venv + cold}  # fmt: skip
    for k, v in result.items():
        print(f"{k:<24} {v:7.1f} s")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
